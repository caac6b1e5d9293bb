from datetime import timedelta

from django.tasks import task

from referrals.services.reviews import escalate_overdue
from safeguarding.core.scheduling import periodic


@periodic(every=timedelta(minutes=1))
@task()
def concerns_escalate_overdue() -> int:
    return escalate_overdue()


@periodic(every=timedelta(minutes=5))
@task()
def referrals_chase_overdue() -> int:
    from referrals.services.agency_referrals import referrals_overdue_notify

    return referrals_overdue_notify()
