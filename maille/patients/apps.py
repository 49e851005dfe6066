from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "maille.patients"
    label = "patients"
    verbose_name = "Patients"
