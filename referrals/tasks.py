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


@task()
def export_build_task(*, export_id: int) -> None:
    from referrals.exports import export_build
    from referrals.models import ExportRecord

    try:
        export_build(export_id=export_id)
    except Exception:
        # Shown to the person waiting for it, then raised again so the task is marked failed and logged.
        ExportRecord.objects.filter(pk=export_id).update(failed=True)
        raise


@periodic(every=timedelta(hours=1))
@task()
def exports_expire_task() -> int:
    from referrals.exports import exports_expire

    return exports_expire()
