# The patients' own table and index names, and the audit trail's label for them: past entries said
# "scheduling.patient" for the same records (same ids), so readers of the trail find one type.
from django.db import migrations


def relabel_audit(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditEvent.objects.filter(target_type="scheduling.patient").update(target_type="patients.patient")


def relabel_audit_back(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditEvent.objects.filter(target_type="patients.patient").update(target_type="scheduling.patient")


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0001_initial"),
        ("scheduling", "0008_patients_move_to_their_app"),
        ("core", "0002_audit_action_choices"),
    ]

    operations = [
        migrations.AlterModelTable(name="patient", table=None),
        migrations.RenameIndex(
            model_name="patient", new_name="patient_phone_idx", old_name="scheduling__phone_1543de_idx"
        ),
        migrations.RenameIndex(
            model_name="patient", new_name="patient_identity_idx", old_name="scheduling__name_ke_0f7baa_idx"
        ),
        migrations.RunPython(relabel_audit, relabel_audit_back),
    ]
