"""`retention_run` applies the schedule's short periods, and running it again changes nothing."""

from datetime import timedelta
from io import StringIO

from axes.models import AccessAttempt
from django.core.management import call_command
from django.utils import timezone

from referrals.models import ConcernDraft, ExportRecord, Notification
from referrals.services.concerns import draft_for
from referrals.services.retention import retention_run
from tests.factories import ChildFactory, ExportRecordFactory, NotificationFactory
from tests.stored import export_file as export_file_path


def test_retention_run_removes_what_is_past_its_period_and_a_second_run_does_nothing(world, settings, tmp_path):
    now = timezone.now()
    old_draft = draft_for(author=world.teacher, school=world.northfield)
    ConcernDraft.objects.filter(pk=old_draft.pk).update(updated_at=now - timedelta(days=40))
    fresh_draft = draft_for(author=world.teacher2, school=world.northfield)
    export_file_path("old.csv").write_bytes(b"UPN,concerns\n")
    old_export = ExportRecordFactory(
        user=world.dsl, school=world.northfield, file_name="old.csv", expires_at=now - timedelta(hours=1)
    )
    for days in (100, 1):
        attempt = AccessAttempt.objects.create(
            username=f"someone{days}@safeguard.example", ip_address="127.0.0.1", failures_since_start=1
        )
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=now - timedelta(days=days))
    read_long_ago = NotificationFactory(recipient=world.dsl, school=world.northfield, read_at=now - timedelta(days=91))
    unread = NotificationFactory(
        recipient=world.dsl, school=world.northfield, child=ChildFactory(school=world.northfield)
    )

    first = retention_run(now=now)

    assert not ConcernDraft.objects.filter(pk=old_draft.pk).exists()
    assert ConcernDraft.objects.filter(pk=fresh_draft.pk).exists()
    assert not export_file_path("old.csv").exists()
    assert ExportRecord.objects.get(pk=old_export.pk).file_name == ""  # the record of the export stays
    assert AccessAttempt.objects.count() == 1
    assert not Notification.objects.filter(pk=read_long_ago.pk).exists()
    assert Notification.objects.filter(pk=unread.pk).exists()
    assert first["drafts_deleted"] == 1 and first["export_files"] == 1 and first["sign_in_attempts"] == 1

    second = retention_run(now=now)
    assert set(second.values()) == {0}

    out = StringIO()
    call_command("retention_run", stdout=out)
    assert "export files: 0" in out.getvalue()
