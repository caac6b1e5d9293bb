"""The demo trust: schools, every persona of DESIGN.md §8 and about 120 pupils a school.

Running it again changes nothing: every record is found by its natural key and only written when it differs.
The pupils come from a seeded random generator, so they are the same on every machine.
"""

import base64
import binascii
import random
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from referrals.demo.adults import demo_adults_seed
from referrals.demo.concerns import demo_concerns_seed
from referrals.demo.context import demo_context_seed
from referrals.demo.names import BOYS, GIRLS, SURNAMES
from referrals.demo.people import ACCOUNTS, PUPILS_PER_SCHOOL, SCHOOLS, TRAINED_MONTHS_AGO, TRUST
from referrals.demo.screening import demo_screening_seed
from referrals.models import Child, SendStatus, Sex, YearGroup
from referrals.upn import make_upn
from safeguarding.accounts.access import user_needs_second_factor
from safeguarding.accounts.models import Membership, School, Trust, User

DEVICE_NAME = "Demo authenticator"


class DemoSecretError(ValueError):
    """DEMO_TOTP_SECRET is not a usable base32 secret."""


def totp_key_hex(secret: str) -> str:
    """The hex key django-otp stores, from the base32 secret an authenticator app is given."""
    cleaned = secret.replace(" ", "").upper()
    try:
        key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        raise DemoSecretError("DEMO_TOTP_SECRET must be base32 (letters A-Z and digits 2-7).") from None
    if len(key) < 10:
        raise DemoSecretError("DEMO_TOTP_SECRET must be at least 16 base32 characters.")
    return key.hex()


@dataclass
class DemoSummary:
    accounts: list[tuple[str, str, str, bool]]
    pupils: dict[str, int]
    concerns_added: int = 0


def school_year_start(today: date) -> int:
    return today.year if today.month >= 9 else today.year - 1


def _update(instance, values: dict) -> None:
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        instance.save(update_fields=changed)


def _school(trust: Trust, spec: dict) -> School:
    values = {key: value for key, value in spec.items() if key not in ("urn", "years")}
    school, _ = School.objects.get_or_create(urn=spec["urn"], defaults={"trust": trust, **values})
    _update(school, {"trust": trust, **values})
    return school


def _account(*, email, full_name, job_title, school, trust, role, can_export, password, key_hex) -> User:
    user = User.objects.with_email(email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name, job_title=job_title)
    else:
        _update(user, {"full_name": full_name, "job_title": job_title, "is_active": True})
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
    scope = {"school": school} if school else {"trust": trust}
    membership = Membership.objects.filter(user=user, **scope).first()
    values = {"role": role, "can_export": can_export, "is_active": True}
    if membership is None:
        Membership.objects.create(user=user, **scope, **values)
    else:
        _update(membership, values)
    if user_needs_second_factor(user):
        device = TOTPDevice.objects.filter(user=user, name=DEVICE_NAME).first()
        if device is None:
            TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=key_hex, confirmed=True)
        else:
            _update(device, {"key": key_hex, "confirmed": True})
    return user


def _pupils(school: School, years: tuple[str, ...], today: date) -> int:
    generator = random.Random(f"safeguard-demo-{school.urn}")  # noqa: S311 - demo data, not security
    start = school_year_start(today)
    existing = {child.upn: child for child in Child.objects.filter(school=school)}
    establishment = int(school.urn[-4:])
    for serial in range(PUPILS_PER_SCHOOL):
        year = years[serial % len(years)]
        age = YearGroup.age_reached_in_school_year(year)
        born_from = date(start - age, 9, 1)
        born = born_from + timedelta(days=generator.randrange(365))
        girl = generator.random() < 0.5
        first = generator.choice(GIRLS if girl else BOYS)
        values = {
            "legal_first_name": first,
            "legal_last_name": generator.choice(SURNAMES),
            "preferred_name": generator.choice(("Liv", "Izzy", "Alfie", "Sam", "Jay")) if serial % 17 == 5 else "",
            "date_of_birth": born,
            "year_group": year,
            "sex": Sex.FEMALE if girl else Sex.MALE,
            "send": generator.choices(
                [SendStatus.NONE, SendStatus.SEN_SUPPORT, SendStatus.EHC_PLAN], weights=[85, 12, 3]
            )[0],
            "looked_after": serial in (11, 58),
            "cp_plan": serial == 23,
        }
        upn = make_upn(la_code=873, establishment=establishment, year=born.year + age - 1, serial=serial)
        child = existing.get(upn)
        if child is None:
            Child.objects.create(school=school, upn=upn, **values)
        else:
            _update(child, values)
    return Child.objects.filter(school=school).count()


@transaction.atomic
def demo_seed(*, password: str, totp_secret: str, today: date | None = None) -> DemoSummary:
    key_hex = totp_key_hex(totp_secret)
    today = today or timezone.localdate()
    trust, _ = Trust.objects.get_or_create(name=TRUST)
    schools = {key: _school(trust, spec) for key, spec in SCHOOLS.items()}
    accounts = []
    for email, full_name, job_title, school_key, role, can_export in ACCOUNTS:
        school = schools[school_key] if school_key else None
        user = _account(
            email=email,
            full_name=full_name,
            job_title=job_title,
            school=school,
            trust=trust,
            role=role,
            can_export=can_export,
            password=password,
            key_hex=key_hex,
        )
        where = school.name if school else trust.name
        label = role.label + (" (may export)" if can_export else "")
        accounts.append((email, label, where, TOTPDevice.objects.filter(user=user).exists()))
    for email, months in TRAINED_MONTHS_AGO.items():
        Membership.objects.filter(user__email=email, school__isnull=False).update(
            dsl_trained_on=today - relativedelta(months=months)
        )
    pupils = {spec["name"]: _pupils(schools[key], spec["years"], today) for key, spec in SCHOOLS.items()}
    concerns = demo_concerns_seed(schools=schools)
    demo_adults_seed(schools=schools)
    demo_context_seed()
    demo_screening_seed()
    return DemoSummary(accounts=accounts, pupils=pupils, concerns_added=concerns)
