from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "maille.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from maille.core.housekeeping import register

        from .housekeeping import JOBS

        register(*JOBS)
