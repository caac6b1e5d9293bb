from django.db import migrations, models

# The indexes Django named for db_index=True on these columns; dropped by name so that SQLite, where changing a
# field rebuilds the table, keeps the append-only triggers of 0002.
DROPPED = ("audit_auditevent_child_uuid_90c0a688", "audit_auditevent_school_uuid_505de071")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [
        # The child's events in time order: replaces the index on child_uuid alone, which it starts with.
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["child_uuid", "occurred_at", "id"], name="audit_event_child_time"),
        ),
        # The index on (school_uuid, occurred_at) serves every look-up by school: one index fewer to write with
        # each event.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="child_uuid",
                    field=models.UUIDField(blank=True, null=True),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="school_uuid",
                    field=models.UUIDField(blank=True, null=True),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    [f"DROP INDEX IF EXISTS {name}" for name in DROPPED],
                    reverse_sql=[
                        "CREATE INDEX audit_auditevent_child_uuid_90c0a688 ON audit_auditevent (child_uuid)",
                        "CREATE INDEX audit_auditevent_school_uuid_505de071 ON audit_auditevent (school_uuid)",
                    ],
                ),
            ],
        ),
    ]
