"""About 300 demo concerns across both schools, written the way staff write them, plus two stories the demo
is built to show: a Northfield girl whose exploitation signs build up over 60 days from three different
reporters, an urgent disclosure at Riverside, and one Northfield concern left overdue so that the queue always
has late work to put first. Made through the real submission service, so the audit trail
holds them too. Running it again adds nothing: each demo submission has a fixed key."""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from referrals.clocks import SchoolCalendar
from referrals.models import (
    Action,
    Carer,
    Child,
    Closure,
    Concern,
    ConcernStatus,
    Decision,
    DecisionOutcome,
    Escalation,
    Incident,
    Indicator,
    Outcome,
    Referral,
    Sex,
    Urgency,
)
from referrals.services.concerns import ConcernInput, concern_submit
from safeguarding.accounts.models import Membership, School, User
from safeguarding.accounts.roles import Role


@dataclass(frozen=True)
class Template:
    account: str
    indicators: tuple[tuple[str, str], ...]
    urgency: str = Urgency.ROUTINE
    words: str = ""
    where: str = "Classroom"
    sex: str = ""  # the pronouns the account uses, so it is paired with a child it fits


TEMPLATES = (
    Template(
        "{name} arrived at registration without a coat again and said there was no food at home this morning. "
        "She ate two breakfasts at breakfast club.",
        (("ABUSE-NEGLECT", "seen"),),
        words="Mum's still asleep",
        sex="F",
    ),
    Template(
        "{name} had a bruise on the left cheek, about 3 cm. When I asked, {name} said he walked into a door "
        "and then changed the subject.",
        (("SIG-INJURIES", "seen"), ("ABUSE-PHYSICAL", "professional")),
        Urgency.TODAY,
        sex="M",
    ),
    Template(
        "During the lesson {name} was crying and said she did not want to go home tonight because of the shouting.",
        (("HOME-DOMESTIC-ABUSE", "told"), ("SIG-MOOD", "seen")),
        Urgency.TODAY,
        words="I don't want to go home, they'll be shouting again",
        sex="F",
    ),
    Template(
        "{name} has been absent every Monday for the last four weeks. Calls home have not been answered.",
        (("WB-ABSENT", "professional"),),
        where="Attendance office",
    ),
    Template(
        "{name} showed me messages on his phone from an account he does not know asking for pictures.",
        (("ONL-CONTACT", "seen"), ("COC-IMAGES", "told")),
        Urgency.TODAY,
        sex="M",
    ),
    Template(
        "A group of Year 9 boys were filming {name} in the changing room. {name} was upset and asked them to stop.",
        (("COC-SEXUAL-HARASSMENT", "seen"), ("COC-IMAGES", "seen")),
        Urgency.TODAY,
        where="PE changing room",
    ),
    Template(
        "{name} has cuts on her forearm that look recent. She pulled her sleeve down when she saw me look.",
        (("SIG-SELF-HARM", "seen"), ("WB-MENTAL-HEALTH", "professional")),
        Urgency.TODAY,
        sex="F",
    ),
    Template(
        "{name} said other children call him names because of his religion and push him in the corridor.",
        (("COC-BULLYING", "told"),),
        words="they call me a terrorist and push me",
        sex="M",
    ),
    Template(
        "{name} smelt strongly of cannabis after lunch and was unsteady on his feet.",
        (("SIG-SUBSTANCES", "seen"),),
        sex="M",
    ),
    Template(
        "{name} had a new pair of expensive trainers and a designer bag. She said a friend bought them but "
        "would not say who.",
        (("SIG-GIFTS", "seen"),),
        sex="F",
    ),
    Template(
        "{name}'s uniform has been dirty all week and he smells. Other children have started to avoid him.",
        (("ABUSE-NEGLECT", "seen"),),
        sex="M",
    ),
    Template(
        "{name} told me his dad is in prison and he is worried about visiting.",
        (("WB-FAMILY-PRISON", "told"),),
        words="I have to go see my dad in prison on Saturday",
        sex="M",
    ),
    Template(
        "{name} made comments in class supporting a violent group and shared a video on his phone.",
        (("RAD-EXTREMISM", "seen"), ("ONL-CONTENT", "seen")),
        Urgency.TODAY,
        sex="M",
    ),
    Template(
        "{name} says she looks after her mum, who is unwell, and is too tired to do homework.",
        (("WB-YOUNG-CARER", "told"),),
        sex="F",
    ),
    Template(
        "{name} was very withdrawn today and did not speak to anyone at break, which is not like her.",
        (("SIG-BEHAVIOUR-CHANGE", "seen"),),
        sex="F",
    ),
    Template(
        "{name}'s family may be losing their flat; {name} said they might have to stay with an aunt.",
        (("WB-HOMELESS", "told"),),
    ),
    Template(
        "{name} hit another pupil several times in the playground and had to be pulled away.",
        (("COC-PHYSICAL", "seen"),),
        where="Playground",
    ),
    Template(
        "{name} has been talking about a trip abroad this summer to meet the man she is going to marry.",
        (("HOME-FORCED-MARRIAGE", "told"),),
        Urgency.TODAY,
        words="I'm going to meet my husband in the summer",
        sex="F",
    ),
    Template(
        "{name} had two phones in his bag and became very anxious when one was taken at the start of the exam.",
        (("SIG-PHONES", "seen"),),
        where="Exam hall",
        sex="M",
    ),
    Template(
        "{name} is often seen waiting near the shops after school with a group of much older boys.",
        (("SIG-OLDER-GROUPS", "seen"),),
        where="Outside the shops on Mill Road",
    ),
)

STORY = (
    (
        60,
        "teacher@northfield.example",
        "Chloe Ward came in wearing new gold earrings and has a new phone. When "
        "I commented she said 'someone nice' gave them to her.",
        (("SIG-GIFTS", "seen"),),
        "someone nice got them for me",
    ),
    (
        45,
        "teacher2@northfield.example",
        "A friend of Chloe Ward told me Chloe has a boyfriend who is 'about 20' "
        "and drives. Chloe would not talk about it.",
        (("SIG-OLDER-PARTNER", "told"), ("SIG-SECRET-PHONE", "seen")),
        "",
    ),
    (
        30,
        "teacher3@northfield.example",
        "Chloe Ward has left school after lunch on the last four Fridays without "
        "permission. She is not at home when we call.",
        (("SIG-MISSING", "professional"), ("SIG-TRUANCY", "seen")),
        "",
    ),
    (
        12,
        "teacher@northfield.example",
        "At 15:25 I saw Chloe Ward get into a grey car at the end of Mill Road. "
        "The driver was an adult man I did not recognise.",
        (("SIG-CARS", "seen"),),
        "",
    ),
    (
        3,
        "teacher2@northfield.example",
        "Chloe Ward was picked up again by the grey car, a different man driving. "
        "She looked back at school before getting in.",
        (("SIG-CARS", "seen"), ("SIG-OLDER-GROUPS", "seen")),
        "",
    ),
)
DISCLOSURE = (
    "teacher@riverside.example",
    "At the end of the day {name} stayed behind and told me that her stepdad hits her when her mum is at work. "
    "She showed me a bruise on her upper arm. I told her I would have to tell someone who can help.",
    (("DISC-ABUSE", "told"), ("ABUSE-PHYSICAL", "seen"), ("SIG-INJURIES", "seen")),
    "he hits me when mum's at work, please don't tell him I said",
)
# A concern the team has let slip: logged on the last school day, needed looking at that day, still not
# acknowledged, and escalated. Whatever the day or hour the demo starts, the queue has overdue work at the top.
LATE = (
    "teacher2@northfield.example",
    "{name} showed me messages on his phone from an older boy offering him money to carry a bag across town "
    "after school. He asked me not to tell anyone.",
    (("EXP-CCE", "told"), ("ONL-CONTACT", "seen")),
    "he said it's easy money, just one bag",
)
TOTAL = 300


def _school_day(day):
    """`day`, or the Friday before it when it falls at a weekend: staff see children on school days."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def _next_school_day(day):
    """`day`, or the Monday after it when it falls at a weekend."""
    return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def _when(generator, days_ago: int):
    day = _school_day(timezone.localdate() - timedelta(days=days_ago))
    moment = datetime.combine(day, time(generator.randint(8, 15), generator.choice((5, 20, 35, 50))))
    return timezone.make_aware(moment)


RATIONALES = (
    ("monitor", "universal", "Low-level on its own; class teacher and pastoral lead to watch and record anything new."),
    ("early_help", "early_help", "Needs are growing; family agreed to an early help assessment with the school."),
    ("nfa", "universal", "Explained by the parent and consistent with what we know; nothing further needed."),
    ("monitor", "universal", "Spoke to the child, who was settled; check-ins with the pastoral lead for a month."),
)


def _lifecycle(concerns, *, written, child, number: int, left_waiting: bool = False) -> None:
    """Demo history as a well-run school keeps it: acknowledged within the day, decided within a fortnight with a
    review date six weeks on, closed once the review has passed. What is still to acknowledge and already overdue is
    marked escalated, so that starting the demo sends no round of escalation emails."""
    now = timezone.now()
    dsl = Membership.objects.active().filter(school=child.school, role=Role.DSL).select_related("user").first()
    dsl = dsl.user if dsl else None
    age = now - written
    if age < timedelta(days=2) or left_waiting:
        for concern in concerns.filter(ack_due_at__lt=now):
            for level in Escalation.Level:
                Escalation.objects.get_or_create(
                    concern=concern, level=level, defaults={"created_at": concern.ack_due_at}
                )
        return
    acknowledged = written + timedelta(hours=1)
    concerns.update(status=ConcernStatus.IN_REVIEW, acknowledged_at=acknowledged, acknowledged_by=dsl, assigned_to=dsl)
    if age < timedelta(days=10) or number is None:
        return
    outcome, threshold, rationale = RATIONALES[number % len(RATIONALES)]
    decided_on = _next_school_day(timezone.localdate(written) + timedelta(days=2))
    decided = timezone.make_aware(datetime.combine(decided_on, time(11, 15)))
    review = None if outcome == "nfa" else _next_school_day(decided_on + timedelta(weeks=6))
    for concern in concerns:
        decision = Decision.objects.create(
            concern=concern,
            decided_by=dsl,
            decided_at=decided,
            rationale=rationale,
            threshold=threshold,
            next_review=review,
        )
        DecisionOutcome.objects.create(decision=decision, outcome=outcome)
        if review is None or review < timezone.localdate() - timedelta(days=2):
            Closure.objects.create(
                concern=concern,
                closed_by=dsl,
                closed_at=timezone.make_aware(datetime.combine(review or timezone.localdate(decided), time(12))),
                summary="A single concern, looked into by the DSL.",
                follow_up="Spoke to the child and the family; the class teacher kept watch as agreed.",
                outcome=f"{Outcome(outcome).label}. {rationale}",
            )
            concern.status = ConcernStatus.CLOSED
        else:
            concern.status = ConcernStatus.DECIDED
        concern.save(update_fields=["status"])


def _submit(
    *, key, author, child, account, indicators, urgency, words, where, observed_at, number=None, left_waiting=False
):
    if Incident.objects.filter(submission_key=key).exists():
        return False
    codes = dict(indicators)
    incident = concern_submit(
        actor=author,
        context=None,
        school=child.school,
        submission_key=key,
        notify=False,
        data=ConcernInput(
            children=[child],
            unlisted_child_name="",
            unlisted_child_details="",
            observed_at=observed_at,
            location=where,
            account=account,
            child_words=words,
            people_present="",
            action_taken="Passed on to the safeguarding team.",
            dsl_told_in_person=urgency != Urgency.ROUTINE,
            urgency=urgency,
            indicators={item: codes[item.code] for item in Indicator.objects.filter(code__in=codes)},
            fgm_police_reported=None,
            fgm_police_reference="",
        ),
    )
    # Demo history: the concern appears written shortly after it was seen, with its clock from then, and has
    # travelled as far as its age allows (the stories' concerns stay in review: the demo is built around them).
    written = observed_at + timedelta(minutes=40)
    due = SchoolCalendar(child.school).acknowledgement_due(urgency=urgency, raised_at=written)
    concerns = Concern.objects.filter(incident=incident)
    concerns.update(recorded_at=written, ack_due_at=due)
    Incident.objects.filter(pk=incident.pk).update(created_at=written)
    _lifecycle(concerns, written=written, child=child, number=number, left_waiting=left_waiting)
    return True


def demo_story_child(pupils) -> Child:
    """The girl in Year 9 at Northfield the demo's story is about: the first of `pupils` (in UPN order) who fits."""
    return next(c for c in pupils if c.sex == Sex.FEMALE and c.year_group == "9")


AUTHOR_ROLES = (Role.STAFF, Role.DEPUTY_DSL, Role.DSL, Role.SCHOOL_ADMIN)


def demo_concerns_seed(*, schools: dict[str, School]) -> int:
    """Add the demo concerns that are not there yet; returns how many were added."""
    generator = random.Random("safeguard-demo-concerns")  # noqa: S311 - demo data, not security
    authors = {
        # The people who log most concerns; the headteacher, the chair and HR are not among the demo's authors.
        key: list(
            User.objects.filter(
                memberships__school=school, memberships__is_active=True, memberships__role__in=AUTHOR_ROLES
            ).order_by("email")
        )
        for key, school in schools.items()
    }
    children = {key: list(Child.objects.filter(school=school).order_by("upn")) for key, school in schools.items()}
    added = 0
    # The story is about a girl in Year 9 at Northfield; the disclosure about a girl at Riverside.
    story_child = demo_story_child(children["northfield"])
    _story_family(story_child)
    for number, (days_ago, email, account, indicators, words) in enumerate(STORY):
        account = account.replace("Chloe Ward", story_child.display_name).replace(
            "Chloe", story_child.display_name.split()[0]
        )
        added += _submit(
            key=f"demo-story-{number}",
            author=User.objects.get(email=email),
            child=story_child,
            account=account,
            indicators=indicators,
            urgency=Urgency.TODAY if days_ago < 15 else Urgency.ROUTINE,
            words=words,
            where="Main gate" if "car" in account else "Classroom",
            observed_at=_when(generator, days_ago),
        )
    disclosure_child = next(c for c in children["riverside"] if c.sex == Sex.FEMALE and c.year_group == "4")
    email, account, indicators, words = DISCLOSURE
    added += _submit(
        key="demo-disclosure",
        author=User.objects.get(email=email),
        child=disclosure_child,
        account=account.format(name=disclosure_child.display_name),
        indicators=indicators,
        urgency=Urgency.IMMEDIATE,
        words=words,
        where="Year 4 classroom",
        observed_at=_disclosure_time(),
    )
    _demo_referrals(story_child=story_child, disclosure_child=disclosure_child)
    for number in range(TOTAL - len(STORY) - 2):
        school_key = "northfield" if number % 3 else "riverside"
        template = generator.choice(TEMPLATES)
        fitting = [c for c in children[school_key] if c != story_child and template.sex in ("", c.sex)]
        child = generator.choice(fitting)
        added += _submit(
            key=f"demo-{number}",
            author=generator.choice(authors[school_key]),
            child=child,
            account=template.account.format(name=child.display_name),
            indicators=template.indicators,
            urgency=template.urgency,
            words=template.words,
            where=template.where,
            observed_at=_when(generator, generator.randint(1, 150)),
            number=number,
        )
    late_child = next(c for c in children["northfield"] if c.sex == Sex.MALE and c.year_group == "10")
    email, account, indicators, words = LATE
    added += _submit(
        key="demo-late",
        author=User.objects.get(email=email),
        child=late_child,
        account=account.format(name=late_child.display_name),
        indicators=indicators,
        urgency=Urgency.TODAY,
        words=words,
        where="Year 10 form room",
        observed_at=_overdue_time(late_child.school),
        left_waiting=True,
    )
    _demo_actions(story_child=story_child)
    return added


def _overdue_time(school) -> datetime:
    """Early afternoon on the latest school day whose same-day deadline has already passed."""
    calendar = SchoolCalendar(school)
    day = timezone.localdate()
    while True:
        day -= timedelta(days=1)
        seen = timezone.make_aware(datetime.combine(day, time(13, 10)))
        due = calendar.acknowledgement_due(urgency=Urgency.TODAY, raised_at=seen + timedelta(minutes=40))
        if calendar.is_working_day(day) and due < timezone.now():
            return seen


def _disclosure_time():
    """Fifty minutes ago on a school day; at a weekend, Friday afternoon, when it was heard in class."""
    now = timezone.localtime()
    if now.weekday() < 5:
        return now - timedelta(minutes=50)
    friday = _school_day(now.date())
    return timezone.make_aware(datetime.combine(friday, time(14, 50)))


def _demo_actions(*, story_child: Child) -> None:
    """Actions given to staff about the story's child: one done, one open, one for today."""
    if Action.objects.filter(child=story_child).exists():
        return
    school = story_child.school
    dsl = _school_dsl(school)
    today = timezone.localdate()
    teacher2 = User.objects.get(email="teacher2@northfield.example")
    teacher = User.objects.get(email="teacher@northfield.example")
    done = Action.objects.create(
        school=school,
        child=story_child,
        what="Speak to her mother at pick-up about the new phone and trainers",
        owner=teacher2,
        due_on=_school_day(today - timedelta(days=5)),
        assigned_by=dsl,
        assigned_at=timezone.now() - timedelta(days=8),
    )
    Action.objects.filter(pk=done.pk).update(
        completed_at=timezone.now() - timedelta(days=5),
        completed_by=teacher2,
        completion_note="Mum says the phone came from an uncle; she was not sure which one. Passed to the DSL.",
    )
    Action.objects.create(
        school=school,
        child=story_child,
        what="Check in with her at the start of the day and note who drops her off",
        owner=teacher,
        due_on=today + timedelta(days=(7 - today.weekday()) % 7 or 1),
        assigned_by=dsl,
    )
    Action.objects.create(
        school=school,
        child=story_child,
        what="Update her pastoral support plan with the new signs",
        owner=dsl,
        due_on=today,
        assigned_by=dsl,
    )


def _story_family(child: Child) -> None:
    """What the school's information system holds of the story child's family, as a referral form asks it."""
    if child.carers.exists():
        return
    child.address = "14 Canal Terrace\nNorthfield\nNF4 2QP"
    child.previous_address = "Flat 3, 88 Station Road, Eastwick EW1 5RT (until last summer)"
    child.home_language = "English"
    child.ethnicity = "White British"
    surname = child.legal_last_name
    child.household = f"Jordan {surname}, brother, 17\nKai {surname}, brother, 4"
    child.gp = "Dr A Okafor, Canal Street Surgery, 01632 960 411"
    child.other_agencies = "None known. An early help assessment was offered last year and not taken up."
    child.save()
    Carer.objects.bulk_create(
        [
            Carer(
                child=child,
                position=0,
                name=f"Donna {surname}",
                relationship="Mother",
                parental_responsibility=True,
                phone="07700 900 318",
                email=f"donna.{''.join(ch for ch in surname.lower() if ch.isalpha())}@example.org",
            ),
            Carer(
                child=child,
                position=1,
                name=f"Lee {surname}",
                relationship="Father",
                parental_responsibility=True,
                lives_with_child=False,
                phone="07700 900 752",
                address="Lives in Eastwick; sees the children at weekends",
            ),
        ]
    )


def _demo_referrals(*, story_child: Child, disclosure_child: Child) -> int:
    """Referrals in every state: acknowledged with a decision, escalated, awaiting and overdue, and recent."""
    from referrals.services.agency_referrals import (
        referral_acknowledged,
        referral_create,
        referral_escalate,
        referral_outcome,
    )
    from referrals.services.reviews import decision_record

    made = 0
    plans = (
        (story_child, "social_care", 20, "acknowledged", "section_47"),
        (story_child, "police", 10, "escalated", "nfa_signpost"),
        (disclosure_child, "social_care", 3, "waiting", ""),
    )
    for child, agency, days_ago, state, agency_decision in plans:
        # Seeding again adds nothing: a referral made by an earlier run stays as it is.
        if Referral.objects.filter(child=child, agency=agency).exists():
            continue
        made_at = timezone.now() - timedelta(days=days_ago, hours=2)
        concern = (
            Concern.objects.filter(child=child, status=ConcernStatus.IN_REVIEW, observed_at__lt=made_at)
            .order_by("-observed_at")
            .first()
        )
        if concern is None:
            concern = Concern.objects.filter(child=child).order_by("observed_at").first()
            if concern.status == ConcernStatus.SUBMITTED:
                from referrals.services.reviews import concern_acknowledge

                concern_acknowledge(actor=_school_dsl(child.school), context=None, concern=concern)
        dsl = _school_dsl(child.school)
        decision = decision_record(
            actor=dsl,
            context=None,
            concern=concern,
            outcomes=[agency],
            rationale="Several signs together point to a risk of significant harm; a referral is needed.",
            threshold="child_protection" if agency == "social_care" else "child_in_need",
            relies_on=list(Concern.objects.filter(child=child, observed_at__lt=concern.observed_at)),
            next_review=timezone.localdate() + timedelta(weeks=6),
        )
        referral = referral_create(
            actor=dsl,
            context=None,
            decision=decision,
            agency=agency,
            purpose="To protect the child from significant harm",
            parents_informed=agency != "social_care",
            parents_not_informed_reason="" if agency != "social_care" else "Telling the family could increase the risk",
            shared_child_words=True,
            shared_rationale=True,
            shared_chronology=agency == "social_care",
            lawful_basis="public_task",
            significant_harm="yes" if agency == "social_care" else "unsure",
            immediate_protection=False,
            child_knows="no",
            made_at=made_at,
        )
        if state in ("acknowledged", "escalated"):
            referral_acknowledged(actor=dsl, context=None, referral=referral, by_name="Duty social worker, MASH")
            referral_outcome(actor=dsl, context=None, referral=referral, agency_decision=agency_decision)
        if state == "escalated":
            referral_escalate(
                actor=dsl, context=None, referral=referral, reason="No action taken despite new signs; escalating."
            )
        made += 1
    # What the scheduler would already have sent about them: starting the demo sends no round of chasers.
    now = timezone.now()
    Referral.objects.filter(acknowledged_at__isnull=True, ack_due_at__lte=now, overdue_notified_at=None).update(
        overdue_notified_at=now
    )
    Referral.objects.filter(follow_up_on__lte=timezone.localdate(), follow_up_notified_at=None).update(
        follow_up_notified_at=now
    )
    return made


def _school_dsl(school):
    return Membership.objects.active().get(school=school, role=Role.DSL).user
