import logging
from datetime import timedelta

from django.tasks import task

from referrals.services.reviews import escalate_overdue
from safeguarding.core.replica import replica_reads_once_caught_up
from safeguarding.core.scheduling import periodic

logger = logging.getLogger(__name__)


@periodic(every=timedelta(minutes=1))
@task()
def concerns_escalate_overdue() -> int:
    return escalate_overdue()


@periodic(every=timedelta(minutes=5))
@task()
def referrals_chase_overdue() -> int:
    from referrals.services.agency_referrals import referrals_overdue_notify

    return referrals_overdue_notify()


@task()
def export_build_task(*, export_id: int) -> None:
    from referrals.services.exports import export_build, export_fail

    try:
        # The referrals may be read from a replica, once it holds the export's own record.
        with replica_reads_once_caught_up():
            export_build(export_id=export_id)
    except Exception as error:
        # Shown to the person waiting and recorded; only this export's file is deleted. The error's own text may
        # hold a child's details, so only its kind is logged and raised on.
        export_fail(export_id=export_id)
        logger.error("Export %s failed: %s", export_id, type(error).__name__)
        raise RuntimeError(f"export {export_id} failed: {type(error).__name__}") from None


@periodic(every=timedelta(hours=1))
@task()
def exports_expire_task() -> int:
    from referrals.services.exports import exports_expire

    return exports_expire()


@periodic(every=timedelta(minutes=5))
@task()
def drafts_remind_task() -> int:
    """Remind authors of drafts left unsent, and then their DSL."""
    from referrals.services.drafts import drafts_remind

    return drafts_remind()


@periodic(every=timedelta(hours=1))
@task()
def drafts_tidy_task() -> dict:
    """Warn about drafts untouched for three weeks and delete them a week later (never one holding a disclosure)."""
    from referrals.services.drafts import drafts_tidy

    return drafts_tidy()


@periodic(every=timedelta(minutes=15))
@task()
def transfers_chase_task() -> dict:
    """Escalate leavers' tasks past their due date; raise a follow-up for files sent and not confirmed received."""
    from referrals.services.transfers import transfers_escalate, transfers_follow_up

    return {"escalated": transfers_escalate(), "followed_up": transfers_follow_up()}


@periodic(every=timedelta(minutes=5))
@task()
def adults_lado_chase_task() -> dict:
    """The LADO clock of each allegation about an adult: the reminder before it runs out, the escalation after."""
    from referrals.services.adults import adults_chase_lado

    return {"sent": adults_chase_lado()}


@periodic(every=timedelta(hours=24))
@task()
def retention_run_task() -> dict:
    """The retention schedule's short periods, once a day."""
    from referrals.services.retention import retention_run

    return retention_run()


@periodic(every=timedelta(hours=1))
@task()
def access_requests_remind_task() -> dict:
    """Reminders a week before a subject access request is due, and a notice once it is overdue."""
    from referrals.services.access_requests import access_requests_remind

    return access_requests_remind()


@periodic(every=timedelta(hours=1))
@task()
def screenings_review_task() -> int:
    """Raise a review task, once, for each child whose latest exploitation screening is three months old while
    concerns continue."""
    from referrals.services.screening import screening_reviews_raise

    return screening_reviews_raise()
