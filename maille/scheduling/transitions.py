"""The appointment lifecycle: transition checks, the transition log and its audit row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from maille.core.audit import audit_record
from maille.core.errors import ConflictError
from maille.core.queries import insert_rows

from .models import TRANSITIONS, Appointment, AppointmentTransition
from .webhooks import transition_logged

REFUSALS = {
    "book": _("Seule une option en cours peut être réservée."),
    "confirm": _("Seul un rendez-vous réservé peut être confirmé."),
    "reschedule": _("Ce rendez-vous ne peut plus être déplacé."),
    "cancel": _("Ce rendez-vous ne peut plus être annulé."),
    "expire": _("Seule une option en cours peut expirer."),
    "check_in": _("L'arrivée ne peut être enregistrée que pour un rendez-vous réservé ou confirmé."),
    "start": _("La téléconsultation ne peut commencer qu'après l'arrivée du patient."),
    "complete": _("Seule une téléconsultation en cours peut être terminée."),
    "no_show": _("Seul un rendez-vous réservé ou confirmé peut être noté « patient absent »."),
}


# Apps above scheduling that act on transitions (notifications) register here from their ``AppConfig.ready``;
# each is called inside the service's transaction, right after the log row is written, so that what it
# records (messages to send) commits or rolls back with the transition.
_subscribers: dict[str, Callable[[AppointmentTransition], None]] = {}


def subscribe_to_transitions(name: str, callback: Callable[[AppointmentTransition], None]) -> None:
    """Register ``callback`` (idempotent per name: ``ready()`` may run twice in tests)."""
    _subscribers[name] = callback


def log_transition(
    appointment: Appointment, *, name: str, from_status: str, actor: Any, channel: str, reason: str
) -> None:
    [transition] = insert_rows(
        [
            AppointmentTransition(
                appointment=appointment,
                name=name,
                from_status=from_status,
                to_status=appointment.status,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                channel=channel,
                reason=reason[:300],
            )
        ]
    )
    audit_record(
        actor=actor,
        action=f"appointment.{name}",
        target=appointment,
        channel=channel,
        reason=reason,
        details={"from": from_status, "to": appointment.status},
    )
    # The booking events of the webhooks come from here, in the same transaction (an outbox).
    transition_logged(transition)
    for callback in _subscribers.values():
        callback(transition)


def locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().get(pk=appointment.pk)


def check_transition(appointment: Appointment, name: str) -> str:
    sources, target = TRANSITIONS[name]
    if appointment.status not in sources:
        raise ConflictError(
            str(REFUSALS[name]),
            code="illegal_transition",
            details={"status": appointment.status, "transition": name},
        )
    return target
