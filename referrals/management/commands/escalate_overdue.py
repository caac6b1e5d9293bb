from django.core.management.base import BaseCommand

from referrals.services.reviews import escalate_overdue


class Command(BaseCommand):
    help = "Escalate every concern past its acknowledgement time (each level once). The scheduler runs it every minute."

    def handle(self, **options):
        self.stdout.write(f"Escalations sent: {escalate_overdue()}.")
