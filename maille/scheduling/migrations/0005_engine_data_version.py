"""A constant-time change token for the slot engine's caches (PostgreSQL).

Every statement that writes one of the tables the engine caches (sites, rooms, roles, availability…)
stamps one row with a fresh value from a sequence. Engine searches read that row (one index lookup)
instead of scanning the tables. A sequence value is never handed out twice, so a value written by a
transaction that rolled back can never come back and validate a cache built from its uncommitted rows.
The table is outside Django's models on purpose: test flushes must not empty it. SQLite has no
statement triggers worth the name and the engine does not cache there.
"""

from django.db import migrations

# Frozen here: `maille.scheduling.engine.resource_cache.cached_tables()` must stay equal (checked by a test).
TABLES = (
    "directory_site",
    "directory_siteuse",
    "scheduling_siteschedulingsettings",
    "directory_room",
    "directory_room_equipment",
    "directory_use",
    "directory_use_required_equipment",
    "directory_networkrole",
    "directory_networkrole_sites",
    "directory_professional",
    "scheduling_usebookingpolicy",
    "scheduling_reservedrange",
    "scheduling_siteclosure",
    "scheduling_absence",
    "scheduling_availabilityrule",
    "scheduling_availabilityexception",
)

CREATE = """
CREATE SEQUENCE maille_engine_data_version_seq;
CREATE TABLE maille_engine_data_version (
    id smallint PRIMARY KEY CHECK (id = 1),
    value bigint NOT NULL
);
INSERT INTO maille_engine_data_version VALUES (1, nextval('maille_engine_data_version_seq'));
CREATE FUNCTION maille_engine_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO maille_engine_data_version VALUES (1, nextval('maille_engine_data_version_seq'))
    ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value;
    RETURN NULL;
END
$$;
"""
DROP = """
DROP FUNCTION IF EXISTS maille_engine_data_changed() CASCADE;
DROP TABLE IF EXISTS maille_engine_data_version;
DROP SEQUENCE IF EXISTS maille_engine_data_version_seq;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER maille_engine_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {schema_editor.quote_name(table)} FOR EACH STATEMENT EXECUTE FUNCTION maille_engine_data_changed()"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0004_webhooks_idempotency"),
        ("directory", "0002_reference_catalogues"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
