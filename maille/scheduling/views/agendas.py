"""Agenda pages: the list of agendas, a site's week and a remote doctor's week, with their editing forms.

Each POST names its form (``formulaire``); a valid form is saved with its audit row and the page
redirects to the same week; an invalid one is shown again with the errors next to the fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.accounts.permissions import has_permission, require_permission
from maille.accounts.scope import scope_for
from maille.core.errors import DomainError
from maille.core.input_guards import row_number
from maille.directory.models import Professional, Site
from maille.directory.selectors import remote_doctors_visible_to

from ..availability_services import availability_delete, availability_save
from ..forms import (
    AbsenceForm,
    ClosureForm,
    ExceptionForm,
    ReservedRangeForm,
    RuleForm,
    week_start_from,
)
from ..models import Absence, AvailabilityException, AvailabilityRule, ReservedRange, SiteClosure
from ..selectors import (
    agenda_sites_for,
    appointments_visible_to,
    can_edit_doctor_agenda,
    can_edit_site_agenda,
    sites_run_by,
)
from ..time_grid import time_grid
from ..week_grids import (
    doctor_rules,
    doctor_week,
    site_assistants,
    site_resource_choices,
    site_rules,
    site_week,
)
from .channels import channel_for

SUCCESS = {
    "rule": _("La disponibilité est enregistrée."),
    "exception": _("L'occurrence est modifiée."),
    "absence": _("L'absence est déclarée."),
    "closure": _("La fermeture du site est déclarée."),
    "reserved": _("La plage réservée est créée."),
    "delete": _("L'élément est supprimé."),
}


def appointment_url(appointment: Any) -> str:
    return reverse("scheduling:appointment", args=[appointment.pk])


@require_permission("scheduling.view_agenda")
def agenda_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "scheduling/agenda_index.html",
        {
            "sites": agenda_sites_for(request.user)[:200],
            "can_book": has_permission(request.user, "scheduling.book"),
            "day_site_ids": set(sites_run_by(request.user).values_list("pk", flat=True)),
            "is_doctor": scope_for(request.user).professional_id is not None,
        },
    )


def _week_of(request: HttpRequest) -> dt.date:
    return week_start_from(request.GET.get("semaine") or request.POST.get("semaine"), timezone.localdate())


def _redirect_to_week(url: str, monday: dt.date) -> HttpResponse:
    separator = "&" if "?" in url else "?"
    return redirect(f"{url}{separator}semaine={monday.isoformat()}")


def _handle_post(
    request: HttpRequest,
    forms: dict[str, Any],
    deletable: dict[str, QuerySet[Any]],
    monday: dt.date,
    url: str,
) -> HttpResponse | None:
    """Save the posted form or delete the posted object; None when the form has errors to show."""
    name = request.POST.get("formulaire", "")
    channel = channel_for(request.user)
    if name == "delete":
        kind, _sep, pk = request.POST.get("objet", "").partition(":")
        if kind not in deletable or row_number(pk) is None:
            raise Http404
        target = get_object_or_404(deletable[kind], pk=row_number(pk))
        availability_delete(
            actor=request.user, channel=channel, instance=target, action=f"scheduling.{kind}.delete"
        )
        messages.success(request, SUCCESS["delete"])
        return _redirect_to_week(url, monday)
    form = forms.get(name)
    if form is None:
        raise Http404
    if not form.is_valid():
        return None
    action = "update" if form.instance.pk else "create"
    try:
        availability_save(
            actor=request.user, channel=channel, instance=form.instance, action=f"scheduling.{name}.{action}"
        )
    except DomainError as error:
        # Another editor saved an overlapping range between the form's check and ours.
        form.add_error(None, error.message)
        return None
    messages.success(request, SUCCESS[name])
    return _redirect_to_week(url, monday)


def _bound(request: HttpRequest, name: str) -> Any:
    return request.POST if request.method == "POST" and request.POST.get("formulaire") == name else None


def _rule_to_edit(request: HttpRequest, rules: QuerySet[AvailabilityRule]) -> AvailabilityRule | None:
    raw = request.POST.get("regle") or request.GET.get("modifier") or ""
    if row_number(raw) is None:
        return None
    return get_object_or_404(rules, pk=row_number(raw))


def _site_forms(request: HttpRequest, site: Site, rule: AvailabilityRule | None) -> dict[str, Any]:
    resources = site_resource_choices(site)
    return {
        "rule": RuleForm(
            _bound(request, "rule"),
            instance=rule or AvailabilityRule(),
            resources=resources,
            site=site,
            prefix="rule",
        ),
        "exception": ExceptionForm(_bound(request, "exception"), rules=site_rules(site), prefix="exception"),
        "absence": AbsenceForm(_bound(request, "absence"), resources=resources, prefix="absence"),
        "closure": ClosureForm(_bound(request, "closure"), site=site, prefix="closure"),
        "reserved": ReservedRangeForm(_bound(request, "reserved"), site=site, prefix="reserved"),
    }


@require_permission("scheduling.view_agenda")
def site_agenda(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_object_or_404(agenda_sites_for(request.user).select_related("commune"), pk=site_id)
    can_edit = can_edit_site_agenda(request.user, site)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied(_("Vous ne pouvez pas modifier l'agenda de ce site."))
    monday = _week_of(request)
    rules = site_rules(site)
    forms = _site_forms(request, site, _rule_to_edit(request, rules) if can_edit else None)
    url = reverse("scheduling:site_agenda", args=[site.pk])
    today = timezone.localdate()
    now = timezone.now()
    assistants = site_assistants(site)
    lists = {
        "rules": rules,
        "exception": AvailabilityException.objects.filter(rule__in=rules, date__gte=today)
        .select_related("rule__room", "rule__professional")
        .order_by("date"),
        "absence": Absence.objects.filter(
            Q(room__site=site) | Q(professional__in=assistants), ends_at__gt=now
        )
        .select_related("room", "professional")
        .order_by("starts_at"),
        "closure": SiteClosure.objects.filter(site=site, ends_at__gt=now).order_by("starts_at"),
        "reserved": ReservedRange.objects.filter(site=site)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("use"),
    }
    if request.method == "POST":
        deletable = {
            "rule": rules,
            "exception": lists["exception"],
            "absence": lists["absence"],
            "closure": lists["closure"],
            "reserved": lists["reserved"],
        }
        response = _handle_post(request, forms, deletable, monday, url)
        if response is not None:
            return response
    context = {
        "site": site,
        "week": (week := site_week(site, monday, appointment_url, appointments_visible_to(request.user))),
        "grid": time_grid(week),
        "can_edit": can_edit,
        "forms": forms,
        "lists": lists,
        "page_url": url,
        "editing_rule": forms["rule"].instance.pk,
        "can_book": has_permission(request.user, "scheduling.book"),
        "can_run_day": sites_run_by(request.user).filter(pk=site.pk).exists(),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "scheduling/site_agenda.html", context, status=status)


def _chosen_doctor(request: HttpRequest) -> Professional | None:
    doctors = remote_doctors_visible_to(request.user)
    scope = scope_for(request.user)
    raw = request.GET.get("medecin") or request.POST.get("medecin") or ""
    if row_number(raw) is not None:
        return get_object_or_404(doctors, pk=row_number(raw))
    if scope.professional_id is not None:
        return doctors.filter(pk=scope.professional_id).first()
    return None


@require_permission("scheduling.view_agenda")
def doctor_agenda(request: HttpRequest) -> HttpResponse:
    doctor = _chosen_doctor(request)
    if doctor is None:
        if request.method == "POST":
            raise Http404
        return render(
            request,
            "scheduling/doctor_choice.html",
            {"doctors": remote_doctors_visible_to(request.user)[:300]},
        )
    can_edit = can_edit_doctor_agenda(request.user, doctor)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied(_("Vous ne pouvez pas modifier l'agenda de ce médecin."))
    monday = _week_of(request)
    rules = doctor_rules(doctor)
    resources = [(f"pro:{doctor.pk}", str(doctor))]
    rule = _rule_to_edit(request, rules) if can_edit else None
    forms = {
        "rule": RuleForm(
            _bound(request, "rule"),
            instance=rule or AvailabilityRule(),
            resources=resources,
            site=None,
            prefix="rule",
        ),
        "exception": ExceptionForm(_bound(request, "exception"), rules=rules, prefix="exception"),
        "absence": AbsenceForm(_bound(request, "absence"), resources=resources, prefix="absence"),
    }
    url = f"{reverse('scheduling:doctor_agenda')}?medecin={doctor.pk}"
    today, now = timezone.localdate(), timezone.now()
    lists = {
        "rules": rules,
        "exception": AvailabilityException.objects.filter(rule__in=rules, date__gte=today).order_by("date"),
        "absence": Absence.objects.filter(professional=doctor, ends_at__gt=now).order_by("starts_at"),
    }
    if request.method == "POST":
        deletable: dict[str, QuerySet[Any]] = {
            "rule": rules,
            "exception": lists["exception"],
            "absence": lists["absence"],
        }
        response = _handle_post(request, forms, deletable, monday, url)
        if response is not None:
            return response
    served = Site.objects.filter(
        network_roles__professional=doctor,
        network_roles__kind="medecin_distant",
        network_roles__is_active=True,
    ).distinct()
    context = {
        "doctor": doctor,
        "served_sites": served.order_by("name"),
        "week": (week := doctor_week(doctor, monday, appointment_url, appointments_visible_to(request.user))),
        "grid": time_grid(week),
        "can_edit": can_edit,
        "forms": forms,
        "lists": lists,
        "page_url": url,
        "editing_rule": forms["rule"].instance.pk,
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "scheduling/doctor_agenda.html", context, status=status)
