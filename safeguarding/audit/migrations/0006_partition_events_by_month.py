"""On PostgreSQL, the audit events' table becomes partitioned by month of `occurred_at` (docs/audit.md, "Partitions").

The rows are carried over into a new partitioned table of the same name, with the same columns, indexes, grants,
append-only triggers and id sequence (its next value unchanged). The partition key must be part of the primary key,
so the database's key becomes (id, occurred_at); Django's model keeps `id` as its key, which stays unique because the
sequence alone hands it out. Seals name events by id with no foreign key (a foreign key cannot point at part of a
key), and verify_audit checks that each sealed event is there.

Two functions, owned by the migrating role and run with its rights (SECURITY DEFINER), let the application's role
make the partitions of months to come without owning the table: `audit_partition_make(month)` (NULL for the default
partition), and `audit_partition_align(partition)`, which gives a partition its parent's grants and a TRUNCATE
trigger (row triggers are cloned from the parent by PostgreSQL; statement triggers are not).

SQLite, the demo's database, keeps the plain table; Django's view of the model is the same either way.
"""

from datetime import UTC, date, datetime

from django.db import migrations

# Months made ahead of the present, as the scheduled job does (safeguarding/audit/partitions.py).
AHEAD_MONTHS = 3

FUNCTIONS = """
CREATE OR REPLACE FUNCTION audit_partition_align(part regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    entry record;
BEGIN
    -- A partition can be named directly, so it carries its parent's grants, and refuses TRUNCATE as its parent does.
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = part AND tgname = 'audit_partition_no_truncate') THEN
        EXECUTE format('CREATE TRIGGER audit_partition_no_truncate BEFORE TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()', part);
    END IF;
    FOR entry IN
        SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = part AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('REVOKE ALL ON %s FROM %s', part,
                       CASE WHEN entry.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(entry.grantee)) END);
    END LOOP;
    FOR entry IN
        SELECT a.grantee, a.privilege_type FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid = 'audit_auditevent'::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT %s ON %s TO %s', entry.privilege_type, part,
                       CASE WHEN entry.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(entry.grantee)) END);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION audit_partition_make(month date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    name text := 'audit_auditevent_default';
    bounds text := 'DEFAULT';
BEGIN
    IF month IS NOT NULL THEN
        IF month <> date_trunc('month', month)::date THEN
            RAISE EXCEPTION 'a month''s partition starts on the first of the month, not on %', month;
        END IF;
        name := 'audit_auditevent_p' || to_char(month, 'YYYYMM');
        bounds := format('FOR VALUES FROM (%L) TO (%L)', month::timestamp AT TIME ZONE 'UTC',
                         (month + interval '1 month')::timestamp AT TIME ZONE 'UTC');
    END IF;
    IF to_regclass(name) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF audit_auditevent %s', name, bounds);
    END IF;
    PERFORM audit_partition_align(name::regclass);
    RETURN name;
END
$$;
"""

_GRANTEE = "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END"
GRANTS = (
    f"SELECT {_GRANTEE}, a.privilege_type FROM pg_class c, aclexplode(c.relacl) a "  # noqa: S608
    "WHERE c.oid = %s::regclass AND a.grantee <> c.relowner"
)


def _add_months(month: date, count: int) -> date:
    year, index = divmod(month.year * 12 + month.month - 1 + count, 12)
    return date(year, index + 1, 1)


def _months(first: date, last: date) -> list[date]:
    months = [first]
    while months[-1] < last:
        months.append(_add_months(months[-1], 1))
    return months


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        cursor.execute(FUNCTIONS.format(schema=cursor.fetchone()[0]))
        cursor.execute("LOCK TABLE audit_auditevent IN ACCESS EXCLUSIVE MODE")
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'audit_auditevent' "
            "AND indexname <> 'audit_auditevent_pkey' ORDER BY indexname"
        )
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT pg_get_serial_sequence('audit_auditevent', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute(GRANTS, ["audit_auditevent"])
        grants = cursor.fetchall()
        cursor.execute(GRANTS, [sequence])
        sequence_grants = cursor.fetchall()
        cursor.execute(
            "SELECT GREATEST(COALESCE(pg_sequence_last_value(%s::regclass), 0), COALESCE(max(id), 0)), "
            "min(occurred_at) FROM audit_auditevent",
            [sequence],
        )
        last_id, earliest = cursor.fetchone()
        cursor.execute("ALTER TABLE audit_auditevent RENAME TO audit_auditevent_unpartitioned")
        cursor.execute(
            "CREATE TABLE audit_auditevent (LIKE audit_auditevent_unpartitioned INCLUDING CONSTRAINTS) "
            "PARTITION BY RANGE (occurred_at)"
        )
        now = datetime.now(UTC)
        first = (earliest or now).astimezone(UTC).date().replace(day=1)
        last = _add_months(now.date().replace(day=1), AHEAD_MONTHS)
        for month in [*_months(first, last), None]:
            cursor.execute("SELECT audit_partition_make(%s)", [month])
        cursor.execute("INSERT INTO audit_auditevent SELECT * FROM audit_auditevent_unpartitioned")
        cursor.execute("DROP TABLE audit_auditevent_unpartitioned")  # and its identity sequence
        cursor.execute("CREATE SEQUENCE audit_auditevent_id_seq OWNED BY audit_auditevent.id")
        cursor.execute("SELECT setval('audit_auditevent_id_seq', %s, %s)", [max(last_id, 1), last_id > 0])
        cursor.execute("ALTER TABLE audit_auditevent ALTER COLUMN id SET DEFAULT nextval('audit_auditevent_id_seq')")
        cursor.execute(
            "ALTER TABLE audit_auditevent ADD CONSTRAINT audit_auditevent_pkey PRIMARY KEY (id, occurred_at)"
        )
        for statement in indexes:
            cursor.execute(statement)
        cursor.execute(
            "CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE ON audit_auditevent "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
        cursor.execute(
            "CREATE TRIGGER audit_auditevent_no_truncate BEFORE TRUNCATE ON audit_auditevent "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
        )
        for grantee, privilege in grants:
            cursor.execute(f"GRANT {privilege} ON audit_auditevent TO {grantee}")
        for grantee, privilege in sequence_grants:
            cursor.execute(f"GRANT {privilege} ON SEQUENCE audit_auditevent_id_seq TO {grantee}")
        cursor.execute(
            "SELECT audit_partition_align(inhrelid::regclass) FROM pg_inherits "
            "WHERE inhparent = 'audit_auditevent'::regclass"
        )


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_second_factor_events")]

    # Backwards, the table stays partitioned: Django's view of it is the same either way.
    operations = [migrations.RunPython(partition, migrations.RunPython.noop)]
