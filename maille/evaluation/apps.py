from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "maille.evaluation"
    label = "evaluation"
    verbose_name = "Évaluation"

    def ready(self) -> None:
        from maille.core.housekeeping import Job, register
        from maille.scheduling.transitions import subscribe_to_transitions

        from .cells import refresh_indicator_cells
        from .ledger import act_for_transition, acts_backfill
        from .surveys import invitation_for_transition

        # A completion writes its act in the same transaction (scheduling calls us, without importing us).
        subscribe_to_transitions("evaluation", act_for_transition)
        # ... and invites its patient to the satisfaction survey (with its message in the outbox).
        subscribe_to_transitions("evaluation_surveys", invitation_for_transition)
        register(
            Job("evaluation_acts_backfill", _("actes enregistrés au registre d'activité"), acts_backfill),
            # past months whose acts or appointments changed: their indicator cells built again
            Job("evaluation_indicator_cells", _("mois d'indicateurs recalculés"), refresh_indicator_cells),
        )
