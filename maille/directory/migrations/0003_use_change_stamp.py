"""The change stamp "uses" moves on any write to directory_use (``maille.core.stamps``), PostgreSQL only."""

from django.db import migrations

STAMP, TABLES = "uses", ('directory_use',)
TRIGGER = f"maille_stamp_{STAMP}"


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {schema_editor.quote_name(table)} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION maille_change_stamped('{STAMP}')"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {schema_editor.quote_name(table)}")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0012_change_stamps"),
        ("directory", "0002_reference_catalogues"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
