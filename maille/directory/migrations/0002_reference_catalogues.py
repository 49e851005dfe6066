from django.db import migrations


def load(apps, schema_editor):
    from maille.directory.reference_data import load_reference_data

    load_reference_data(
        apps.get_model("directory", "EquipmentType"),
        apps.get_model("directory", "Specialty"),
        apps.get_model("directory", "Use"),
    )


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
