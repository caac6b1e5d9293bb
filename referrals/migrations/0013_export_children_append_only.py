"""The children an export covered are written once, when it starts, and never changed: database triggers refuse
UPDATE, DELETE and TRUNCATE on the link table (UPDATE and DELETE on SQLite), as they do on the audit tables, so
that a child cannot quietly be taken off the list of exports that included them. As there, a PostgreSQL superuser
can still switch triggers off (the documented way for tests to empty tables); the application's role cannot."""

from django.db import migrations

TABLE = "referrals_exportrecord_children"

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION export_children_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the children an export covered are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION export_children_refuse_change();
CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION export_children_refuse_change();
"""

POSTGRESQL_REVERSE = f"""
DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};
DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};
DROP FUNCTION IF EXISTS export_children_refuse_change();
"""

SQLITE = [
    f"CREATE TRIGGER {TABLE}_no_{kind} BEFORE {kind.upper()} ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, 'the children an export covered are append-only: {kind.upper()} refused'); END;"
    for kind in ("update", "delete")
]

SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {TABLE}_no_{kind};" for kind in ("update", "delete")]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0012_concern_open_queue_index")]

    operations = [migrations.RunPython(install, remove)]
