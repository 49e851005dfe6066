"""The day's work: a site's appointments room by room (assisting staff), a remote doctor's across sites.

Both pages redraw their list without reloading: the list asks every few seconds whether anything changed
(``day_version``: the latest transition of the day's appointments) and is redrawn only then, so that a
patient's check-in reaches the doctor's screen at once while the identities shown are read — and audited —
only when the list is actually drawn.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.accounts.permissions import has_permission, require_permission
from maille.accounts.scope import scope_for
from maille.core.errors import DomainError
from maille.directory.models import Site, Use
from maille.patients.services import patients_shown

from ..models import Appointment, AppointmentStatus
from ..selectors import (
    appointments_of_day,
    appointments_run_by,
    day_version,
    patients_visible_to,
    sites_run_by,
)
from ..video import video_access
from .appointments import allowed_actions, run_transition
from .channels import channel_for

# What the day lists offer in one click; completing needs the form of the appointment page.
QUICK_ACTIONS = {"check_in": _("Patient arrivé"), "start": _("Commencer"), "no_show": _("Absent")}
DONE = {
    "check_in": _("Arrivée enregistrée : le médecin est prévenu."),
    "start": _("Téléconsultation commencée."),
    "no_show": _("Patient noté absent."),
}


def _day_of(request: HttpRequest) -> dt.date:
    """``?jour=`` (ISO date, within a year of today); today when absent; 400 naming it when malformed."""
    today = timezone.localdate()
    raw = request.GET.get("jour", "")
    if not raw:
        return today
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or abs((day - today).days) > 366:
        raise BadRequest(
            _("Le paramètre « jour » doit être une date AAAA-MM-JJ à moins d'un an d'aujourd'hui.")
        )
    return day


def _site_for_day(request: HttpRequest, site_id: int) -> Site:
    """A site whose day the user runs (its staff, administrators); 404 otherwise."""
    return get_object_or_404(sites_run_by(request.user).select_related("commune"), pk=site_id)


def _rows(
    request: HttpRequest,
    appointments: list[Appointment],
    reason: str,
    offered: tuple[str, ...] = tuple(QUICK_ACTIONS),
) -> list[dict[str, Any]]:
    """Each appointment with its patient (an audited read) and the one-click actions the user may take."""
    patients = patients_shown(
        actor=request.user,
        channel=channel_for(request.user),
        readable=patients_visible_to(request.user),
        patient_ids=[a.patient_id for a in appointments if a.patient_id],
        reason=reason,
    )
    return [
        {
            "appointment": appointment,
            "patient": patients.get(appointment.patient_id) if appointment.patient_id else None,
            # every row comes from appointments_run_by, and the one-click actions are running ones
            "actions": [
                (name, QUICK_ACTIONS[name])
                for name in allowed_actions(request.user, appointment, manage=False, run=True)
                if name in offered
            ],
            "ready": appointment.status == AppointmentStatus.CHECKED_IN,
            "video": video_access(request.user, appointment),
        }
        for appointment in appointments
    ]


def _render_day(
    request: HttpRequest, appointments: Any, context_for: Any, template: str, *, fragment: bool
) -> HttpResponse:
    """A day page, or its list alone (``fragment``): 204 when the client's version of the day is current, so
    that no patient is read — nor audited — until something changed."""
    version = day_version(appointments)
    if fragment and request.GET.get("version") == version:
        return HttpResponse(status=204)
    context = context_for(appointments)
    context["version"] = version
    today = timezone.localdate()
    context["days"] = [(today, _("Aujourd'hui")), (today + dt.timedelta(days=1), _("Demain"))]
    return render(request, template, context)


# --- site ---------------------------------------------------------------------------------------------------
def _site_day(request: HttpRequest, site_id: int, template: str, *, fragment: bool) -> HttpResponse:
    site = _site_for_day(request, site_id)
    day = _day_of(request)

    def context_for(appointments: Any) -> dict[str, Any]:
        rows = _rows(request, list(appointments.select_related("room", "use", "doctor", "assistant")),
                     reason="journée du site")  # fmt: skip
        rooms: dict[Any, list[dict[str, Any]]] = {}
        for row in rows:
            rooms.setdefault(row["appointment"].room, []).append(row)
        list_url = reverse("scheduling:site_day_list", args=[site.pk])
        return {
            "site": site,
            "day": day,
            "rooms": sorted(rooms.items(), key=lambda item: (item[0].name, item[0].pk)),
            "list_url": f"{list_url}?jour={day.isoformat()}",
            "poll_seconds": settings.DAY_POLL_SECONDS,
            "return_to": reverse("scheduling:site_day", args=[site.pk]) + f"?jour={day.isoformat()}",
            # after a teleconsultation, the patients' survey handed over at the site (a page of the evaluation,
            # named here by its URL only: scheduling imports nothing from the apps above it)
            "hand_survey": settings.EVALUATION_SURVEY_PATIENTS
            and has_permission(request.user, "evaluation.hand_survey"),
            # a patient at the door without appointment: today's free times from now
            "walk_in_uses": list(
                Use.objects.filter(site_uses__site=site, site_uses__is_active=True).order_by("name")
            )
            if not fragment
            and day == timezone.localdate()
            and has_permission(request.user, "scheduling.book")
            else [],
        }

    appointments = appointments_of_day(appointments_run_by(request.user).filter(site=site), day)
    return _render_day(request, appointments, context_for, template, fragment=fragment)


@require_permission("scheduling.site_day")
def site_day(request: HttpRequest, site_id: int) -> HttpResponse:
    return _site_day(request, site_id, "scheduling/site_day.html", fragment=False)


@require_permission("scheduling.site_day")
def site_day_list(request: HttpRequest, site_id: int) -> HttpResponse:
    return _site_day(request, site_id, "scheduling/_site_day_list.html", fragment=True)


# --- doctor ---------------------------------------------------------------------------------------------------
def _doctor_day(request: HttpRequest, template: str, *, fragment: bool) -> HttpResponse:
    professional_id = scope_for(request.user).professional_id
    if professional_id is None:
        raise Http404(_("Votre compte n'est relié à aucun médecin."))
    day = _day_of(request)

    def context_for(appointments: Any) -> dict[str, Any]:
        # the site records the arrival; the doctor starts the consultation or notes the absence
        rows = _rows(request, list(appointments.select_related("site__commune", "room", "use", "assistant")),
                     reason="journée du médecin", offered=("start", "no_show"))  # fmt: skip
        list_url = reverse("scheduling:doctor_day_list")
        return {
            "day": day,
            "rows": rows,
            "ready": [row for row in rows if row["ready"]],
            "list_url": f"{list_url}?jour={day.isoformat()}",
            "poll_seconds": settings.DAY_POLL_SECONDS,
            "return_to": reverse("scheduling:doctor_day") + f"?jour={day.isoformat()}",
        }

    appointments = appointments_of_day(
        appointments_run_by(request.user).filter(doctor_id=professional_id), day
    )
    return _render_day(request, appointments, context_for, template, fragment=fragment)


@require_permission("scheduling.doctor_day")
def doctor_day(request: HttpRequest) -> HttpResponse:
    return _doctor_day(request, "scheduling/doctor_day.html", fragment=False)


@require_permission("scheduling.doctor_day")
def doctor_day_list(request: HttpRequest) -> HttpResponse:
    return _doctor_day(request, "scheduling/_doctor_day_list.html", fragment=True)


# --- one-click actions --------------------------------------------------------------------------------------
@require_permission("scheduling.run_appointment")
def day_action(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """POST ``action`` (check_in, start, no_show) from a day list; back to that list (``retour``)."""
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    appointment = get_object_or_404(appointments_run_by(request.user), pk=appointment_id)
    name = request.POST.get("action", "")
    allowed = allowed_actions(request.user, appointment, manage=False, run=True)  # from appointments_run_by
    if name not in QUICK_ACTIONS or name not in allowed:
        messages.error(request, _("Cette action n'est plus possible pour ce rendez-vous."))
    else:
        try:
            run_transition(name, user=request.user, appointment=appointment, data={})
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, DONE[name])
    back = request.POST.get("retour", "")
    if not back.startswith("/agendas/"):  # only our own day pages: never an open redirect
        back = reverse("scheduling:appointment", args=[appointment.pk])
    return redirect(back)
