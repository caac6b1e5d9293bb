import pytest
from django.db import DatabaseError, connection, transaction

from safeguarding.audit.events import EventType
from safeguarding.audit.models import AppendOnlyError, AuditEvent, AuditSeal
from safeguarding.audit.record import AuditWriteOutsideTransaction, record


@pytest.fixture
def event(db):
    return record(EventType.VIEW, object_type="page", reason="test")


def test_an_event_cannot_be_changed_or_deleted_through_the_model(event):
    event.reason = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET reason = 'changed'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
        "UPDATE audit_auditseal SET hash = 'x'",
        "DELETE FROM audit_auditseal",
        "TRUNCATE audit_auditseal",
    ],
)
def test_postgresql_refuses_update_delete_and_truncate(event, statement):
    from safeguarding.audit.chain import seal

    seal()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    assert AuditEvent.objects.filter(pk=event.pk, reason="test").exists()
    assert AuditSeal.objects.filter(event_id=event.pk).exists()


def test_sqlite_refuses_update_and_delete(run_python, tmp_path):
    code = """
import django, sys
django.setup()
from django.core.management import call_command
from django.db import connection, DatabaseError
call_command("migrate", verbosity=0)
with connection.cursor() as cursor:
    cursor.execute("INSERT INTO audit_auditevent (occurred_at, event_type, outcome, role, session_hash, user_agent,"
                   " request_id, method, route, object_type, shown_ids, search_hash, reason, detail)"
                   " VALUES ('2026-01-01', 'view', 'allowed', '', '', '', '', '', '', '', '[]', '', 'x', '{}')")
    for statement in ("UPDATE audit_auditevent SET reason = 'y'", "DELETE FROM audit_auditevent"):
        try:
            cursor.execute(statement)
            print("allowed:", statement)
        except DatabaseError as error:
            print("refused:", error)
    cursor.execute("SELECT count(*), max(reason) FROM audit_auditevent")
    print("rows:", cursor.fetchone())
"""
    env = {
        "DJANGO_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path}/audit.sqlite3",
        "PGHOST": None,
        "PGDATABASE": None,
    }
    result = run_python(code, env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("refused: the audit trail is append-only") == 2
    assert "rows: (1, 'x')" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_a_change_event_must_share_the_changes_transaction():
    with pytest.raises(AuditWriteOutsideTransaction):
        record(EventType.UPDATE, object_type="child_roster")


def test_an_event_type_outside_the_closed_list_is_refused(db):
    with pytest.raises(ValueError, match="not a valid EventType"):
        record("peeked", object_type="page")


def test_the_documented_application_role_may_only_insert_and_select_audit_rows(event):
    """The grants of docs/deployment.md, tried for real: the application's role cannot change the trail even
    with the triggers out of the picture."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE safeguard_app_test NOLOGIN")
        cursor.execute("GRANT USAGE ON SCHEMA public TO safeguard_app_test")
        cursor.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO safeguard_app_test")
        cursor.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO safeguard_app_test")
        cursor.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent, audit_auditseal FROM safeguard_app_test")
        cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off: only the grants decide
        cursor.execute("SET LOCAL ROLE safeguard_app_test")
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        with transaction.atomic():
            record(EventType.VIEW, object_type="page")
        for statement in ("UPDATE audit_auditevent SET reason = 'x'", "DELETE FROM audit_auditevent"):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                cursor.execute(statement)
        cursor.execute("RESET ROLE")
