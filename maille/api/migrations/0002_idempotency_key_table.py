from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("scheduling", "0007_idempotency_key_moves_to_api"),
    ]

    operations = [migrations.AlterModelTable(name="idempotencykey", table=None)]
