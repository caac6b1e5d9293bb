"""A trust-sized data set for `make bench` (DESIGN.md §9): by default 20 schools, 20,000 children, 200,000
concerns with their indicators, decisions and closures, 20,000 referrals and 2,000,000 sealed audit events.

Everything comes from random generators seeded with a fixed number, so every run makes the same records (only
the dates move with the day it runs). Rows are written with PostgreSQL's COPY, ids taken from each table's own
sequence; audit events, spread over the last year, are made in the database with INSERT ... SELECT and sealed with
the sealer's own seal(), a slice of the year at a time, so that the chain verifies. PostgreSQL only.

Each school has a DSL, two deputies, a school admin with the export permission, an office admin and 25 staff,
all with the demo password and (above staff) the demo authenticator secret; the trust has a trust lead and an
auditor. The first pupil of each school has exactly 200 concerns, for measuring the child's file.
"""

import hashlib
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from referrals.clocks import SchoolCalendar
from referrals.demo.concerns import TEMPLATES
from referrals.demo.names import BOYS, GIRLS, SURNAMES
from referrals.demo.seed import DEVICE_NAME, totp_key_hex
from referrals.models import (
    Addendum,
    AgencyDecision,
    CaseNote,
    Child,
    Closure,
    Concern,
    ConcernIndicator,
    ConcernStatus,
    Decision,
    DecisionOutcome,
    Escalation,
    Incident,
    Indicator,
    Notification,
    PatternAlert,
    Referral,
    ReferralEscalation,
    SendStatus,
    Sex,
    Threshold,
    Urgency,
    YearGroup,
)
from referrals.upn import make_upn
from safeguarding.accounts.models import Membership, School, Trust, User
from safeguarding.accounts.roles import Role
from safeguarding.audit.chain import seal
from safeguarding.core.dates import LONDON

TRUST = "Scale Learning Trust"
HEAVY_CONCERNS = 200
EVENT_SLICE = 200_000
AUDIT_HISTORY = timedelta(days=365)
PLACES = (
    "Ashby", "Bramley", "Calder", "Dunmore", "Elmfield", "Fenwick", "Garside", "Hollins", "Ingleby", "Kirkham",
    "Langley", "Moorside", "Netherton", "Oakwood", "Pendle", "Queensbury", "Rowley", "Stanton", "Thornhill",
    "Upperby",
)  # fmt: skip
STAFF_PER_SCHOOL = 25
SECONDARY_YEARS = ("7", "8", "9", "10", "11", "12", "13")
PRIMARY_YEARS = ("R", "1", "2", "3", "4", "5", "6")
# How a concern's status is spread, and how far back concerns of each status were raised (days).
STATUS_WEIGHTS = {
    ConcernStatus.CLOSED: 92,
    ConcernStatus.DECIDED: 3,
    ConcernStatus.IN_REVIEW: 3,
    ConcernStatus.SUBMITTED: 2,
}
STATUS_AGE_DAYS = {
    ConcernStatus.CLOSED: (14, 1095),
    ConcernStatus.DECIDED: (3, 120),
    ConcernStatus.IN_REVIEW: (1, 30),
    ConcernStatus.SUBMITTED: (0, 3),
}
REFERRAL_AGENCIES = (("social_care", 50), ("early_help", 25), ("police", 15), ("health", 10))


@dataclass(frozen=True)
class ScaleSize:
    schools: int = 20
    children: int = 20_000
    concerns: int = 200_000
    referrals: int = 20_000
    events: int = 2_000_000
    seed: int = 2026

    def share(self, total: int, school: int) -> int:
        """School number `school`'s share of `total`, the remainder going to the first schools."""
        return total // self.schools + (1 if school < total % self.schools else 0)


@dataclass
class ScaleSummary:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class Progress:
    """A plain-text progress bar, one line per step (it is usually read from a log or a pipe)."""

    WIDTH = 30

    def __init__(self, write: Callable[[str], None] | None):
        self.write = write or (lambda line: None)
        self.started = time.perf_counter()

    def __call__(self, label: str, done: int, total: int) -> None:
        filled = self.WIDTH * done // max(total, 1)
        elapsed = time.perf_counter() - self.started
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.write(f"[{bar}] {label:<22} {done:>10,}/{total:<10,} {elapsed:7.1f} s")


class ScaleRefused(RuntimeError):
    """The database is not one seed_scale can fill: not PostgreSQL, or the scale trust is there already."""


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _ids(model, count: int) -> list[int]:
    """`count` fresh ids from the table's own sequence, so rows can be written with COPY and still be linked."""
    if not count:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]


_MISSING = object()


def _fallback(item):
    """What a column gets when a row leaves it out: its fixed Django default, else NULL or empty text."""
    if item.has_default() and not callable(item.default):
        return item.get_default()
    if item.null:
        return None
    if item.get_internal_type() in ("CharField", "TextField", "EmailField"):
        return ""
    return _MISSING


def _copy(model, rows: list[dict]) -> int:
    """Write rows (dicts keyed by field attname) with COPY; the primary key only when the rows carry it."""
    if not rows:
        return 0
    fields = [item for item in model._meta.concrete_fields if not item.primary_key or item.attname in rows[0]]
    names = [item.attname for item in fields]
    fallback = {item.attname: _fallback(item) for item in fields}
    columns = ", ".join(connection.ops.quote_name(item.column) for item in fields)
    statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            values = [row[name] if name in row else fallback[name] for name in names]
            if _MISSING in values:
                raise ValueError(f"A {model.__name__} row has no value for {names[values.index(_MISSING)]}.")
            copy.write_row(values)
    return len(rows)


def _working_moment(rng: random.Random, now: datetime, days_back: tuple[int, int]) -> datetime:
    """A moment in school hours on a weekday, about the given numbers of days ago, never in the future. Draws
    the same three numbers whatever the time, so that what is made after it does not depend on the clock."""
    offset, hour, minute = rng.randint(*days_back), rng.randint(8, 15), rng.randrange(60)
    day = timezone.localtime(now, LONDON).date() - timedelta(days=offset)
    while True:
        if day.weekday() >= 5:
            day -= timedelta(days=day.weekday() - 4)
        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)
        if moment < now:
            return moment
        day -= timedelta(days=1)


def _derived(base: uuid.UUID, label: str) -> uuid.UUID:
    """A UUID for a record made from another one (a concern's closure, its notices), the same on every run."""
    return uuid.UUID(bytes=hashlib.md5(base.bytes + label.encode()).digest(), version=4)  # noqa: S324 - not security


# --- The trust, its schools and its people ---------------------------------------------------------------------


def _schools(size: ScaleSize, trust: Trust, rng: random.Random) -> list[School]:
    schools = []
    for number in range(size.schools):
        place = PLACES[number % len(PLACES)] + (f" {number // len(PLACES) + 1}" if number >= len(PLACES) else "")
        secondary = number % 2 == 0
        schools.append(
            School(
                uuid=_uuid(rng),
                trust=trust,
                name=f"{place} {'Academy' if secondary else 'Primary'}",
                urn=f"{1600001 + number}",
                local_authority="Northshire",
                headteacher_name=f"{rng.choice(GIRLS + BOYS)} {rng.choice(SURNAMES)}",
                headteacher_email=f"head@school{number + 1:02d}.scale.example",
                front_door_name="Northshire Children's Front Door (MASH)",
                front_door_phone="0113 496 0500",
            )
        )
    return School.objects.bulk_create(schools)


def _school_roles() -> list[tuple[str, str, bool]]:
    """(email name, role, may export) of everyone at one school."""
    return [
        ("dsl", Role.DSL, False),
        ("deputy", Role.DEPUTY_DSL, False),
        ("deputy2", Role.DEPUTY_DSL, False),
        ("admin", Role.SCHOOL_ADMIN, True),
        ("office", Role.SCHOOL_ADMIN, False),
        *((f"teacher{n}", Role.STAFF, False) for n in range(1, STAFF_PER_SCHOOL + 1)),
    ]


def _people(schools: list[School], trust: Trust, rng: random.Random, *, password: str, totp_secret: str):
    """Users, memberships and authenticators for every school and the trust; the password is hashed once."""
    hashed = make_password(password)
    key_hex = totp_key_hex(totp_secret)
    users, memberships = [], []
    for number, school in enumerate(schools, start=1):
        for name, role, can_export in _school_roles():
            user = User(
                uuid=_uuid(rng),
                email=f"{name}@school{number:02d}.scale.example",
                full_name=f"{rng.choice(GIRLS + BOYS)} {rng.choice(SURNAMES)}",
                job_title=role.label,
                password=hashed,
            )
            users.append(user)
            memberships.append(Membership(uuid=_uuid(rng), user=user, school=school, role=role, can_export=can_export))
    for name, role in (("trustlead", Role.TRUST_LEAD), ("auditor", Role.AUDITOR)):
        full_name = f"{rng.choice(GIRLS)} {rng.choice(SURNAMES)}"
        user = User(uuid=_uuid(rng), email=f"{name}@scale.example", full_name=full_name, password=hashed)
        users.append(user)
        memberships.append(Membership(uuid=_uuid(rng), user=user, trust=trust, role=role))
    User.objects.bulk_create(users)
    for membership in memberships:
        membership.user_id = membership.user.pk
    Membership.objects.bulk_create(memberships)
    # Everyone signs in with a second factor (R12.1), staff included: the scale schools keep the default rule.
    TOTPDevice.objects.bulk_create(
        TOTPDevice(user=m.user, name=DEVICE_NAME, key=key_hex, confirmed=True) for m in memberships
    )
    return memberships


# --- Children ---------------------------------------------------------------------------------------------------


def _children(size: ScaleSize, schools: list[School], now: datetime) -> dict[int, list[dict]]:
    """Each school's pupils, as rows; the first of each is the child with 200 concerns."""
    start = timezone.localtime(now, LONDON).year - (0 if timezone.localtime(now, LONDON).month >= 9 else 1)
    by_school = {}
    for number, school in enumerate(schools):
        rng = random.Random(f"scale-{size.seed}-children-{number}")  # noqa: S311 - test data, not security
        years = SECONDARY_YEARS if number % 2 == 0 else PRIMARY_YEARS
        count = size.share(size.children, number)
        ids = _ids(Child, count)
        rows = []
        for serial in range(count):
            year = years[serial % len(years)]
            age = YearGroup.age_reached_in_school_year(year)
            born = date(start - age, 9, 1) + timedelta(days=rng.randrange(365))
            girl = rng.random() < 0.5
            rows.append(
                {
                    "id": ids[serial],
                    "uuid": _uuid(rng),
                    "school_id": school.pk,
                    "legal_first_name": rng.choice(GIRLS if girl else BOYS),
                    "legal_last_name": rng.choice(SURNAMES),
                    "date_of_birth": born,
                    "upn": make_upn(
                        la_code=900 + serial // 1000,
                        establishment=int(school.urn[-4:]),
                        year=born.year + age - 1,
                        serial=serial % 1000,
                    ),
                    "year_group": year,
                    "sex": Sex.FEMALE if girl else Sex.MALE,
                    "send": rng.choices(SendStatus.values, weights=[85, 12, 3])[0],
                    "looked_after": rng.random() < 0.01,
                    "cp_plan": rng.random() < 0.01,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        _copy(Child, rows)
        by_school[school.pk] = rows
    return by_school


# --- Concerns and what the safeguarding team did with them -----------------------------------------------------


@dataclass
class SchoolPeople:
    dsl: int
    team: list[int]
    staff: list[int]


def _school_people(memberships: list[Membership]) -> dict[int, SchoolPeople]:
    people = {}
    for membership in memberships:
        if membership.school_id is None:
            continue
        entry = people.setdefault(membership.school_id, SchoolPeople(dsl=0, team=[], staff=[]))
        if membership.role == Role.DSL:
            entry.dsl = membership.user_id
            entry.team.insert(0, membership.user_id)
        elif membership.role == Role.DEPUTY_DSL:
            entry.team.append(membership.user_id)
        elif membership.role == Role.STAFF:
            entry.staff.append(membership.user_id)
    return people


@dataclass
class Plan:
    """The rows of one school, built in memory and written table by table."""

    rows: dict[str, list[dict]] = field(default_factory=dict)

    def add(self, table: str, row: dict) -> None:
        self.rows.setdefault(table, []).append(row)


def _subjects(rng: random.Random, children: list[dict], count: int) -> list[dict]:
    """Who each concern is about: the first child exactly HEAVY_CONCERNS times, the rest at random."""
    heavy = min(HEAVY_CONCERNS, count) if len(children) > 1 else count
    others = children[1:] or children
    return [children[0]] * heavy + [rng.choice(others) for _ in range(count - heavy)]


def _concern_rows(size: ScaleSize, number: int, school: School, children, people: SchoolPeople, now) -> Plan:
    """Every concern of one school with its incident, indicators, and the team's acknowledgement, decision and
    closure as its status needs; numbered in the order they were recorded, as the submission service numbers them."""
    rng = random.Random(f"scale-{size.seed}-concerns-{number}")  # noqa: S311 - test data, not security
    calendar = SchoolCalendar(school, closure_days=set())
    indicators = {item.code: item for item in Indicator.objects.all()}
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    drafts = []
    for child in _subjects(rng, children, size.share(size.concerns, number)):
        status = rng.choices(statuses, weights=weights)[0]
        recorded = _working_moment(rng, now, STATUS_AGE_DAYS[status])
        fitting = [t for t in TEMPLATES if t.sex in ("", child["sex"])]
        drafts.append((recorded, status, child, rng.choice(fitting)))
    drafts.sort(key=lambda item: item[0])
    plan = Plan()
    concern_ids, incident_ids = _ids(Concern, len(drafts)), _ids(Incident, len(drafts))
    for serial, (recorded, status, child, template) in enumerate(drafts):
        urgency = rng.choices(Urgency.values, weights=[5, 30, 65])[0]
        concern = {
            "id": concern_ids[serial],
            "uuid": _uuid(rng),
            "reference": f"{school.urn}-{serial + 1:05d}",
            "incident_id": incident_ids[serial],
            "school_id": school.pk,
            "child_id": child["id"],
            "author_id": rng.choice(people.staff),
            "author_role": Role.STAFF,
            "status": status,
            "urgency": urgency,
            "observed_at": recorded - timedelta(minutes=rng.randint(10, 120)),
            "recorded_at": recorded,
            "location": template.where,
            "account": template.account.format(name=child["legal_first_name"]),
            "child_words": template.words,
            "action_taken": "Passed on to the safeguarding team.",
            "dsl_told_in_person": urgency != Urgency.ROUTINE,
            "ack_due_at": calendar.acknowledgement_due(urgency=urgency, raised_at=recorded),
            "version": 0,
        }
        plan.add("incident", _incident_row(concern, size, number, serial))
        for code, basis in template.indicators:
            indicator = indicators[code]
            plan.add(
                "indicator",
                {
                    "concern_id": concern["id"],
                    "indicator_id": indicator.pk,
                    "basis": basis,
                    "label_at_time": indicator.label,
                },
            )
        _review_rows(plan, rng, concern, people, now)
        plan.add("concern", concern)
    return plan


def _incident_row(concern: dict, size: ScaleSize, number: int, serial: int) -> dict:
    return {
        "id": concern["incident_id"],
        "uuid": _derived(concern["uuid"], "incident"),
        "school_id": concern["school_id"],
        "author_id": concern["author_id"],
        "submission_key": f"scale-{size.seed}-{number}-{serial}",
        "created_at": concern["recorded_at"],
    }


def _review_rows(plan: Plan, rng: random.Random, concern: dict, people: SchoolPeople, now) -> None:
    """The acknowledgement, decision and closure a concern of this status has had."""
    status = concern["status"]
    if status == ConcernStatus.SUBMITTED:
        for rank, recipient in enumerate(people.team):
            plan.add("notification", {"recipient_id": recipient, "concern": concern, "rank": rank})
        if concern["ack_due_at"] < now:
            plan.add("escalation", {"concern_id": concern["id"], "created_at": concern["ack_due_at"]})
        return
    reviewer = rng.choice(people.team)
    acknowledged = min(concern["recorded_at"] + timedelta(minutes=rng.randint(5, 240)), now)
    concern.update(acknowledged_at=acknowledged, acknowledged_by_id=reviewer, assigned_to_id=reviewer, version=1)
    if status == ConcernStatus.IN_REVIEW:
        return
    decided = min(acknowledged + timedelta(hours=rng.randint(1, 48)), now)
    concern["version"] = 2
    plan.add("decision", {"concern": concern, "decided_by_id": people.dsl, "decided_at": decided})
    if status == ConcernStatus.CLOSED:
        concern["version"] = 3
        plan.add("closure", {"concern": concern, "closed_by_id": people.dsl, "closed_at": decided + timedelta(days=7)})


def _decisions(plan: Plan, rng: random.Random, referrals: int, now) -> None:
    """Decision rows with their outcomes; `referrals` of them lead to a referral to the agency they name."""
    decisions = plan.rows.get("decision", [])
    ids = _ids(Decision, len(decisions))
    referred = set(rng.sample(range(len(decisions)), min(referrals, len(decisions))))
    agencies, weights = zip(*REFERRAL_AGENCIES, strict=True)
    for index, decision in enumerate(decisions):
        decision.update(id=ids[index], uuid=_uuid(rng))
        if index in referred:
            agency = rng.choices(agencies, weights=weights)[0]
            outcomes = [agency] + (["monitor"] if rng.random() < 0.5 else [])
            plan.add("referral", _referral_row(rng, decision, agency, now))
            threshold = Threshold.CHILD_PROTECTION if agency in ("social_care", "police") else Threshold.EARLY_HELP
        else:
            outcomes = [rng.choice(("nfa", "monitor", "monitor", "seek_advice"))]
            threshold = Threshold.UNIVERSAL
        decision["threshold"] = threshold
        decision["rationale"] = (
            "Read with the child's history, the signs meet the threshold for a referral."
            if threshold != Threshold.UNIVERSAL
            else "Read with the child's history, the child's needs can be met in school."
        )
        for outcome in outcomes:
            plan.add("outcome", {"decision_id": decision["id"], "outcome": outcome})


def _referral_row(rng: random.Random, decision: dict, agency: str, now) -> dict:
    concern = decision["concern"]
    made = min(decision["decided_at"] + timedelta(hours=1), now)
    row = {
        "uuid": _uuid(rng),
        "school_id": concern["school_id"],
        "child_id": concern["child_id"],
        "decision": decision,
        "concern_id": concern["id"],
        "agency": agency,
        "made_at": made,
        "recorded_at": made,
        "made_by_id": decision["decided_by_id"],
        "agency_reference": f"REF-{rng.randrange(10**6):06d}",
        "purpose": "To protect the child from significant harm",
        "parents_informed": rng.random() < 0.8,
    }
    if not row["parents_informed"]:
        row["parents_not_informed_reason"] = "Telling the family could increase the risk"
    if agency == "social_care":
        row["ack_due_at"] = made + timedelta(days=1 if made.weekday() < 4 else 3)
    if now - made > timedelta(days=7) and rng.random() < 0.9:
        row["acknowledged_at"] = made + timedelta(hours=rng.randint(1, 30))
        row["acknowledgement_recorded_at"] = row["acknowledged_at"]
        row["acknowledged_by_name"] = "Duty social worker, MASH"
        if agency == "social_care":
            row["agency_decision"] = rng.choice(AgencyDecision.values)
        if rng.random() < 0.02:
            escalated = row["acknowledged_at"] + timedelta(days=2)
            row["escalation"] = {
                "uuid": _uuid(rng),
                "escalated_on": timezone.localtime(escalated, LONDON).date(),
                "reason": "No action taken despite new signs; escalating.",
                "recorded_by_id": row["made_by_id"],
                "recorded_at": escalated,
            }
    return row


def _write_plan(plan: Plan) -> dict[str, int]:
    """Write one school's rows, parents first."""
    rows = plan.rows
    written = {
        "incidents": _copy(Incident, rows.get("incident", [])),
        "concerns": _copy(Concern, rows.get("concern", [])),
        "indicators": _copy(ConcernIndicator, rows.get("indicator", [])),
    }
    decisions = [{**r, "concern_id": r["concern"]["id"]} for r in rows.get("decision", [])]
    written["decisions"] = _copy(Decision, decisions)
    written["outcomes"] = _copy(DecisionOutcome, rows.get("outcome", []))
    written["closures"] = _copy(Closure, [_closure_row(r) for r in rows.get("closure", [])])
    written["referrals"] = _write_referrals(rows.get("referral", []))
    written["notifications"] = _copy(
        Notification,
        [
            {
                "uuid": _derived(r["concern"]["uuid"], f"notification-{r['rank']}"),
                "recipient_id": r["recipient_id"],
                "school_id": r["concern"]["school_id"],
                "kind": Notification.Kind.NEW_CONCERN,
                "concern_id": r["concern"]["id"],
                "urgency": r["concern"]["urgency"],
                "created_at": r["concern"]["recorded_at"],
            }
            for r in rows.get("notification", [])
        ],
    )
    written["escalations"] = _copy(Escalation, [{**r, "level": 1} for r in rows.get("escalation", [])])
    return written


def _closure_row(row: dict) -> dict:
    concern = row["concern"]
    return {
        "uuid": _derived(concern["uuid"], "closure"),
        "concern_id": concern["id"],
        "closed_by_id": row["closed_by_id"],
        "closed_at": row["closed_at"],
        "summary": "Concern reviewed with the child's history and the staff involved.",
        "follow_up": "Checked in with the child and the form tutor over the following week.",
        "outcome": "No further concerns raised; monitoring ended.",
    }


def _write_referrals(referrals: list[dict]) -> int:
    ids = _ids(Referral, len(referrals))
    shared, escalations = [], []
    for referral, referral_id in zip(referrals, ids, strict=True):
        referral["id"] = referral_id
        referral["decision_id"] = referral.pop("decision")["id"]
        shared.append({"referral_id": referral_id, "concern_id": referral.pop("concern_id")})
        if escalation := referral.pop("escalation", None):
            escalations.append({**escalation, "referral_id": referral_id})
    written = _copy(Referral, referrals)
    _copy(Referral.shared_concerns.through, shared)
    _copy(ReferralEscalation, escalations)
    return written


def _heavy_child_extras(school: School, child: dict, people: SchoolPeople, rng: random.Random, now) -> None:
    """A frequency alert, addenda and case notes on the file of the child with 200 concerns."""
    concerns = list(Concern.objects.filter(child_id=child["id"]).order_by("-observed_at")[:6])
    alert = PatternAlert.objects.create(
        uuid=_uuid(rng),
        child_id=child["id"],
        rule="frequency",
        explanation=f"{len(concerns)} concerns within 30 days",
        fingerprint=hashlib.sha256(f"frequency:{[c.pk for c in concerns]}".encode()).hexdigest(),
        created_at=now,
    )
    alert.concerns.set(concerns)
    Addendum.objects.bulk_create(
        Addendum(
            uuid=_uuid(rng),
            concern=concern,
            author_id=concern.author_id,
            author_role=Role.STAFF,
            reason="A detail left out",
            text="The child also said it had happened before, last term.",
            created_at=concern.recorded_at + timedelta(hours=3),
        )
        for concern in concerns[:3]
    )
    CaseNote.objects.bulk_create(
        CaseNote(
            uuid=_uuid(rng),
            child_id=child["id"],
            school=school,
            author_id=people.dsl,
            kind=rng.choice(CaseNote.Kind.values),
            text="Spoke to the child's social worker; agreed to share attendance weekly.",
            happened_at=now - timedelta(days=7 * week),
            created_at=now - timedelta(days=7 * week),
        )
        for week in range(1, 21)
    )


# --- Audit events ------------------------------------------------------------------------------------------------

# Events made in the database, spread over the people and children of each school: views of children's files and
# of concerns, lists, searches, sign-ins and new concerns, one child in fifty being the child with 200 concerns.
AUDIT_FILL = """
INSERT INTO audit_auditevent (occurred_at, event_type, outcome, user_uuid, role, school_uuid, ip, session_hash,
    user_agent, request_id, method, route, object_type, object_uuid, child_uuid, shown_ids, row_count, search_hash,
    reason, detail)
SELECT %(start)s + make_interval(secs => (g - %(first)s) * %(span)s / %(count)s),
       kind.event_type, 'allowed', p.uuid, p.role,
       CASE WHEN kind.event_type = 'login' THEN NULL ELSE c.school_uuid END,
       ('10.20.' || (g %% 200) || '.' || (g %% 250))::inet, md5('session' || (g / 40)) || md5('s' || (g / 40)),
       'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', upper(substr(md5(g::text), 1, 12)), kind.method, kind.route,
       kind.object_type,
       CASE WHEN kind.object_type IN ('child_file', 'child_roster', 'child_access') THEN c.uuid
            WHEN kind.object_type = 'concern' AND kind.event_type <> 'list' THEN md5('concern' || g)::uuid END,
       CASE WHEN kind.with_child THEN c.uuid END,
       CASE WHEN kind.event_type = 'list'
            THEN jsonb_build_array(md5('a' || g)::uuid::text, md5('b' || g)::uuid::text, md5('c' || g)::uuid::text)
            ELSE '[]'::jsonb END,
       CASE WHEN kind.event_type IN ('list', 'search') THEN 25 END,
       CASE WHEN kind.event_type = 'search' THEN md5('term' || (g %% 500)) || md5('t') ELSE '' END,
       '', '{}'::jsonb
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
JOIN scale_children c
    ON c.n = CASE WHEN g %% 50 = 0 THEN (%(heavy)s::bigint[])[1 + (g / 50) %% %(schools)s]
                  ELSE 1 + ((g / 20) * 7919) %% %(children)s END
JOIN scale_people p ON p.school_uuid = c.school_uuid AND p.k = g %% %(people)s
JOIN scale_event_kinds kind ON kind.k = g %% 20
"""


def _audit_tables(schools: list[School]) -> tuple[int, int, list[int]]:
    """Numbered children and people of the scale schools, and the kinds of event, for AUDIT_FILL."""
    ids = [school.pk for school in schools]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TEMP TABLE scale_children ON COMMIT PRESERVE ROWS AS
            SELECT row_number() OVER (ORDER BY c.id) AS n, c.uuid, s.uuid AS school_uuid,
                   c.school_id
            FROM referrals_child c JOIN accounts_school s ON s.id = c.school_id WHERE c.school_id = ANY(%s)
            """,
            [ids],
        )
        cursor.execute("CREATE INDEX ON scale_children (n)")
        cursor.execute(
            """
            CREATE TEMP TABLE scale_people ON COMMIT PRESERVE ROWS AS
            SELECT row_number() OVER (PARTITION BY m.school_id ORDER BY u.id) - 1 AS k, u.uuid, m.role,
                   s.uuid AS school_uuid
            FROM accounts_membership m JOIN accounts_user u ON u.id = m.user_id
            JOIN accounts_school s ON s.id = m.school_id WHERE m.school_id = ANY(%s)
            """,
            [ids],
        )
        cursor.execute("CREATE INDEX ON scale_people (school_uuid, k)")
        cursor.execute(
            "CREATE TEMP TABLE scale_event_kinds (k int, event_type text, method text, route text, "
            "object_type text, with_child bool) ON COMMIT PRESERVE ROWS"
        )
        kinds = (
            [("view", "GET", "child_file", "child_file", True)] * 8
            + [("view", "GET", "concern_review", "concern", True)] * 3
            + [("list", "GET", "queue", "concern", False)] * 2
            + [("search", "POST", "roster_list", "child", False)]
            + [("login", "POST", "second_factor", "", False)]
            + [("create", "POST", "concern_new", "concern", True)] * 2
            + [("view", "GET", "roster_pupil", "child_roster", True)]
            + [("audit_read", "GET", "child_access", "child_access", True)]
            + [("view", "GET", "referral_detail", "referral", True)]
        )
        cursor.executemany(
            "INSERT INTO scale_event_kinds VALUES (%s, %s, %s, %s, %s, %s)",
            [(k, *kind) for k, kind in enumerate(kinds)],
        )
        cursor.execute("SELECT count(*) FROM scale_children")
        children = cursor.fetchone()[0]
        cursor.execute("SELECT min(n) FROM scale_children GROUP BY school_id ORDER BY school_id")
        heavy = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT count(*) FROM scale_people GROUP BY school_uuid ORDER BY 1 LIMIT 1")
        people = cursor.fetchone()[0]
    return children, people, heavy


def _audit_events(size: ScaleSize, schools: list[School], progress: Progress) -> int:
    """The events, spread over the last year, a slice of the year at a time: each slice written, then sealed with
    the time at its end, as the sealer running through that year would have sealed it. The chain verifies."""
    if not size.events:
        return 0
    children, people, heavy = _audit_tables(schools)
    slices = -(-size.events // EVENT_SLICE)
    end = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    span = AUDIT_HISTORY / slices
    made = 0
    progress("audit events", 0, size.events)
    for number in range(slices):
        count = size.events // slices + (1 if number < size.events % slices else 0)
        start = end - AUDIT_HISTORY + number * span
        params = {
            "start": start,
            "span": span.total_seconds(),
            "first": made + 1,
            "last": made + count,
            "count": count,
            "children": children,
            "people": people,
            "schools": len(schools),
            "heavy": heavy,
        }
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(AUDIT_FILL, params)
            made += cursor.rowcount
        # A fresh database may meet an anchor left by an earlier one at the same path: with no seals yet, the
        # chain starts anew; once there are seals, the sealer's usual checks against its anchor apply.
        seal(now=start + span + timedelta(minutes=1), new_chain=True)
        progress("audit events (sealed)", made, size.events)
    return made


def _drop_audit_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS scale_children, scale_people, scale_event_kinds")


# --- The whole trust ---------------------------------------------------------------------------------------------


def scale_seed(
    *, size: ScaleSize, password: str, totp_secret: str, write: Callable[[str], None] | None = None
) -> ScaleSummary:
    """Make the scale trust in an empty-of-it PostgreSQL database; returns the counts and how long it took."""
    if connection.vendor != "postgresql":
        raise ScaleRefused("seed_scale writes with PostgreSQL's COPY: point it at a PostgreSQL database.")
    if Trust.objects.filter(name=TRUST).exists():
        raise ScaleRefused(f"{TRUST} is already in this database: seed_scale fills a fresh database once.")
    progress = Progress(write)
    started = time.perf_counter()
    now = timezone.now().replace(microsecond=0)
    summary = ScaleSummary()
    with transaction.atomic():
        schools, counts = _records(size, now, progress, password=password, totp_secret=totp_secret)
    summary.counts.update(counts)
    try:
        summary.counts["audit events"] = _audit_events(size, schools, progress)
    finally:
        _drop_audit_tables()
    # As after any bulk load: statistics for the planner, and (outside a transaction, where VACUUM may run) the
    # visibility map that index-only scans need, rather than leaving both to autovacuum at some later moment.
    progress("vacuum and analyse", 0, 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
    progress("vacuum and analyse", 1, 1)
    summary.seconds = time.perf_counter() - started
    return summary


def _records(
    size: ScaleSize, now: datetime, progress: Progress, *, password: str, totp_secret: str
) -> tuple[list[School], dict[str, int]]:
    """Everything but the audit events, in one transaction."""
    rng = random.Random(f"scale-{size.seed}")  # noqa: S311 - test data, not security
    trust = Trust.objects.create(uuid=_uuid(rng), name=TRUST)
    schools = _schools(size, trust, rng)
    memberships = _people(schools, trust, rng, password=password, totp_secret=totp_secret)
    progress("schools and people", len(schools), size.schools)
    children = _children(size, schools, now)
    progress("children", sum(map(len, children.values())), size.children)
    people = _school_people(memberships)
    counts = {"schools": len(schools), "people": len(memberships), "children": sum(map(len, children.values()))}
    done = 0
    for number, school in enumerate(schools):
        rng = random.Random(f"scale-{size.seed}-reviews-{number}")  # noqa: S311 - test data, not security
        plan = _concern_rows(size, number, school, children[school.pk], people[school.pk], now)
        _decisions(plan, rng, size.share(size.referrals, number), now)
        for name, count in _write_plan(plan).items():
            counts[name] = counts.get(name, 0) + count
        if children[school.pk]:
            _heavy_child_extras(school, children[school.pk][0], people[school.pk], rng, now)
        done += len(plan.rows.get("concern", []))
        progress("concerns", done, size.concerns)
    return schools, counts
