from django.db import migrations

from maille.evaluation.shipped import load_shipped_tariffs


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(load_shipped_tariffs, migrations.RunPython.noop)]
