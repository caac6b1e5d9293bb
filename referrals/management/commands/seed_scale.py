from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from referrals.demo.scale import ScaleRefused, ScaleSize, scale_seed
from referrals.demo.seed import DemoSecretError

FULL = ScaleSize()


class Command(BaseCommand):
    help = (
        "Fill a fresh PostgreSQL database with a trust-sized data set for `make bench`: by default 20 schools, "
        "20,000 children, 200,000 concerns, 20,000 referrals and 2,000,000 sealed audit events. The same records "
        "on every run. Development only: the accounts share the demo password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, default=FULL.schools)
        parser.add_argument("--children", type=int, default=FULL.children, help="In the whole trust.")
        parser.add_argument("--concerns", type=int, default=FULL.concerns, help="In the whole trust.")
        parser.add_argument("--referrals", type=int, default=FULL.referrals, help="In the whole trust.")
        parser.add_argument("--events", type=int, default=FULL.events, help="Audit events, sealed.")
        parser.add_argument("--seed", type=int, default=FULL.seed, help="The random generators' seed.")

    def handle(self, *, schools, children, concerns, referrals, events, seed, **options):
        if not settings.DEVELOPMENT:
            raise CommandError(
                "seed_scale only runs with DJANGO_ENV=development: its accounts have a published password."
            )
        if min(schools, children, concerns, referrals, events) < 0 or schools < 1 or children < schools:
            raise CommandError("Give at least one school, at least one child a school, and no negative counts.")
        size = ScaleSize(
            schools=schools, children=children, concerns=concerns, referrals=referrals, events=events, seed=seed
        )
        try:
            summary = scale_seed(
                size=size,
                password=settings.DEMO_PASSWORD,
                totp_secret=settings.DEMO_TOTP_SECRET,
                write=lambda line: (self.stdout.write(line), self.stdout.flush()),
            )
        except (ScaleRefused, DemoSecretError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Scale trust ready in {summary.seconds:.1f} s:"))
        for name, count in summary.counts.items():
            self.stdout.write(f"  {name:<16} {count:>12,}")
        self.stdout.write(
            "Sign in as dsl@school01.scale.example (or teacher1@, admin@...; trustlead@scale.example) with the demo "
            "password and the demo authenticator code (manage.py demo_otp EMAIL)."
        )
