"""The demo's concerns about adults at Northfield: a low-level concern about the teaching assistant, dealt with by
the headteacher, and an allegation about the deputy DSL raised by a form tutor this morning, its LADO clock running.
Made through the real service, so the case manager's notices and the audit trail hold them too. Running it again
adds nothing."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from referrals.models import AdultEntry, AdultRecord, AdultRelation, Child
from referrals.services.adults import Raised, adult_concern_raise, adult_entry_add, adult_record_close
from safeguarding.accounts.models import School, User

NO = {"harmed": False, "offence": False, "risk": False, "unsuitable": False}


def demo_adults_seed(*, schools: dict[str, School]) -> int:
    """Add the demo's concerns about adults unless they are there; returns how many were added."""
    northfield = schools["northfield"]
    if AdultRecord.objects.filter(school=northfield).exists():
        return 0
    head = User.objects.get(email="head@northfield.example")
    tutor = User.objects.get(email="teacher@northfield.example")
    attendance = User.objects.get(email="teacher3@northfield.example")
    assistant = User.objects.get(email="teacher2@northfield.example")
    deputy = User.objects.get(email="deputy@northfield.example")
    pupil = Child.objects.filter(school=northfield, year_group="9").order_by("upn").last()
    today = timezone.localdate()
    with transaction.atomic():
        low_level = adult_concern_raise(
            actor=attendance,
            context=None,
            school=northfield,
            raised=Raised(
                subject_user=assistant,
                subject_name="",
                subject_relation=AdultRelation.STAFF,
                subject_job_title="",
                answers=NO,
                happened_on=today - timedelta(days=12),
                account="Mr Okafor gave his personal mobile number to a Year 10 study group so they could message "
                "him about coursework, and has been replying to them in the evenings.",
                context="After-school study club in the library. He said it was to help them before the mock exams.",
                action_taken="I reminded him that the code of conduct says we use school email and Teams only.",
            ),
        )
        adult_entry_add(
            actor=head,
            context=None,
            adult=low_level,
            kind=AdultEntry.Kind.ACTION,
            happened_on=today - timedelta(days=11),
            text="Met Mr Okafor. He has left the group chat and deleted the pupils' numbers; reminded of the code of "
            "conduct on contact with pupils. No further concern about his intentions.",
        )
        adult_record_close(
            actor=head,
            context=None,
            adult=low_level,
            outcome="",
            summary="Personal mobile number shared with a study group, against the code of conduct.",
            follow_up="",
            actions_and_decisions="Spoken to, left the chat and deleted the numbers; the code of conduct reissued to "
            "all support staff.",
            copy_given_on=None,
        )
        adult_concern_raise(
            actor=tutor,
            context=None,
            school=northfield,
            raised=Raised(
                subject_user=deputy,
                subject_name="",
                subject_relation=AdultRelation.STAFF,
                subject_job_title="",
                answers={**NO, "harmed": True},
                happened_on=today - timedelta(days=1),
                account="At registration a pupil in my form told me that Mr Reid grabbed her by the upper arm in the "
                "Year 9 corridor at lunch yesterday and pulled her out of the lunch queue. She showed me a red mark on "
                "her arm. She said 'he was really angry and it hurt'. I did not ask her anything more.",
                action_taken="Wrote down what she said and came straight to the headteacher's office.",
                children=(pupil,) if pupil else (),
            ),
        )
    return 2
