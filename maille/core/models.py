"""Cross-cutting records: the audit trail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB = "web", _("interface web")
    PHONE = "phone", _("opérateur téléphonique")
    SITE = "site", _("site de téléconsultation")
    ONLINE = "online", _("en ligne (patient)")
    API = "api", _("API")
    FHIR = "fhir", _("FHIR")
    CLI = "cli", _("ligne de commande")
    SYSTEM = "system", _("système")


_APPOINTMENT_TRANSITIONS = {
    "hold": _("option posée"),
    "book": _("rendez-vous réservé"),
    "confirm": _("rendez-vous confirmé"),
    "reschedule": _("rendez-vous déplacé"),
    "cancel": _("rendez-vous annulé"),
    "expire": _("option expirée"),
    "check_in": _("arrivée du patient"),
    "start": _("téléconsultation commencée"),
    "complete": _("téléconsultation terminée"),
    "no_show": _("patient absent"),
}
_AGENDA_RECORDS = {
    "rule": _("disponibilité"),
    "exception": _("occurrence modifiée"),
    "absence": _("absence"),
    "closure": _("fermeture de site"),
    "reserved": _("plage réservée"),
}
_AGENDA_VERBS = {"create": _("créée"), "update": _("modifiée"), "delete": _("supprimée")}


def _audit_actions() -> list[tuple[str, Any]]:
    """The closed list of audited actions: a new kind of write or read adds its name here."""
    actions: list[tuple[str, Any]] = [
        ("auth.locked_out", _("connexion suspendue après trop d'échecs")),
        ("patient.create", _("dossier patient créé")),
        ("patient.read", _("identité d'un patient consultée")),
        ("patient.search_result", _("patient montré dans une recherche")),
        ("patient.update", _("dossier patient modifié")),
        ("patient.merge", _("doublon fusionné")),
        ("patient.merged_into", _("dossier fusionné dans un autre")),
        ("webhook.subscribe", _("abonnement webhook créé")),
        ("waitlist.add", _("inscription en liste d'attente")),
        ("waitlist.close", _("inscription en liste d'attente close")),
        ("scenario.create", _("scénario enregistré")),
        ("scenario.update", _("scénario modifié")),
        ("scenario.delete", _("scénario supprimé")),
        ("optimisation.request", _("optimisation demandée")),
        ("optimisation.cancel", _("optimisation annulée")),
        ("supply.import", _("offre de soins importée")),
        ("supply.delete", _("offre de soins supprimée")),
        ("referential.draft", _("nouvelle version du référentiel préparée")),
        ("referential.criterion_update", _("critère du référentiel modifié")),
        ("referential.criterion_add", _("critère ajouté au référentiel")),
        ("referential.criterion_withdraw", _("critère retiré du référentiel")),
        ("referential.submit", _("version du référentiel soumise à relecture")),
        ("referential.return", _("version du référentiel renvoyée en brouillon")),
        ("referential.publish", _("version du référentiel publiée")),
        ("assessment.start", _("auto-évaluation commencée")),
        ("assessment.answer", _("réponse d'auto-évaluation enregistrée")),
        ("assessment.evidence_add", _("pièce justificative déposée")),
        ("assessment.evidence_remove", _("pièce justificative retirée")),
        ("assessment.submit", _("auto-évaluation soumise à relecture")),
        ("assessment.review", _("réponse d'auto-évaluation relue")),
        ("assessment.return", _("auto-évaluation renvoyée au site")),
        ("assessment.close", _("auto-évaluation close")),
        ("action.create", _("action qualité créée")),
        ("action.update", _("action qualité modifiée")),
        ("action.status", _("état d'une action qualité changé")),
        ("action.remind", _("rappel d'action qualité en retard envoyé")),
        ("label.request", _("label qualité demandé")),
        ("label.review", _("demande de label mise en instruction")),
        ("label.grant", _("label qualité accordé")),
        ("label.refuse", _("label qualité refusé")),
        ("label.suspend", _("label qualité suspendu")),
        ("label.reinstate", _("label qualité rétabli")),
        ("label.renewed", _("label qualité renouvelé")),
        ("label.expire", _("label qualité expiré")),
        ("charter.draft", _("nouvelle version de la charte préparée")),
        ("charter.update", _("projet de charte modifié")),
        ("charter.publish", _("version de la charte publiée")),
        ("charter.sign", _("charte signée")),
        ("tariff.add", _("nouveau tarif d'un code de facturation")),
        ("acts.import", _("actes importés au registre d'activité")),
        ("survey.campaign", _("enquête auprès des professionnels lancée")),
        ("survey.answer", _("questionnaire de satisfaction rempli")),
        ("survey.hand_at_site", _("questionnaire de satisfaction remis au patient sur le site")),
        ("cost_scenario.create", _("scénario de coûts créé")),
        ("cost_scenario.update", _("scénario de coûts modifié")),
        ("cost_scenario.delete", _("scénario de coûts supprimé")),
    ]
    actions += [(f"appointment.{name}", label) for name, label in _APPOINTMENT_TRANSITIONS.items()]
    actions += [
        (f"scheduling.{kind}.{verb}", format_lazy("{} {}", record, verb_label))
        for kind, record in _AGENDA_RECORDS.items()
        for verb, verb_label in _AGENDA_VERBS.items()
    ]
    return actions


AUDIT_ACTIONS: dict[str, Any] = dict(_audit_actions())


class AuditEvent(models.Model):
    """An immutable row saying who did what to which record, when, through which channel, and why.

    ``details`` never holds patient identity: only field names and non-identifying values.
    """

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=80, choices=list(AUDIT_ACTIONS.items()))  # indexed in Meta
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=64)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEB)
    reason = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        # A plain B-tree on the action (``db_index`` would add a pattern index for LIKE, that nothing asks).
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["action"], name="core_auditevent_action"),
        ]
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_type}#{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("Audit events cannot be deleted (retention is enforced by a dedicated job).")


class RateCounter(models.Model):
    """Requests of one kind from one key (a hashed address or contact) in one fixed window
    (``maille.core.ratelimits``). Moved here from the public pages, which counted them first: its table keeps
    its name."""

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)  # HMAC of the address or contact: no personal data stored
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "public_ratecounter"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key", "window_start"], name="rate_counter_once_per_window"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="public_rate_window__229d6e_idx")]

    def __str__(self) -> str:
        return f"{self.scope} × {self.count}"
