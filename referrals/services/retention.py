"""Keeping records as long as the schedule says (safeguarding.core.retention; REQUIREMENTS.md §9).

`retention_run` applies the short periods: unsent drafts, export files, read notifications, ended sessions, old
sign-in attempts and anonymous tallies, and finished background jobs go. It never deletes a child protection file or
a record of a concern about an adult: those reach a person's review. Running it twice does what running it once does.
"""

from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from referrals.models import Notification
from referrals.services.drafts import drafts_tidy
from referrals.services.exports import exports_expire
from safeguarding.accounts.models import UserSession
from safeguarding.audit.models import AnonymousRequestTally

NOTIFICATION_DAYS = 90
SIGN_IN_ATTEMPT_DAYS = 90
TALLY_DAYS = 90
TASK_RESULT_DAYS = 7


def retention_run(*, now=None) -> dict[str, int]:
    """Apply the schedule's short periods; returns how many rows of each kind went."""
    now = now or timezone.now()
    done = {}
    done.update({f"drafts_{key}": value for key, value in drafts_tidy(now=now).items()})
    done["export_files"] = exports_expire(now=now)
    with transaction.atomic():
        done["notifications"] = Notification.objects.filter(
            read_at__lt=now - timedelta(days=NOTIFICATION_DAYS)
        ).delete()[0]
        done["sessions"] = Session.objects.filter(expire_date__lt=now).delete()[0]
        done["open_sessions"] = UserSession.objects.exclude(
            session_key__in=Session.objects.values("session_key")
        ).delete()[0]
        before = now - timedelta(days=SIGN_IN_ATTEMPT_DAYS)
        done["sign_in_attempts"] = sum(
            model.objects.filter(attempt_time__lt=before).delete()[0]
            for model in (AccessAttempt, AccessLog, AccessFailureLog)
        )
        done["anonymous_tallies"] = AnonymousRequestTally.objects.filter(
            minute__lt=now - timedelta(days=TALLY_DAYS)
        ).delete()[0]
        done["task_results"] = DBTaskResult.objects.filter(
            finished_at__lt=now - timedelta(days=TASK_RESULT_DAYS)
        ).delete()[0]
    return done
