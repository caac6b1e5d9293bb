from django.core.management.base import BaseCommand

from safeguarding.audit.chain import seal


class Command(BaseCommand):
    help = "Seal every committed audit event not yet sealed into the hash chain, and write the chain head anchor."

    def handle(self, **options):
        count, head = seal()
        where = f"chain head: sequence {head.sequence}, hash {head.hash}" if head else "the chain is empty"
        self.stdout.write(f"Sealed {count} events; {where}.")
