from django.db import migrations


def load(apps, schema_editor):
    from maille.quality.shipped import load_shipped_referential

    load_shipped_referential(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
