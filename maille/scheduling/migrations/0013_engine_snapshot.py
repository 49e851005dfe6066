"""A table where the slot engine's caches are shared between server processes (PostgreSQL).

See ``maille.scheduling.engine.snapshot``. Outside Django's models like the change stamp (migration 0005):
test flushes must not touch it, and its rows are keyed by stamps that are never reused. The payload is
stored out of line without compression: it is written once per change and read by every process, and
PostgreSQL's compression of megabytes of integers would cost each read more than it saves.
"""

from django.db import migrations

CREATE = """
CREATE TABLE maille_engine_snapshot (
    key text PRIMARY KEY,
    token bigint NOT NULL,
    day date,
    payload bytea NOT NULL
);
ALTER TABLE maille_engine_snapshot ALTER COLUMN payload SET STORAGE EXTERNAL;
"""


def create_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TABLE IF EXISTS maille_engine_snapshot")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0012_appointment_report_and_follow_up")]

    operations = [migrations.RunPython(create_table, drop_table)]
