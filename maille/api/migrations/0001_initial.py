# The idempotency keys moved here from the scheduling app (issue 11: they belong to the API). The table
# already exists (scheduling 0004): this migration only takes the model into the API's state; 0002 renames
# the table.
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("scheduling", "0006_demo_records_flagged_fictional"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IdempotencyKey",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=255)),
                        ("method", models.CharField(max_length=8)),
                        ("path", models.CharField(max_length=500)),
                        ("request_hash", models.CharField(max_length=64)),
                        ("status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("content_type", models.CharField(blank=True, max_length=100)),
                        ("response_body", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField()),
                        ("expires_at", models.DateTimeField(db_index=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "clé d'idempotence",
                        "verbose_name_plural": "clés d'idempotence",
                        "db_table": "scheduling_idempotencykey",
                        "constraints": [
                            models.UniqueConstraint(fields=("user", "key"), name="idempotency_key_once_per_user")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
