"""The change stamp "webhook_subscriptions" moves on any write to scheduling_webhooksubscription (``maille.core.stamps``), PostgreSQL only."""

from django.db import migrations

TABLE, STAMP = "scheduling_webhooksubscription", "webhook_subscriptions"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE TRIGGER maille_change_stamped AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "
        f"{schema_editor.quote_name(TABLE)} FOR EACH STATEMENT EXECUTE FUNCTION maille_change_stamped('{STAMP}')"
    )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS maille_change_stamped ON {schema_editor.quote_name(TABLE)}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0012_change_stamps"),
        ("scheduling", "0013_engine_snapshot"),
    ]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
