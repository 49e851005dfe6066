"""The change stamp "access" moves on any write to accounts_apitoken, accounts_user, accounts_rolegrant (``maille.core.stamps``), PostgreSQL only."""

from django.db import migrations

STAMP, TABLES = "access", ('accounts_apitoken', 'accounts_user', 'accounts_rolegrant')
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
        ("accounts", "0002_initial"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
