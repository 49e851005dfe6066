from django.db import migrations


class Migration(migrations.Migration):
    """The rate counters now belong to core (state only: the table stays)."""

    dependencies = [("public", "0001_initial"), ("core", "0009_ratecounter")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="RateCounter")], database_operations=[])
    ]
