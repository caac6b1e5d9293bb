"""Append-only tables: database triggers that refuse UPDATE, DELETE and TRUNCATE (UPDATE and DELETE on SQLite).

A migration adds them with `append_only(table, what)`. As on the audit tables, a PostgreSQL superuser can still
switch triggers off (session_replication_role = replica, the documented way for tests to empty tables); the
application's role cannot. Keep this module's output stable: migrations call it."""

from django.db import migrations


def _postgresql(table: str, what: str) -> tuple[str, str]:
    function = f"{table}_refuse_change"
    install = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{what} are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""
    remove = f"""
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
DROP FUNCTION IF EXISTS {function}();
"""
    return install, remove


def _sqlite(table: str, what: str) -> tuple[list[str], list[str]]:
    kinds = ("update", "delete")
    install = [
        f"CREATE TRIGGER {table}_no_{kind} BEFORE {kind.upper()} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{what} are append-only: {kind.upper()} refused'); END;"
        for kind in kinds
    ]
    return install, [f"DROP TRIGGER IF EXISTS {table}_no_{kind};" for kind in kinds]


def append_only(table: str, what: str) -> migrations.RunPython:
    """The migration operation that makes `table` append-only; `what` names its rows in the refusal message."""

    def run(schema_editor, forwards: bool) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            install, remove = _postgresql(table, what)
            schema_editor.execute(install if forwards else remove, params=None)
        elif vendor == "sqlite":
            install, remove = _sqlite(table, what)
            for statement in install if forwards else remove:
                schema_editor.execute(statement)

    return migrations.RunPython(
        lambda apps, schema_editor: run(schema_editor, True), lambda apps, schema_editor: run(schema_editor, False)
    )
