from django.db import migrations, models


class Migration(migrations.Migration):
    """The rate counters move from the public pages to core (the quality verification page counts too): state
    only, the table ``public_ratecounter`` stays as it is."""

    dependencies = [("core", "0008_charter_audit_actions")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RateCounter",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("scope", models.CharField(max_length=40)),
                        ("key", models.CharField(max_length=64)),
                        ("window_start", models.DateTimeField()),
                        ("count", models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "public_ratecounter",
                        "indexes": [models.Index(fields=["window_start"], name="public_rate_window__229d6e_idx")],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("scope", "key", "window_start"), name="rate_counter_once_per_window"
                            )
                        ],
                    },
                )
            ],
            database_operations=[],
        )
    ]
