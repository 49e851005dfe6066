from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "maille.quality"
    label = "quality"
    verbose_name = "Qualité"

    def ready(self) -> None:
        from maille.core.housekeeping import Job, register
        from maille.directory.attestations import register_site_attestations

        from .actions import send_overdue_reminders
        from .labels import expire_labels, label_attestations

        # The directory shows a site's label in force (its pages, /api/v1, FHIR) without importing this app.
        register_site_attestations("quality-label", label_attestations)
        register(
            Job("quality_action_reminders", _("rappels d'actions qualité en retard"), send_overdue_reminders),
            Job("quality_labels_expire", _("labels qualité expirés"), expire_labels),
        )
