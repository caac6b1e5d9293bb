"""The people of the demo trust, as tests speak of them (DESIGN.md §8)."""

from dataclasses import dataclass

from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts.models import Membership, School, Trust, User
from safeguarding.accounts.roles import Role
from tests.factories import MembershipFactory, SchoolFactory, TrustFactory, UserFactory, totp_device_for


@dataclass
class World:
    trust: Trust
    northfield: School
    riverside: School
    elsewhere: School
    people: dict[str, User]

    def __getattr__(self, name):
        try:
            return self.people[name]
        except KeyError:
            raise AttributeError(name) from None

    def membership(self, person: str, school: School | None = None) -> Membership:
        memberships = Membership.objects.filter(user=self.people[person])
        return memberships.get(school=school) if school else memberships.get()


SCHOOL_PEOPLE = [
    ("teacher", "northfield", Role.STAFF, {}),
    ("teacher2", "northfield", Role.STAFF, {}),
    ("dsl", "northfield", Role.DSL, {}),
    ("deputy", "northfield", Role.DEPUTY_DSL, {}),
    ("admin", "northfield", Role.SCHOOL_ADMIN, {"can_export": True}),
    ("office", "northfield", Role.SCHOOL_ADMIN, {}),
    ("riverside_teacher", "riverside", Role.STAFF, {}),
    ("riverside_dsl", "riverside", Role.DSL, {}),
    ("riverside_deputy", "riverside", Role.DEPUTY_DSL, {}),
    ("riverside_office", "riverside", Role.SCHOOL_ADMIN, {}),
    ("elsewhere_dsl", "elsewhere", Role.DSL, {}),
    ("head", "northfield", Role.HEADTEACHER, {}),
    ("chair", "northfield", Role.CHAIR, {}),
    ("hr", "northfield", Role.HR, {}),
]


def build_world() -> World:
    trust = TrustFactory(name="Northfield Learning Trust")
    schools = {
        "northfield": SchoolFactory(trust=trust, name="Northfield Academy"),
        "riverside": SchoolFactory(trust=trust, name="Riverside Primary"),
        "elsewhere": SchoolFactory(name="Elsewhere High School"),
    }
    people = {}
    for name, school, role, extra in SCHOOL_PEOPLE:
        user = UserFactory(email=f"{name}@safeguard.example", full_name=name.replace("_", " ").title())
        MembershipFactory(user=user, school=schools[school], role=role, **extra)
        people[name] = user
    for name, role in (("trustlead", Role.TRUST_LEAD), ("auditor", Role.AUDITOR), ("dpo", Role.DPO)):
        user = UserFactory(email=f"{name}@safeguard.example", full_name=name.title())
        MembershipFactory(user=user, school=None, trust=trust, role=role)
        people[name] = user
    # Everyone signs in with a second factor (REQUIREMENTS.md R12.1), staff included.
    for user in people.values():
        totp_device_for(user)
    return World(
        trust=trust,
        northfield=schools["northfield"],
        riverside=schools["riverside"],
        elsewhere=schools["elsewhere"],
        people=people,
    )


def current_code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def signed_in_client(user: User) -> Client:
    """A client with a signed-in session that has passed the second factor where the role needs one."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def sign_in_with_code(client: Client, user: User, password: str | None = None, **extra):
    """Sign in from the sign-in page as a person does: the password, then the current code when asked for one.

    A code is accepted once per 30-second window, so the device forgets the last one it took first: a test may sign
    the same person in more than once within a window."""
    from tests.factories import PASSWORD

    response = client.post("/accounts/login/", {"email": user.email, "password": password or PASSWORD, **extra})
    if response.status_code == 302 and response["Location"] == "/accounts/login/code/":
        TOTPDevice.objects.filter(user=user).update(last_t=-1)
        response = client.post("/accounts/login/code/", {"code": current_code(user)})
    return response
