from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "maille.quality"
    label = "quality"
    verbose_name = "Qualité"

    def ready(self) -> None:
        from maille.core.housekeeping import Job, register

        from .actions import send_overdue_reminders

        register(
            Job("quality_action_reminders", _("rappels d'actions qualité en retard"), send_overdue_reminders)
        )
