"""The change stamp "notification_policies" moves on any write to notifications_notificationpolicy (``maille.core.stamps``), PostgreSQL only."""

from django.db import migrations

STAMP, TABLES = "notification_policies", ('notifications_notificationpolicy',)
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
        ("notifications", "0004_survey_messages"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
