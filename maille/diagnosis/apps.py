from django.apps import AppConfig


class DiagnosisConfig(AppConfig):
    name = "maille.diagnosis"
    label = "diagnosis"
    verbose_name = "Diagnostic et planification"
