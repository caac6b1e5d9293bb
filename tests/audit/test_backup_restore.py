"""scripts/backup.py: a dump restores into a fresh database and its audit trail verifies against the anchor saved
with it; a tampered trail or a changed backup file does not pass."""

import json

import pytest
from django.db import connection

from safeguarding.audit.chain import seal
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record
from tests.concerns import concern_by
from tests.factories import ChildFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "audit"])]


@pytest.fixture
def backup(run_python, settings, tmp_path):
    """Run the backup script against the test database, as the site's environment would."""
    settings.AUDIT_ANCHOR_PATH = tmp_path / "site-anchor.json"

    def run(*args):
        environment = {
            "PGDATABASE": connection.settings_dict["NAME"],
            "DATABASE_URL": None,
            "AUDIT_ANCHOR_PATH": str(settings.AUDIT_ANCHOR_PATH),
        }
        return run_python("", environment, "scripts/backup.py", *args)

    return run


@pytest.fixture
def school_with_history(world):
    child = ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")
    concern_by(world.teacher, child, with_file=False)
    for _ in range(5):
        record(EventType.VIEW, user=world.dsl, school=world.northfield, object_type="concern")
    return world


def the_dump(directory, number=0):
    return sorted(directory.glob("*.dump"))[number]


def restored_databases():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [connection.settings_dict["NAME"] + "_restore_%"]
        )
        return cursor.fetchall()


def test_a_dump_restores_and_its_trail_verifies_against_the_anchor_saved_with_it(school_with_history, backup, tmp_path):
    made = backup("dump", str(tmp_path / "backups"))
    assert made.returncode == 0, made.stderr
    dump = the_dump(tmp_path / "backups")
    anchor = json.loads(dump.with_suffix(".anchor.json").read_text())
    assert anchor["sequence"] >= 6

    checked = backup("restore-check", str(dump))

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"Audit trail intact: {anchor['sequence']} events checked" in checked.stdout
    assert f"matches the anchor at sequence {anchor['sequence']}" in checked.stdout
    assert "Restore check passed." in checked.stdout
    assert restored_databases() == []


def test_a_trail_altered_before_the_dump_fails_the_restore_check(school_with_history, backup, tmp_path):
    seal()
    with connection.cursor() as cursor:  # around the triggers, as someone holding the superuser could
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "UPDATE audit_auditevent SET reason = 'nothing' WHERE id = (SELECT min(id) FROM audit_auditevent)"
        )
        cursor.execute("SET session_replication_role = DEFAULT")
    assert backup("dump", str(tmp_path / "backups")).returncode == 0

    checked = backup("restore-check", str(the_dump(tmp_path / "backups")))

    assert checked.returncode == 1
    assert "Audit trail FAILED verification: altered: event" in checked.stdout
    assert "Restore check passed." not in checked.stdout
    assert restored_databases() == []


def test_a_changed_anchor_file_is_caught_before_restoring(school_with_history, backup, tmp_path):
    assert backup("dump", str(tmp_path / "backups")).returncode == 0
    dump = the_dump(tmp_path / "backups")
    anchor = dump.with_suffix(".anchor.json")
    anchor.write_text(anchor.read_text().replace('"sequence": ', '"sequence": 1'))

    checked = backup("restore-check", str(dump))

    assert checked.returncode == 1
    assert "does not match its checksum" in checked.stderr
    assert "Created the empty database" not in checked.stdout


def test_no_dump_is_taken_while_the_sealer_refuses(school_with_history, backup, tmp_path, settings):
    seal()
    settings.AUDIT_ANCHOR_PATH.unlink()  # lost: the chain in the database no longer carries on from an anchor

    made = backup("dump", str(tmp_path / "backups"))

    assert made.returncode == 1
    assert "FAILED: Sealing refused: the database holds seals up to sequence" in made.stderr
    assert not list((tmp_path / "backups").glob("*.dump"))
