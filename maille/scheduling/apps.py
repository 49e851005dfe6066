from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "maille.scheduling"
    label = "scheduling"
    verbose_name = "Agendas et réservations"

    def ready(self) -> None:
        from maille.core.housekeeping import register

        from .housekeeping import JOBS

        register(*JOBS)
