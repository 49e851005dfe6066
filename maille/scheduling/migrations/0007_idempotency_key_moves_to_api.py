# The idempotency keys now belong to the API app (api 0001 takes the model, api 0002 renames the table).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0006_demo_records_flagged_fictional"),
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyKey")],
            database_operations=[],
        )
    ]
