import os
import subprocess
import sys
from pathlib import Path

import pytest

from safeguarding.settings_defaults import DEFAULT_DEMO_PASSWORD, DEFAULT_DEMO_TOTP_SECRET

ROOT = Path(__file__).resolve().parent.parent
# The demo accounts' password and authenticator secret, as the tests expect them whatever the caller's environment.
DEMO_SIGN_INS = {"DEMO_PASSWORD": DEFAULT_DEMO_PASSWORD, "DEMO_TOTP_SECRET": DEFAULT_DEMO_TOTP_SECRET}


@pytest.fixture
def run_python():
    """Run Python code in a fresh interpreter with the project's settings and a chosen environment.

    Settings are read once at start-up, so anything that depends on the environment at start-up
    (production mode, a missing secret, another database) is tested in its own process.
    """

    def run(code: str, env: dict[str, str | None], *args: str) -> subprocess.CompletedProcess:
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "safeguarding.settings", **DEMO_SIGN_INS}
        for name, value in env.items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        command = [sys.executable, "-c", code, *args] if code else [sys.executable, *args]
        return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)

    return run


@pytest.fixture(autouse=True)
def demo_sign_ins_are_the_defaults(settings):
    """`make test` passes with DEMO_PASSWORD and DEMO_TOTP_SECRET set to anything: the demo is seeded with these."""
    for name, value in DEMO_SIGN_INS.items():
        setattr(settings, name, value)


@pytest.fixture
def world(db):
    from tests.personas import build_world

    return build_world()


@pytest.fixture
def run_tasks(monkeypatch):
    """Run every queued background task now, with the worker's own code, inside the test's transaction.

    The worker closes connections that are not in autocommit between tasks; in a test that would close
    the test's own transaction, so that one step is skipped here.
    """
    from django.core.management import call_command

    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)

    def run():
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*", verbosity=0)

    return run


@pytest.fixture(autouse=True)
def audit_through_the_test_connection(settings):
    """In tests every audit event goes through the test's own connection, so it is rolled back with the test.

    The separate autocommit connection used in production is exercised by the tests that ask for it
    (`audit_connection`), which run outside a test transaction.
    """
    settings.AUDIT_DB_ALIAS = "default"


@pytest.fixture
def audit_connection(settings):
    settings.AUDIT_DB_ALIAS = "audit"


@pytest.fixture(scope="session", autouse=True)
def flush_audit_tables_with_triggers_off():
    """The documented way for tests to empty the append-only audit tables (docs/audit.md).

    Tests that commit (transaction=True) are cleaned up by TRUNCATE, which the audit triggers refuse. The test
    database is owned by a superuser, who may run the flush with triggers off; the application's production role
    is not a superuser and cannot.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with self.connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            original(self, sql_list)
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original


@pytest.fixture(autouse=True)
def audit_anchor_in_a_temporary_folder(settings, tmp_path):
    """Each test has its own anchor file: the sealer starts from the anchor it last wrote, so an anchor left by one
    test would refuse (or pass) another test's chain."""
    settings.AUDIT_ANCHOR_PATH = tmp_path / "audit-anchor.json"
