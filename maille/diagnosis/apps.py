from django.apps import AppConfig


class DiagnosisConfig(AppConfig):
    name = "maille.diagnosis"
    label = "diagnosis"
    verbose_name = "Diagnostic et planification"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from maille.core.housekeeping import Job, register

        from .optimiser import fail_abandoned_runs

        register(Job("optimisations_abandoned", _("optimisations abandonnées"), fail_abandoned_runs))
