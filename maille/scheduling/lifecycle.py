"""Lifecycle services after booking: confirm, cancel, check-in, start, complete, no-show.

Keyword-only, one durable transaction each, transition log and audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.core.errors import DomainError

from .models import SENT_REPORT_CHANNELS, Appointment, AppointmentStatus, ReportChannel
from .transitions import check_transition, locked, log_transition


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _simple_transition(appointment: Appointment, name: str, **options: Any) -> Appointment:
    return _apply_transition(locked(appointment), name, **options)


def _apply_transition(
    appointment: Appointment,
    name: str,
    *,
    actor: Any,
    channel: str,
    reason: str = "",
    fields: dict[str, Any] | None = None,
    release: bool = False,
) -> Appointment:
    """The transition on an appointment already locked by the caller's transaction."""
    from_status = appointment.status
    appointment.status = check_transition(appointment, name)
    for field_name, value in (fields or {}).items():
        setattr(appointment, field_name, value)
    appointment.save(update_fields=["status", *(fields or {})])
    if release:
        appointment.resource_bookings.all().delete()
    log_transition(
        appointment, name=name, from_status=from_status, actor=actor, channel=channel, reason=reason
    )
    return appointment


@transaction.atomic(durable=True)
def hold_release(*, actor: Any, channel: str, hold: Appointment, reason: str = "") -> Appointment:
    """Give up one's own hold: its slot is free again at once."""
    hold = locked(hold)
    if hold.status != AppointmentStatus.HELD:
        raise DomainError(_("Ce rendez-vous n'est pas une option en cours."), code="not_a_hold")
    if not hold.is_held_by(actor):
        raise DomainError(_("Cette option a été posée par quelqu'un d'autre."), code="foreign_hold")
    fields = {"cancel_reason": (reason or _("option relâchée"))[:300], "cancelled_by": _person(actor)}
    return _apply_transition(
        hold,
        "cancel",
        actor=actor,
        channel=channel,
        reason=fields["cancel_reason"],
        fields=fields,
        release=True,
    )


def _person(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


@transaction.atomic(durable=True)
def appointment_confirm(*, actor: Any, channel: str, appointment: Appointment) -> Appointment:
    return _simple_transition(appointment, "confirm", actor=actor, channel=channel)


@transaction.atomic(durable=True)
def appointment_cancel(
    *, actor: Any, channel: str, appointment: Appointment, reason: str, by_patient: bool = False
) -> Appointment:
    """Cancel with a reason; the resources are free again at once."""
    if not reason.strip():
        raise DomainError(_("Indiquez le motif de l'annulation."), code="reason_required")
    fields = {
        "cancel_reason": reason[:300],
        "cancelled_by": _person(actor),
        "cancelled_by_patient": by_patient,
    }
    return _simple_transition(
        appointment, "cancel", actor=actor, channel=channel, reason=reason, fields=fields, release=True
    )


@transaction.atomic(durable=True)
def appointment_check_in(
    *, actor: Any, channel: str, appointment: Appointment, now: dt.datetime | None = None
) -> Appointment:
    return _simple_transition(
        appointment, "check_in", actor=actor, channel=channel, fields={"checked_in_at": _now(now)}
    )


@transaction.atomic(durable=True)
def appointment_start(
    *, actor: Any, channel: str, appointment: Appointment, now: dt.datetime | None = None
) -> Appointment:
    return _simple_transition(
        appointment, "start", actor=actor, channel=channel, fields={"started_at": _now(now)}
    )


@transaction.atomic(durable=True)
def appointment_complete(
    *,
    actor: Any,
    channel: str,
    appointment: Appointment,
    duration_minutes: int,
    act_code: str = "",
    report_sent_to_medecin_traitant: bool = False,
    prescription_issued: bool = False,
    referred_in_person: bool = False,
    report_channel: str = "",
    follow_up_needed: bool = False,
    follow_up_note: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    """Close a teleconsultation with what happened (duration, act, outcome): whether and how the report
    reached the médecin traitant (a channel that sends it counts as sent), and the follow-up to arrange."""
    if not 1 <= duration_minutes <= 240:
        raise DomainError(_("La durée doit être comprise entre 1 et 240 minutes."), code="invalid_duration")
    if report_channel not in ReportChannel.values:
        raise DomainError(_("Mode d'envoi du compte rendu inconnu."), code="invalid_report_channel")
    fields = {
        "completed_at": _now(now),
        "duration_minutes": duration_minutes,
        "act_code": act_code[:20],
        "report_sent_to_medecin_traitant": report_sent_to_medecin_traitant
        or report_channel in SENT_REPORT_CHANNELS,
        "prescription_issued": prescription_issued,
        "referred_in_person": referred_in_person,
        "report_channel": report_channel,
        "follow_up_needed": follow_up_needed or bool(follow_up_note.strip()),
        "follow_up_note": follow_up_note.strip()[:300],
    }
    return _simple_transition(appointment, "complete", actor=actor, channel=channel, fields=fields)


@transaction.atomic(durable=True)
def appointment_no_show(
    *, actor: Any, channel: str, appointment: Appointment, now: dt.datetime | None = None
) -> Appointment:
    if _now(now) < appointment.starts_at:
        raise DomainError(
            _("Un patient ne peut être noté absent avant l'heure du rendez-vous."), code="too_early"
        )
    return _simple_transition(appointment, "no_show", actor=actor, channel=channel)
