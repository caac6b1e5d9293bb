import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts.models import User


class Command(BaseCommand):
    help = "Print the current 6-digit sign-in code of a demo account. Development only."

    def add_arguments(self, parser):
        parser.add_argument("email", help="For example dsl@northfield.example")

    def handle(self, *, email, **options):
        if not settings.DEVELOPMENT:
            raise CommandError("demo_otp only runs with DJANGO_ENV=development.")
        user = User.objects.with_email(email).first()
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() if user else None
        if device is None:
            raise CommandError(
                f"{email} has no authenticator. Run seed_demo first, or sign in with the password alone."
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        remaining = device.step - int(time.time() - device.t0) % device.step
        self.stderr.write(f"(valid for about {remaining} more seconds; each code signs in once)")
