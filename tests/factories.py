import base64
import datetime

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from referrals.models import Action, Child, Concern, ExportRecord, Notification, PatternAlert, Referral, Urgency
from safeguarding.accounts.models import Membership, Passkey, School, Trust, User
from safeguarding.accounts.roles import Role

PASSWORD = "correct horse battery staple"
# Hashed once: Argon2 is slow on purpose, and most tests never check a password.
PASSWORD_HASH = make_password(PASSWORD)


class TrustFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trust
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Trust {n}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    trust = factory.SubFactory(TrustFactory)
    name = factory.Sequence(lambda n: f"School {n}")
    urn = factory.Sequence(lambda n: f"{100000 + n}")
    local_authority = "Northshire"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"person{n}@school.example")
    full_name = factory.Faker("name", locale="en_GB")
    password = PASSWORD_HASH


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    role = Role.STAFF


def totp_device_for(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


class PasskeyFactory(factory.django.DjangoModelFactory):
    """A registered passkey. Its key is not a real one: tests that sign in with a passkey register it for real."""

    class Meta:
        model = Passkey

    user = factory.SubFactory(UserFactory)
    name = "My phone"
    credential_id = factory.Sequence(lambda n: base64.urlsafe_b64encode(f"credential-{n:04d}".encode()).decode())
    public_key = b"not a real key"


class ChildFactory(factory.django.DjangoModelFactory):
    """A pupil on the roll of a school; tests that look for a name give one."""

    class Meta:
        model = Child

    school = factory.SubFactory(SchoolFactory)
    legal_first_name = factory.Sequence(lambda n: f"Child{n}")
    legal_last_name = "Example"
    date_of_birth = datetime.date(2012, 3, 14)


def _member(child: Child, role: str) -> User:
    return MembershipFactory(school=child.school, role=role).user


class ConcernFactory(factory.Factory):
    """A concern as a member of staff sends it: through the form's own service, so it has its incident, reference,
    indicators and audit event like any other."""

    class Meta:
        model = Concern

    child = factory.SubFactory(ChildFactory)
    author = factory.LazyAttribute(lambda o: _member(o.child, Role.STAFF))
    indicators = ("SIG-GIFTS",)
    urgency = Urgency.ROUTINE
    with_file = False

    @classmethod
    def _create(cls, model_class, *, author, child, **options):
        from tests.concerns import concern_by

        return concern_by(author, child, **options)


class ReferralFactory(factory.Factory):
    """A referral to an agency, made the way a DSL makes one: a concern acknowledged, a decision, the referral."""

    class Meta:
        model = Referral

    child = factory.SubFactory(ChildFactory)
    author = factory.LazyAttribute(lambda o: _member(o.child, Role.STAFF))
    dsl = factory.LazyAttribute(lambda o: _member(o.child, Role.DSL))
    agency = "social_care"
    made_at = None
    with_file = False

    @classmethod
    def _create(cls, model_class, *, child, author, dsl, agency, made_at, with_file):
        from referrals.services.agency_referrals import referral_create
        from referrals.services.reviews import concern_acknowledge, decision_record

        concern = ConcernFactory(child=child, author=author, with_file=with_file)
        concern_acknowledge(actor=dsl, context=None, concern=concern)
        decision = decision_record(
            actor=dsl,
            context=None,
            concern=concern,
            outcomes=[agency],
            rationale="Significant harm is likely.",
            threshold="child_protection",
            next_review=timezone.localdate() + datetime.timedelta(weeks=6),
        )
        return referral_create(
            actor=dsl,
            context=None,
            decision=decision,
            agency=agency,
            purpose="To protect the child from harm",
            parents_informed=False,
            parents_not_informed_reason="Telling the stepfather could put the child at risk",
            shared_attachments=list(decision.concern.incident.attachments.all()),
            shared_child_words=True,
            shared_chronology=True,
            shared_rationale=True,
            lawful_basis="public_task",
            made_at=made_at,
        )


class PatternAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatternAlert

    child = factory.SubFactory(ChildFactory)
    rule = "frequency"
    explanation = "Three concerns in a fortnight."
    fingerprint = factory.Sequence(lambda n: f"alert-{n}")


class ExportRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExportRecord

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    purpose = "Termly report to governors"
    format = ExportRecord.Format.CSV


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    kind = Notification.Kind.NEW_CONCERN


class ActionFactory(factory.django.DjangoModelFactory):
    """An action about a child, given by the school's DSL to a member of its staff, due tomorrow."""

    class Meta:
        model = Action

    child = factory.SubFactory(ChildFactory)
    school = factory.LazyAttribute(lambda o: o.child.school)
    what = "Check in with her on Monday morning"
    owner = factory.LazyAttribute(lambda o: _member(o.child, Role.STAFF))
    assigned_by = factory.LazyAttribute(lambda o: _member(o.child, Role.DEPUTY_DSL))
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=1))
