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
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.accounts.permissions import require_permission
from maille.accounts.scope import scope_for
from maille.core.errors import DomainError
from maille.directory.models import Site
from maille.patients.services import patients_shown

from ..models import Appointment, AppointmentStatus
from ..selectors import (
    appointments_of_day,
    appointments_run_by,
    day_version,
    patients_visible_to,
    sites_run_by,
)
from ..services import appointment_check_in, appointment_no_show, appointment_start
from ..video import video_access
from .appointments import allowed_actions
from .channels import channel_for

# What the day lists offer in one click; completing needs the form of the appointment page.
QUICK_ACTIONS = {
    "check_in": (_("Patient arrivé"), appointment_check_in),
    "start": (_("Commencer"), appointment_start),
    "no_show": (_("Absent"), appointment_no_show),
}
DONE = {
    "check_in": _("Arrivée enregistrée : le médecin est prévenu."),
    "start": _("Téléconsultation commencée."),
    "no_show": _("Patient noté absent."),
}


def _day_of(request: HttpRequest) -> dt.date:
    """``?jour=`` (ISO date) within a year of today; today otherwise."""
    today = timezone.localdate()
    try:
        day = dt.date.fromisoformat(request.GET.get("jour", ""))
    except ValueError:
        return today
    return day if abs((day - today).days) <= 366 else today


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
            "actions": [
                (name, QUICK_ACTIONS[name][0])
                for name in allowed_actions(request.user, appointment)
                if name in offered
            ],
            "ready": appointment.status == AppointmentStatus.CHECKED_IN,
            "video": video_access(request.user, appointment),
        }
        for appointment in appointments
    ]


# --- site ---------------------------------------------------------------------------------------------------
def _site_context(request: HttpRequest, site: Site, day: dt.date) -> tuple[Any, dict[str, Any]]:
    appointments = appointments_of_day(
        appointments_run_by(request.user)
        .filter(site=site)
        .select_related("room", "use", "doctor", "assistant"),
        day,
    )
    rows = _rows(request, list(appointments), reason="journée du site")
    rooms: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        rooms.setdefault(row["appointment"].room, []).append(row)
    list_url = reverse("scheduling:site_day_list", args=[site.pk])
    return appointments, {
        "site": site,
        "day": day,
        "rooms": sorted(rooms.items(), key=lambda item: (item[0].name, item[0].pk)),
        "count": len(rows),
        "list_url": f"{list_url}?jour={day.isoformat()}",
        "poll_seconds": settings.DAY_POLL_SECONDS,
        "return_to": reverse("scheduling:site_day", args=[site.pk]) + f"?jour={day.isoformat()}",
    }


@require_permission("scheduling.site_day")
def site_day(request: HttpRequest, site_id: int) -> HttpResponse:
    site = _site_for_day(request, site_id)
    day = _day_of(request)
    appointments, context = _site_context(request, site, day)
    context["version"] = day_version(appointments)
    today = timezone.localdate()
    context["days"] = [(today, _("Aujourd'hui")), (today + dt.timedelta(days=1), _("Demain"))]
    return render(request, "scheduling/site_day.html", context)


@require_permission("scheduling.site_day")
def site_day_list(request: HttpRequest, site_id: int) -> HttpResponse:
    site = _site_for_day(request, site_id)
    day = _day_of(request)
    appointments = appointments_of_day(appointments_run_by(request.user).filter(site=site), day)
    version = day_version(appointments)
    if request.GET.get("version") == version:
        return HttpResponse(status=204)
    _, context = _site_context(request, site, day)
    context["version"] = version
    return render(request, "scheduling/_site_day_list.html", context)


# --- doctor ---------------------------------------------------------------------------------------------------
def _doctor_appointments(request: HttpRequest) -> Any:
    professional_id = scope_for(request.user).professional_id
    if professional_id is None:
        raise Http404(_("Votre compte n'est relié à aucun médecin."))
    return appointments_run_by(request.user).filter(doctor_id=professional_id)


def _doctor_context(request: HttpRequest, day: dt.date) -> tuple[Any, dict[str, Any]]:
    appointments = appointments_of_day(
        _doctor_appointments(request).select_related("site__commune", "room", "use", "assistant"), day
    )
    # the site records the arrival; the doctor starts the consultation or notes the absence
    rows = _rows(request, list(appointments), reason="journée du médecin", offered=("start", "no_show"))
    list_url = reverse("scheduling:doctor_day_list")
    return appointments, {
        "day": day,
        "rows": rows,
        "ready": [row for row in rows if row["ready"]],
        "list_url": f"{list_url}?jour={day.isoformat()}",
        "poll_seconds": settings.DAY_POLL_SECONDS,
        "return_to": reverse("scheduling:doctor_day") + f"?jour={day.isoformat()}",
    }


@require_permission("scheduling.doctor_day")
def doctor_day(request: HttpRequest) -> HttpResponse:
    day = _day_of(request)
    appointments, context = _doctor_context(request, day)
    context["version"] = day_version(appointments)
    today = timezone.localdate()
    context["days"] = [(today, _("Aujourd'hui")), (today + dt.timedelta(days=1), _("Demain"))]
    return render(request, "scheduling/doctor_day.html", context)


@require_permission("scheduling.doctor_day")
def doctor_day_list(request: HttpRequest) -> HttpResponse:
    day = _day_of(request)
    appointments = appointments_of_day(_doctor_appointments(request), day)
    version = day_version(appointments)
    if request.GET.get("version") == version:
        return HttpResponse(status=204)
    _, context = _doctor_context(request, day)
    context["version"] = version
    return render(request, "scheduling/_doctor_day_list.html", context)


# --- one-click actions --------------------------------------------------------------------------------------
@require_permission("scheduling.run_appointment")
def day_action(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """POST ``action`` (check_in, start, no_show) from a day list; back to that list (``retour``)."""
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    appointment = get_object_or_404(appointments_run_by(request.user), pk=appointment_id)
    name = request.POST.get("action", "")
    if name not in QUICK_ACTIONS or name not in allowed_actions(request.user, appointment):
        messages.error(request, _("Cette action n'est plus possible pour ce rendez-vous."))
    else:
        try:
            QUICK_ACTIONS[name][1](
                actor=request.user, channel=channel_for(request.user), appointment=appointment
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, DONE[name])
    back = request.POST.get("retour", "")
    if not back.startswith("/agendas/"):  # only our own day pages: never an open redirect
        back = reverse("scheduling:appointment", args=[appointment.pk])
    return redirect(back)
