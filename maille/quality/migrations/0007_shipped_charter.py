from django.db import migrations


def load(apps, schema_editor):
    from maille.quality.shipped import load_shipped_charter, mark_checked_criteria

    load_shipped_charter(apps=apps)
    mark_checked_criteria(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("quality", "0006_charter")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
