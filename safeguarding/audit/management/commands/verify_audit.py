from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from safeguarding.audit.chain import anchor_read, verify


class Command(BaseCommand):
    help = (
        "Recompute the audit hash chain and compare it with the anchor. Exits 0 when intact; otherwise non-zero, "
        "naming the first event altered, removed or inserted, or a tail that was cut. Without an anchor it fails "
        "unless told to skip it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor",
            type=Path,
            default=None,
            help="An anchor file saved elsewhere, e.g. when checking a restored backup (default: AUDIT_ANCHOR_PATH).",
        )
        parser.add_argument(
            "--skip-anchor",
            action="store_true",
            help="Check the chain without an anchor. A cut tail (the newest events and their seals removed) is then "
            "not seen.",
        )

        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="Check the chain in this many processes, each a contiguous part of it (default 1). The problem "
            "reported is the same whatever the number.",
        )

    def handle(self, *, anchor, skip_anchor, jobs, **options):
        if anchor is not None and skip_anchor:
            raise CommandError("Give --anchor or --skip-anchor, not both.")
        if jobs < 1:
            raise CommandError("--jobs must be 1 or more.")
        head = None if skip_anchor else self.anchor(anchor)
        verdict = verify(anchor=head, jobs=jobs)
        if not verdict.ok:
            raise CommandError(f"Audit trail FAILED verification: {verdict.problem}.")
        anchor_note = (
            f"matches the anchor at sequence {head.sequence}"
            if head
            else "the anchor was skipped (--skip-anchor), so a cut tail was not checked"
        )
        self.stdout.write(
            f"Audit trail intact: {verdict.checked} events checked, {verdict.too_recent} too recent to be sealed; "
            f"{anchor_note}."
        )

    def anchor(self, given):
        path = given or settings.AUDIT_ANCHOR_PATH
        head = anchor_read(path)
        if head is None:
            raise CommandError(
                f"No anchor at {path}: without one a cut tail cannot be seen. Put it back from a backup (the "
                ".anchor.json saved beside each dump) or the daily anchor email, give a copy with --anchor, or "
                "check the chain alone with --skip-anchor."
            )
        return head
