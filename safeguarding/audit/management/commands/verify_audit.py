from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from safeguarding.audit.chain import anchor_read, verify


class Command(BaseCommand):
    help = (
        "Recompute the audit hash chain and compare it with the anchor. Exits 0 when intact; otherwise non-zero, "
        "naming the first event altered, removed or inserted, or a tail that was cut."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor",
            type=Path,
            default=None,
            help="An anchor file saved elsewhere, e.g. when checking a restored backup (default: AUDIT_ANCHOR_PATH).",
        )

    def handle(self, *, anchor, **options):
        path = anchor or settings.AUDIT_ANCHOR_PATH
        head = anchor_read(path)
        if anchor is not None and head is None:
            raise CommandError(f"No anchor file at {path}.")
        verdict = verify(anchor=head)
        if not verdict.ok:
            raise CommandError(f"Audit trail FAILED verification: {verdict.problem}.")
        anchor_note = f"matches the anchor at sequence {head.sequence}" if head else f"no anchor found at {path}"
        self.stdout.write(
            f"Audit trail intact: {verdict.checked} events checked, {verdict.too_recent} too recent to be sealed; "
            f"{anchor_note}."
        )
