from django.core.management.base import BaseCommand

from referrals.services.retention import retention_run


class Command(BaseCommand):
    help = (
        "Apply the retention schedule's short periods (drafts, export files, read notifications, sessions, sign-in "
        "attempts, finished jobs). Never deletes a child protection file. The scheduler runs it daily."
    )

    def handle(self, **options):
        done = retention_run()
        self.stdout.write("; ".join(f"{name.replace('_', ' ')}: {count}" for name, count in done.items()) + ".")
