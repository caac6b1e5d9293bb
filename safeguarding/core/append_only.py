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


def deletable_in_disposal(
    table: str, what: str, *, flag_table: str, function: str | None = None
) -> migrations.RunPython:
    """Let an append-only `table` (made so by `append_only`) have rows deleted while a row stands in `flag_table`,
    which only the transaction of a disposal writes and no other transaction can see; updates, and deletes at any
    other time, are refused as before. Reversed, the table is plainly append-only again."""
    function = function or f"{table}_refuse_change"

    def run(schema_editor, forwards: bool) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            # Our own table names, from the migration: no outside input reaches these statements.
            check = f"EXISTS (SELECT 1 FROM {flag_table})"  # noqa: S608
            allow = f"    IF TG_OP = 'DELETE' AND {check} THEN\n        RETURN OLD;\n    END IF;\n" if forwards else ""
            schema_editor.execute(
                f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{allow}    RAISE EXCEPTION '{what} are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
""",
                params=None,
            )
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete;")
            when = f" WHEN NOT EXISTS (SELECT 1 FROM {flag_table})" if forwards else ""  # noqa: S608
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}{when} "
                f"BEGIN SELECT RAISE(ABORT, '{what} are append-only: DELETE refused'); END;"
            )

    return migrations.RunPython(
        lambda apps, schema_editor: run(schema_editor, True), lambda apps, schema_editor: run(schema_editor, False)
    )
