"""The staff booking form (operator console first): use, patient, place and preferences; the earliest
slots (HTMX); hold a slot with its countdown; confirm. Every write goes through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from maille.accounts.permissions import has_permission, require_permission
from maille.accounts.scope import scope_for
from maille.core.errors import ConflictError, DomainError
from maille.core.identifiers import is_mobile_phone
from maille.core.input_guards import row_number
from maille.patients.models import Patient
from maille.patients.services import patient_create, patient_duplicates_shown, patient_read
from maille.patients.services import patient_search as search_patients

from ..engine import SlotQuery, find_slots
from ..forms import ConfirmForm, HoldForm, PatientCreateForm, PatientSearchForm, SlotSearchForm
from ..selectors import (
    agenda_sites_for,
    appointments_visible_to,
    bookable_uses_for,
    patients_visible_to,
    sites_run_by,
)
from ..services import appointment_book_hold, appointment_hold, hold_release
from ..slot_groups import SlotChoice, by_site, numbered, site_names, slot_choices
from ..wallclock import PARIS
from .channels import channel_for

SLOT_COUNT = 30
PATIENT_RESULTS = 10
# What the search form carries from page to page (the patient, once chosen, travels with it).
SEARCH_PARAMETERS = (
    "use",
    "commune",
    "site",
    "max_travel_minutes",
    "doctor_sex",
    "doctor_language",
    "sans_rdv",
    "patient",
)


def _search_form(request: HttpRequest, data: Any) -> SlotSearchForm:
    return SlotSearchForm(
        data, uses=bookable_uses_for(request.user), sites=agenda_sites_for(request.user), prefix=None
    )


def walk_in_allowed(request: HttpRequest, site: Any) -> bool:
    """A walk-in (no minimum notice) is booked by those who run the site's day, at that site."""
    return site is not None and sites_run_by(request.user).filter(pk=site.pk).exists()


def _is_walk_in(request: HttpRequest, form: SlotSearchForm) -> bool:
    data = form.cleaned_data
    return bool(data.get("sans_rdv")) and walk_in_allowed(request, data.get("site"))


def _search_slots(request: HttpRequest, form: SlotSearchForm, patient: Patient | None) -> list[SlotChoice]:
    data = form.cleaned_data
    walk_in = _is_walk_in(request, form)
    commune = data.get("commune") or (patient.commune if patient is not None else None)
    if data.get("site") is not None:
        site_ids: tuple[int, ...] | None = (data["site"].pk,)
    elif scope_for(request.user).everywhere:
        site_ids = None
    else:
        site_ids = tuple(agenda_sites_for(request.user).values_list("pk", flat=True))
    query = SlotQuery(
        use=data["use"],
        latitude=commune.latitude if commune is not None else None,
        longitude=commune.longitude if commune is not None else None,
        site_ids=site_ids,
        max_travel_minutes=data.get("max_travel_minutes") if commune is not None else None,
        doctor_sex=data.get("doctor_sex") or "",
        doctor_language=(data.get("doctor_language") or "").lower(),
        limit=SLOT_COUNT,
        walk_in=walk_in,
        # a walk-in waits at the site: today's times only
        ends_before=dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(0), tzinfo=PARIS)
        if walk_in
        else None,
    )
    return slot_choices(find_slots(query))


def _alternatives(error: ConflictError) -> list[SlotChoice]:
    rows = error.details.get("alternatives") or []
    names = site_names({row["site_id"] for row in rows})  # type: ignore[union-attr]
    return [
        SlotChoice(
            row["site_id"],
            names.get(row["site_id"], ""),
            dt.datetime.fromisoformat(row["starts_at"]),
            dt.datetime.fromisoformat(row["ends_at"]),
            None,
            len(row["doctor_ids"]),
        )
        for row in rows  # type: ignore[union-attr]
    ]


def chosen_patient(request: HttpRequest, raw: Any) -> Patient | None:
    """The patient chosen for this booking, read through the audited service (staff with the right)."""
    if not raw or row_number(raw) is None or not has_permission(request.user, "scheduling.view_patient"):
        return None
    try:
        patient = patient_read(
            actor=request.user,
            channel=channel_for(request.user),
            readable=patients_visible_to(request.user),
            patient_id=int(raw),
            reason="prise de rendez-vous",
        )
    except DomainError:
        return None
    return patient if patient.merged_into_id is None else None


def carried_pairs(request: HttpRequest) -> list[tuple[str, str]]:
    """The search parameters except the patient, carried through patient search and creation."""
    pairs = [(key, request.GET.get(key, "")) for key in SEARCH_PARAMETERS if key != "patient"]
    return [(key, value) for key, value in pairs if value]


def _carried_query(request: HttpRequest) -> str:
    return urlencode(carried_pairs(request))


def _context(
    request: HttpRequest, form: SlotSearchForm, patient: Patient | None, **extra: Any
) -> dict[str, Any]:
    slots = _search_slots(request, form, patient) if form.is_bound and form.is_valid() else None
    return {
        "form": form,
        "patient": patient,
        "slots": slots,
        "site_groups": numbered(by_site(slots)) if slots else [],
        "patient_search": PatientSearchForm(prefix="recherche"),
        "patient_create": PatientCreateForm(prefix="nouveau"),
        "can_view_patients": has_permission(request.user, "scheduling.view_patient"),
        "carried_query": _carried_query(request),
        "carried_pairs": carried_pairs(request),
        "return_url": reverse("scheduling:book"),
        "alternatives": None,
        "taken": False,
        "slot_use_id": form.cleaned_data["use"].pk if slots is not None else "",
        "slot_patient_id": patient.pk if patient is not None else "",
        "walk_in": slots is not None and _is_walk_in(request, form),
        **extra,
    }


@require_permission("scheduling.book")
def book(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _book_post(request)
    data = request.GET if request.GET.get("use") else None
    form = _search_form(request, data)
    patient = chosen_patient(request, request.GET.get("patient"))
    if patient is not None and data is None:  # next step by keyboard: the use
        form.fields["use"].widget.attrs["autofocus"] = True
    return render(request, "scheduling/book.html", _context(request, form, patient))


@require_permission("scheduling.book")
def book_slots(request: HttpRequest) -> HttpResponse:
    """The slot list alone (HTMX): refreshed whenever a search field changes."""
    form = _search_form(request, request.GET if request.GET.get("use") else None)
    patient = chosen_patient(request, request.GET.get("patient"))
    context = _context(request, form, patient)
    response = render(request, "scheduling/_slots.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_permission("scheduling.view_patient")
def patient_search(request: HttpRequest) -> HttpResponse:
    """Patients matching a name, a birth date or a phone number (HTMX fragment of the booking form)."""
    form = PatientSearchForm(request.GET, prefix="recherche")
    patients: list[Patient] = []
    searched = form.is_valid() and form.has_criteria()
    if searched:
        data = form.cleaned_data
        patients = search_patients(
            actor=request.user,
            channel=channel_for(request.user),
            name=(data.get("q") or "").strip(),
            birth_date=data.get("birth_date"),
            phone=data.get("phone") or "",
            limit=PATIENT_RESULTS,
        )
    context = {
        "patients": patients,
        "duplicate_ids": _likely_duplicates(patients),
        "searched": searched,
        "carried_query": _carried_query(request),
        "choose_url": request.GET.get("retour") or reverse("scheduling:book"),
        # searched by phone: the patient's file can be created from that number in one keystroke
        "new_phone": (form.cleaned_data.get("phone") or "").strip() if searched else "",
    }
    return render(request, "scheduling/_patient_results.html", context)


def _likely_duplicates(patients: list[Patient]) -> set[int]:
    """Patients of the list sharing names and birth date, or a phone number, with another one."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for patient in patients:
        if patient.name_key and patient.birth_date:
            groups.setdefault(("identity", patient.name_key, patient.birth_date), []).append(patient.pk)
        if patient.phone:
            groups.setdefault(("phone", patient.phone), []).append(patient.pk)
    return {pk for members in groups.values() if len(members) > 1 for pk in members}


def _book_post(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action")
    if action == "hold":
        return _hold(request)
    if action == "confirm":
        return _confirm(request)
    if action == "release":
        return _release(request)
    if action == "create_patient":
        return _create_patient(request)
    raise Http404


def _hold(request: HttpRequest) -> HttpResponse:
    form = HoldForm(request.POST, sites=agenda_sites_for(request.user))
    if not form.is_valid():
        messages.error(request, _("Ce créneau n'est pas valable : relancez la recherche."))
        return redirect(reverse("scheduling:book"))
    data = form.cleaned_data
    try:
        hold = appointment_hold(
            actor=request.user,
            channel=channel_for(request.user),
            use=data["use"],
            site=data["site"],
            starts_at=data["starts_at"],
            walk_in=bool(data.get("sans_rdv")) and walk_in_allowed(request, data["site"]),
        )
    except ConflictError as error:
        search = _search_form(request, None)
        patient = chosen_patient(request, data.get("patient"))
        context = _context(
            request,
            search,
            patient,
            alternatives=_alternatives(error),
            taken=True,
            slot_use_id=data["use"].pk,
            slot_patient_id=patient.pk if patient is not None else "",
        )
        return render(request, "scheduling/book.html", context, status=409)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(reverse("scheduling:book"))
    query = {"patient": data["patient"]} if data.get("patient") else {}
    return redirect(f"{reverse('scheduling:appointment', args=[hold.pk])}?{urlencode(query)}")


def own_hold(request: HttpRequest, hold_id: Any) -> Any:
    if row_number(hold_id) is None:
        raise Http404
    hold = get_object_or_404(
        appointments_visible_to(request.user).select_related("site", "use", "room"), pk=row_number(hold_id)
    )
    if not hold.is_held_by(request.user):
        raise Http404
    return hold


def _confirm(request: HttpRequest) -> HttpResponse:
    hold = own_hold(request, request.POST.get("option"))
    patient = chosen_patient(request, request.POST.get("patient"))
    if patient is None:
        messages.error(request, _("Choisissez ou créez d'abord le dossier du patient."))
        return redirect(reverse("scheduling:appointment", args=[hold.pk]))
    form = ConfirmForm(request.POST, can_send=can_message(patient))
    if not form.is_valid():
        messages.error(request, _("Choisissez comment le patient reçoit la confirmation."))
        return redirect(f"{reverse('scheduling:appointment', args=[hold.pk])}?patient={patient.pk}")
    read_out = form.cleaned_data["confirmation"] == ConfirmForm.READ_OUT
    try:
        booked = appointment_book_hold(
            actor=request.user, channel=channel_for(request.user), hold=hold, patient=patient,
            call_note=form.cleaned_data["call_note"], confirmation_read_out=read_out,
        )  # fmt: skip
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(reverse("scheduling:book"))
    if read_out:
        messages.success(
            request, _("Le rendez-vous est réservé. Lisez la confirmation au patient (ci-dessous).")
        )
    else:
        messages.success(request, _("Le rendez-vous est réservé. La confirmation part par SMS ou courriel."))
    return redirect(reverse("scheduling:appointment", args=[booked.pk]))


def can_message(patient: Patient) -> bool:
    """Whether a confirmation can be sent: a mobile number or an email, the patient's or their caregiver's
    (the messages app decides which; a landline alone means reading it out)."""
    people = [patient, patient.caregiver] if patient.caregiver_id else [patient]
    return any(
        person.email or (person.phone and is_mobile_phone(person.phone)) for person in people if person
    )


def _release(request: HttpRequest) -> HttpResponse:
    hold = own_hold(request, request.POST.get("option"))
    try:
        hold_release(
            actor=request.user, channel=channel_for(request.user), hold=hold, reason="option abandonnée"
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("L'option est levée : le créneau est de nouveau libre."))
    return redirect(reverse("scheduling:book"))


def _create_patient(request: HttpRequest) -> HttpResponse:
    """Create a patient (a phone number is enough), after showing likely duplicates once."""
    if not has_permission(request.user, "scheduling.view_patient"):
        raise Http404
    form = PatientCreateForm(request.POST, prefix="nouveau")
    back = request.POST.get("retour") or reverse("scheduling:book")
    carried = request.POST.get("carried_query", "")
    if form.is_valid():
        values = form.values()
        duplicates = patient_duplicates_shown(
            actor=request.user,
            channel=channel_for(request.user),
            limit=PATIENT_RESULTS,
            **{k: v for k, v in values.items() if k != "sex"},
        )
        if duplicates and not form.cleaned_data["create_anyway"]:
            context = {
                "patient_create": form,
                "duplicates": duplicates,
                "return_url": back,
                "carried_query": carried,
            }
            return render(request, "scheduling/patient_duplicates.html", context, status=409)
        try:
            patient = patient_create(
                actor=request.user, channel=channel_for(request.user), reason="prise de rendez-vous", **values
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Le dossier du patient est créé."))
            separator = "&" if carried else ""
            return redirect(f"{back}?{carried}{separator}patient={patient.pk}")
    else:
        messages.error(request, _("Vérifiez les informations du patient."))
    return redirect(f"{back}?{carried}")
