from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from referrals.demo.seed import DemoSecretError, demo_seed
from safeguarding.settings_defaults import DEFAULT_DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Create or refresh the demo trust, its two schools, every demo account and about 120 pupils per school. "
        "Safe to run again. Development only: the accounts share a published password."
    )

    def handle(self, **options):
        if not settings.DEVELOPMENT:
            raise CommandError(
                "seed_demo only runs with DJANGO_ENV=development: its accounts have a published password."
            )
        try:
            summary = demo_seed(password=settings.DEMO_PASSWORD, totp_secret=settings.DEMO_TOTP_SECRET)
        except DemoSecretError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS("Demo trust ready."))
        for school, count in summary.pupils.items():
            self.stdout.write(f"  {school}: {count} pupils")
        self.stdout.write(f"  {summary.concerns_added} demo concerns added")
        if settings.DEMO_PASSWORD == DEFAULT_DEMO_PASSWORD:
            self.stdout.write(f"\nDemo sign-ins, all with the password {DEFAULT_DEMO_PASSWORD!r}:")
        else:
            self.stdout.write("\nDemo sign-ins, all with the password you set in DEMO_PASSWORD:")
        for email, role, where, has_code in summary.accounts:
            code = "  + code" if has_code else ""
            self.stdout.write(f"  {email:32} {role:28} {where}{code}")
        self.stdout.write("For '+ code' accounts, get the current code with: .venv/bin/python manage.py demo_otp EMAIL")
