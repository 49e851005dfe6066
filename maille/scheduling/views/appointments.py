"""An appointment's page: its details, and the transitions the user's role allows in its state.

A held slot shows its countdown and, to the staff member who holds it, the confirmation form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.accounts.permissions import has_permission, require_permission
from maille.core.errors import DomainError
from maille.patients.services import patient_read

from ..forms import (
    CancelForm,
    CompleteForm,
    ConfirmForm,
    PatientCreateForm,
    PatientSearchForm,
    RescheduleForm,
)
from ..models import TRANSITIONS, Appointment, AppointmentStatus
from ..selectors import appointments_visible_to, can_manage_booking, can_run_appointment, patients_visible_to
from ..services import (
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_confirm,
    appointment_no_show,
    appointment_reschedule,
    appointment_start,
)
from ..video import video_access
from .booking import can_message, chosen_patient
from .channels import channel_for

BOOKING_ACTIONS = ("confirm", "reschedule", "cancel")
RUN_ACTIONS = ("check_in", "start", "complete", "no_show")
ACTION_LABELS = {
    "confirm": _("Confirmer le rendez-vous"),
    "reschedule": _("Déplacer"),
    "cancel": _("Annuler le rendez-vous"),
    "check_in": _("Enregistrer l'arrivée du patient"),
    "start": _("Commencer la téléconsultation"),
    "complete": _("Terminer la téléconsultation"),
    "no_show": _("Noter le patient absent"),
}
DONE = {
    "confirm": _("Le rendez-vous est confirmé."),
    "reschedule": _("Le rendez-vous est déplacé."),
    "cancel": _("Le rendez-vous est annulé."),
    "check_in": _("L'arrivée du patient est enregistrée."),
    "start": _("La téléconsultation a commencé."),
    "complete": _("La téléconsultation est terminée."),
    "no_show": _("Le patient est noté absent."),
}
# Forms of the transitions that need more than a click.
ACTION_FORMS: dict[str, Callable[..., Any]] = {
    "reschedule": RescheduleForm,
    "cancel": CancelForm,
    "complete": CompleteForm,
}


def allowed_actions(
    user: Any, appointment: Appointment, *, manage: bool | None = None, run: bool | None = None
) -> list[str]:
    """Transitions legal in the appointment's state that the user's role and scope allow.

    ``manage`` and ``run``: already known from the selector the appointment came from (a day list of
    ``appointments_run_by`` — no query per row); asked of the selectors otherwise."""
    if manage is None:
        manage = can_manage_booking(user, appointment)
    if run is None:
        run = can_run_appointment(user, appointment)
    names = [name for name in BOOKING_ACTIONS if manage] + [name for name in RUN_ACTIONS if run]
    allowed = [name for name in names if appointment.status in TRANSITIONS[name][0]]
    if appointment.status == AppointmentStatus.HELD:
        # A hold is confirmed or released by its holder from the booking form.
        allowed = [name for name in allowed if name not in {"confirm", "reschedule", "cancel"}]
    if "no_show" in allowed and timezone.now() < appointment.starts_at:
        allowed.remove("no_show")
    return allowed


def run_transition(name: str, *, user: Any, appointment: Appointment, data: dict[str, Any]) -> Appointment:
    """The one dispatch from a transition's name to its service (the appointment page and the day lists)."""
    common = {"actor": user, "channel": channel_for(user), "appointment": appointment}
    if name == "confirm":
        return appointment_confirm(**common)
    if name == "cancel":
        return appointment_cancel(**common, reason=data["reason"], by_patient=data["by_patient"])
    if name == "reschedule":
        return appointment_reschedule(**common, starts_at=data["starts_at"], reason=data.get("reason", ""))
    if name == "check_in":
        return appointment_check_in(**common)
    if name == "start":
        return appointment_start(**common)
    if name == "complete":
        return appointment_complete(**common, **data)
    return appointment_no_show(**common)


def _status_label(status: str) -> str:
    return str(AppointmentStatus(status).label) if status in AppointmentStatus.values else "—"


@require_permission("scheduling.view_agenda")
def appointment_detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = get_object_or_404(
        appointments_visible_to(request.user).select_related("site", "use", "room", "assistant", "doctor"),
        pk=appointment_id,
    )
    actions = allowed_actions(request.user, appointment)
    forms = {name: factory(prefix=name) for name, factory in ACTION_FORMS.items() if name in actions}
    status = 200
    if request.method == "POST":
        name = request.POST.get("action", "")
        if name not in actions:
            raise Http404
        form = ACTION_FORMS[name](request.POST, prefix=name) if name in ACTION_FORMS else None
        if form is None or form.is_valid():
            try:
                result = run_transition(
                    name, user=request.user, appointment=appointment, data=form.cleaned_data if form else {}
                )
            except DomainError as error:
                messages.error(request, error.message)
                return redirect(reverse("scheduling:appointment", args=[appointment.pk]))
            messages.success(request, DONE[name])
            return redirect(reverse("scheduling:appointment", args=[result.pk]))
        forms[name] = form
        status = 422
    patient = None
    if appointment.patient_id and has_permission(request.user, "scheduling.view_patient"):
        patient = patient_read(
            actor=request.user,
            channel=channel_for(request.user),
            readable=patients_visible_to(request.user),
            patient_id=appointment.patient_id,
            reason="page rendez-vous",
        )
    is_holder = appointment.is_held_by(request.user)
    hold_patient = (
        chosen_patient(request, request.GET.get("patient") or appointment.patient_id) if is_holder else None
    )
    context = {
        "appointment": appointment,
        "patient": patient,
        "actions": [(name, ACTION_LABELS[name], forms.get(name)) for name in actions],
        "transitions": [
            {
                "row": row,
                "from_label": _status_label(row.from_status),
                "to_label": _status_label(row.to_status),
            }
            for row in appointment.transitions.select_related("actor").order_by("occurred_at", "pk")
        ],
        "is_holder": is_holder,
        "hold_patient": hold_patient,
        "confirm_form": ConfirmForm(can_send=can_message(hold_patient)) if hold_patient else None,
        "hold_expired": bool(appointment.hold_expires_at and appointment.hold_expires_at <= timezone.now()),
        "patient_search": PatientSearchForm(prefix="recherche"),
        "patient_create": PatientCreateForm(prefix="nouveau"),
        "can_view_patients": has_permission(request.user, "scheduling.view_patient"),
        "carried_query": "",
        "carried_pairs": [],
        "return_url": reverse("scheduling:appointment", args=[appointment.pk]),
        "rescheduled_to": getattr(appointment, "rescheduled_to", None),
        "video": video_access(request.user, appointment),
    }
    return render(request, "scheduling/appointment.html", context, status=status)
