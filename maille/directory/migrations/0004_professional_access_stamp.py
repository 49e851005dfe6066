"""The change stamp "access" moves on any write to directory_professional (``maille.core.stamps``), PostgreSQL only."""

from django.db import migrations

STAMP, TABLES = "access", ('directory_professional',)
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
        ("directory", "0003_use_change_stamp"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
