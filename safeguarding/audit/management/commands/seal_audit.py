from django.core.management.base import BaseCommand, CommandError

from safeguarding.audit.chain import SealRefused, seal


class Command(BaseCommand):
    help = (
        "Seal every committed audit event not yet sealed into the hash chain, and write the chain head anchor. "
        "Refuses, exiting non-zero, when the chain in the database does not carry on from the anchor."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--accept-database-head",
            action="store_true",
            help=(
                "Carry on from the chain head in the database even though it does not carry on from the anchor "
                "(or there is no anchor), and write it as the new anchor; logged. Only after checking the chain "
                "against an anchor kept elsewhere (docs/audit.md)."
            ),
        )

    def handle(self, *, accept_database_head, **options):
        try:
            count, head = seal(accept_database_head=accept_database_head)
        except SealRefused as refusal:
            raise CommandError(str(refusal)) from refusal
        where = f"chain head: sequence {head.sequence}, hash {head.hash}" if head else "the chain is empty"
        self.stdout.write(f"Sealed {count} events; {where}.")
