from django.core.management.base import BaseCommand, CommandError

from safeguarding.audit.retire import RetireRefused, audit_month_retire, month_parse


class Command(BaseCommand):
    help = (
        "Retire one month of the audit trail after the audit period (AUDIT_RETENTION_YEARS): drop its events and their "
        "seals, leaving a signed checkpoint of the chain from which verify_audit starts. Run as the tables' owner, "
        "like migrate. Refuses a month still inside the period, or one whose seals are not the start of the chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="The month to retire, as YYYY-MM.")

    def handle(self, *, month, **options):
        try:
            checkpoint = audit_month_retire(month=month_parse(month))
        except (ValueError, RetireRefused) as refusal:
            raise CommandError(f"Not retired: {refusal}") from refusal
        if checkpoint is None:
            self.stdout.write(f"Retired {month}: it held no events.")
        else:
            self.stdout.write(
                f"Retired {month}: {checkpoint.events} events and their seals removed; the chain now starts after "
                f"the checkpoint at sequence {checkpoint.sequence}."
            )
