# Patients now belong to the patients app (patients 0001 takes the model, 0002 renames its table).
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0001_initial"),
        ("scheduling", "0007_idempotency_key_moves_to_api"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="appointment",
                    name="patient",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="appointments",
                        to="patients.patient",
                    ),
                ),
                migrations.DeleteModel(name="Patient"),
            ],
            database_operations=[],
        )
    ]
