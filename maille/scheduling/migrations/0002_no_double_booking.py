"""No resource double-booked, enforced by PostgreSQL (see docs/adr/0003-no-double-booking.md).

On SQLite this migration does nothing: write transactions are serialised (transaction_mode=IMMEDIATE)
and the booking service checks overlaps inside its transaction.
"""

from django.db import migrations

CONSTRAINT = "resource_booking_no_overlap"


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that runs only when the database is PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [
        PostgresOnlySQL(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS btree_gist",
                f"ALTER TABLE scheduling_resourcebooking ADD CONSTRAINT {CONSTRAINT} "
                "EXCLUDE USING gist (resource_key WITH =, tstzrange(starts_at, ends_at) WITH &&)",
            ],
            reverse_sql=[f"ALTER TABLE scheduling_resourcebooking DROP CONSTRAINT {CONSTRAINT}"],
        ),
    ]
