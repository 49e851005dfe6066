"""/api/v1 scheduling: availability, slot search, holds, bookings, minimal patients, webhook subscriptions.

Thin: each endpoint checks the permission, applies the scope through the selectors, calls one service
(``services``, ``patient_services``) with ``channel=Channel.API`` and the calling user as actor.
Domain errors become problem documents in ``maille.api.v1`` (409 with ``alternatives`` for a slot just
taken, 422 for invalid input). ``Idempotency-Key`` is handled for every POST by ``maille.api``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import HttpError

from maille.accounts.permissions import has_permission
from maille.core.api_pagination import Page, PageQuery, paginate
from maille.core.errors import ConflictError, DomainError
from maille.core.models import Channel
from maille.directory.models import Professional, Room, Site, Use
from maille.directory.selectors import (
    remote_doctors_visible_to,
    site_visible_to,
    sites_visible_to,
    use_by_code,
)
from maille.patients.models import Patient
from maille.patients.services import patient_create, patient_duplicates_shown
from maille.territory.models import Commune

from . import services
from .api_schemas import (
    BookingFilters,
    BookingIn,
    BookingOut,
    CancelIn,
    HoldIn,
    PatientIn,
    PatientOut,
    RescheduleIn,
    RuleOut,
    SlotOut,
    SlotSearch,
    WebhookCreatedOut,
    WebhookIn,
    WebhookOut,
    WeekOut,
)
from .engine import SlotQuery, find_slots
from .models import Appointment, AppointmentStatus, WebhookSubscription
from .selectors import appointments_visible_to, can_book_at, patient_bookable_by
from .wallclock import PARIS
from .webhooks import webhook_subscribe
from .week_grids import doctor_rules, site_rules, site_week

router = Router(tags=["agenda"])
# Service errors about someone else's or an expired hold are the client's input: 422 here, like the brief
# of the API says (the services call them conflicts for the pages).
HOLD_INPUT_ERRORS = {"foreign_hold", "hold_expired"}


# --- helpers ---------------------------------------------------------------------------------------
def _require(user: Any, permission: str) -> None:
    if not has_permission(user, permission):
        raise HttpError(403, _("Votre rôle ne permet pas cette opération sur les agendas."))


def aware(value: dt.datetime, name: str) -> dt.datetime:
    """A time with an offset as given; a local time without one is read in Europe/Paris, and refused
    when the DST change makes it nonexistent (spring) or ambiguous (autumn)."""
    if value.tzinfo is not None:
        return value
    first, second = value.replace(tzinfo=PARIS, fold=0), value.replace(tzinfo=PARIS, fold=1)
    if first.astimezone(dt.UTC).astimezone(PARIS).replace(tzinfo=None) != value:
        raise DomainError(
            _("L'heure locale %(value)s de « %(name)s » n'existe pas (passage à l'heure d'été).")
            % {"value": value.isoformat(), "name": name},
            code="nonexistent_local_time",
        )
    if first.utcoffset() != second.utcoffset():
        raise DomainError(
            _(
                "L'heure locale %(value)s de « %(name)s » est ambiguë (passage à l'heure d'hiver) : "
                "précisez le décalage."
            )
            % {"value": value.isoformat(), "name": name},
            code="ambiguous_local_time",
        )
    return first


def _use(code: str) -> Use:
    use = use_by_code(code)
    if use is None:
        raise DomainError(_("Usage « %(code)s » inconnu.") % {"code": code}, code="unknown_use")
    return use


def _site(user: Any, site_id: int) -> Site:
    site = site_visible_to(user, site_id)
    if site is None:
        raise HttpError(404, _("Site introuvable ou hors de votre périmètre."))
    return site


def _room(site: Site, room_id: int | None) -> Room | None:
    if room_id is None:
        return None
    room = Room.objects.filter(pk=room_id).first()
    if room is None or room.site_id != site.pk:
        raise DomainError(_("Cette salle n'appartient pas à ce site."), code="room_not_at_site")
    return room


def _doctor(doctor_id: int | None) -> Professional | None:
    if doctor_id is None:
        return None
    doctor = Professional.objects.filter(pk=doctor_id).first()
    if doctor is None:
        raise DomainError(_("Médecin inconnu."), code="unknown_doctor")
    return doctor


def _check_future(starts_at: dt.datetime) -> None:
    if starts_at <= timezone.now():
        raise DomainError(_("Ce créneau est déjà passé."), code="past_slot")


def _patient(user: Any, patient_id: int) -> Patient:
    patient = patient_bookable_by(user, patient_id)
    if patient is None:
        raise DomainError(_("Patient inconnu."), code="unknown_patient")
    return patient


def _appointment(user: Any, appointment_id: int) -> Appointment:
    appointment = (
        appointments_visible_to(user).filter(pk=appointment_id).select_related("use", "site").first()
    )
    if appointment is None:
        raise HttpError(404, _("Rendez-vous introuvable ou hors de votre périmètre."))
    return appointment


def _can_book_at(user: Any, site: Site) -> None:
    """The selectors' ``can_book_at``, told apart for the client: no booking role is a 403, a site out of scope a
    404."""
    _require(user, "scheduling.book")
    if not can_book_at(user, site):
        raise HttpError(404, _("Site introuvable ou hors de votre périmètre."))


def booking_out(appointment: Appointment) -> dict[str, Any]:
    return {
        "id": appointment.pk,
        "status": appointment.status,
        "use": appointment.use.code,
        "site": {"id": appointment.site_id, "name": appointment.site.name},
        "room_id": appointment.room_id,
        "assistant_id": appointment.assistant_id,
        "doctor_id": appointment.doctor_id,
        "patient_id": appointment.patient_id,
        "starts_at": appointment.starts_at.astimezone(PARIS),
        "ends_at": appointment.ends_at.astimezone(PARIS),
        "hold_expires_at": appointment.hold_expires_at.astimezone(PARIS)
        if appointment.hold_expires_at
        else None,
        "channel": appointment.channel,
        "created_by": appointment.created_by_id,
        "cancel_reason": appointment.cancel_reason,
        "rescheduled_from": appointment.rescheduled_from_id,
    }


def _hold_errors_as_input(error: ConflictError) -> DomainError:
    if error.code in HOLD_INPUT_ERRORS:
        return DomainError(error.message, code=error.code, details=error.details)
    return error


# --- availability ----------------------------------------------------------------------------------
def _rule_out(rule: Any) -> dict[str, Any]:
    if rule.room_id is not None:
        kind, resource = "room", {"id": rule.room_id, "name": rule.room.name}
    else:
        kind = "assistant" if rule.site_id is not None else "doctor"
        resource = {"id": rule.professional_id, "name": str(rule.professional)}
    return {
        "id": rule.pk,
        "resource_kind": kind,
        "resource": resource,
        "weekday": rule.weekday,
        "starts": f"{rule.starts:%H:%M}",
        "ends": f"{rule.ends:%H:%M}",
        "valid_from": rule.valid_from,
        "valid_until": rule.valid_until,
    }


@router.get("/scheduling/sites/{site_id}/availability", response=list[RuleOut], summary="Règles d'un site")
def site_availability(request: HttpRequest, site_id: int) -> list[dict[str, Any]]:
    """Weekly availability rules of the site's rooms and assistants."""
    _require(request.user, "scheduling.view_agenda")
    return [_rule_out(rule) for rule in site_rules(_site(request.user, site_id))]


@router.get(
    "/scheduling/doctors/{doctor_id}/availability", response=list[RuleOut], summary="Règles d'un médecin"
)
def doctor_availability(request: HttpRequest, doctor_id: int) -> list[dict[str, Any]]:
    _require(request.user, "scheduling.view_agenda")
    doctor = remote_doctors_visible_to(request.user).filter(pk=doctor_id).first()
    if doctor is None:
        raise HttpError(404, _("Médecin introuvable ou hors de votre périmètre."))
    return [_rule_out(rule) for rule in doctor_rules(doctor).select_related("professional")]


@router.get("/scheduling/sites/{site_id}/week", response=WeekOut, summary="Semaine d'un site")
def site_week_view(request: HttpRequest, site_id: int, date: dt.date | None = None) -> dict[str, Any]:
    """Availability, closures, holidays, reserved ranges and bookings of each room and assistant."""
    _require(request.user, "scheduling.view_agenda")
    site = _site(request.user, site_id)
    day = date or timezone.localdate()
    monday = day - dt.timedelta(days=day.weekday())
    week = site_week(site, monday, lambda appointment: "", appointments_visible_to(request.user))
    rows = [*week.rows, *([week.site_row] if week.site_row else [])]
    return {
        "monday": week.monday,
        "days": week.days,
        "rows": [
            {
                "label": row.label,
                "days": [
                    [{"kind": e.kind, "label": e.label, "starts": e.starts, "ends": e.ends} for e in entries]
                    for entries in row.days
                ],
            }
            for row in rows
        ],
    }


# --- slots -----------------------------------------------------------------------------------------
@router.get("/scheduling/slots", response=list[SlotOut], summary="Rechercher des créneaux")
def slot_search(request: HttpRequest, filters: Query[SlotSearch]) -> list[dict[str, Any]]:
    """The earliest free slots, ranked by day, then travel time from the patient, then start."""
    user = request.user
    _require(user, "scheduling.view_agenda")
    use = _use(filters.use)
    latitude, longitude = filters.latitude, filters.longitude
    if filters.commune:
        commune = Commune.objects.filter(code=filters.commune).first()
        if commune is None or commune.latitude is None:
            raise DomainError(
                _("Commune « %(code)s » inconnue.") % {"code": filters.commune}, code="unknown_commune"
            )
        latitude, longitude = commune.latitude, commune.longitude
    if (latitude is None) != (longitude is None):
        raise DomainError(_("Indiquez la latitude et la longitude ensemble."), code="incomplete_position")
    visible = sites_visible_to(user).values_list("pk", flat=True)
    site_ids = set(visible.filter(pk__in=filters.site) if filters.site else visible)
    start = aware(filters.start, "start") if filters.start else None
    end = aware(filters.end, "end") if filters.end else None
    if end is not None and end <= timezone.now():
        raise DomainError(_("La période demandée est déjà passée."), code="past_period")
    slots = find_slots(
        SlotQuery(
            use=use,
            latitude=latitude,
            longitude=longitude,
            starts_after=start,
            ends_before=end,
            site_ids=tuple(sorted(site_ids)),
            max_travel_minutes=filters.max_travel_minutes,
            doctor_sex=filters.doctor_sex or "",
            doctor_language=filters.doctor_language or "",
            limit=filters.limit,
        )
    )
    sites = {s.pk: s.name for s in Site.objects.filter(pk__in={s.site_id for s in slots})}
    rooms = {r.pk: r.name for r in Room.objects.filter(pk__in={s.room_id for s in slots})}
    people_ids = {s.assistant_id for s in slots} | {d for s in slots for d in s.doctor_ids}
    people = {p.pk: str(p) for p in Professional.objects.filter(pk__in=people_ids)}
    return [
        {
            "site": {"id": slot.site_id, "name": sites[slot.site_id]},
            "starts_at": slot.starts_at.astimezone(PARIS),
            "ends_at": slot.ends_at.astimezone(PARIS),
            "room": {"id": slot.room_id, "name": rooms[slot.room_id]},
            "assistant": {"id": slot.assistant_id, "name": people[slot.assistant_id]}
            if slot.assistant_id is not None
            else None,
            "doctor": None,
            "eligible_doctors": [{"id": d, "name": people[d]} for d in slot.doctor_ids],
            "travel_minutes": slot.travel_minutes,
            "distance_km": slot.distance_km,
        }
        for slot in slots
    ]


# --- holds and bookings ----------------------------------------------------------------------------
@router.post("/scheduling/holds", response={201: BookingOut}, summary="Poser une option")
def hold_create(request: HttpRequest, payload: HoldIn) -> Status[dict[str, Any]]:
    """Hold a slot for a few minutes while the patient's details are taken."""
    use = _use(payload.use)
    site = _site(request.user, payload.site)  # scoped: a site out of reach is a 404
    _require(request.user, "scheduling.book")
    starts_at = aware(payload.starts_at, "starts_at")
    _check_future(starts_at)
    room = _room(site, payload.room)
    hold = services.appointment_hold(
        actor=request.user,
        channel=Channel.API,
        use=use,
        site=site,
        starts_at=starts_at,
        room=room,
        doctor=_doctor(payload.doctor),
    )
    return Status(201, booking_out(hold))


@router.delete("/scheduling/holds/{hold_id}", response=BookingOut, summary="Relâcher une option")
def hold_release(request: HttpRequest, hold_id: int) -> dict[str, Any]:
    _require(request.user, "scheduling.book")
    hold = _appointment(request.user, hold_id)
    _can_book_at(request.user, hold.site)
    return booking_out(services.hold_release(actor=request.user, channel=Channel.API, hold=hold))


@router.post("/scheduling/bookings", response={201: BookingOut}, summary="Réserver")
def booking_create(request: HttpRequest, payload: BookingIn) -> Status[dict[str, Any]]:
    """From one's own hold (``hold``), or directly (``use``, ``site``, ``starts_at``)."""
    user = request.user
    _require(user, "scheduling.book")
    patient = _patient(request.user, payload.patient)
    if payload.hold is not None:
        hold = _appointment(user, payload.hold)
        _can_book_at(user, hold.site)
        if hold.status != AppointmentStatus.HELD:
            raise DomainError(_("Cette option n'est plus en cours."), code="hold_expired")
        try:
            booked = services.appointment_book_hold(
                actor=user,
                channel=Channel.API,
                hold=hold,
                patient=patient,
                booked_by_caregiver=payload.booked_by_caregiver,
            )
        except ConflictError as error:
            raise _hold_errors_as_input(error) from None
        return Status(201, booking_out(booked))
    if payload.use is None or payload.site is None or payload.starts_at is None:
        raise DomainError(
            _("Indiquez une option (hold), ou l'usage, le site et l'heure du rendez-vous."), code="incomplete"
        )
    use = _use(payload.use)
    site = _site(user, payload.site)  # scoped: a site out of reach is a 404
    _require(user, "scheduling.book")
    starts_at = aware(payload.starts_at, "starts_at")
    _check_future(starts_at)
    room = _room(site, payload.room)
    booked = services.appointment_book(
        actor=user,
        channel=Channel.API,
        patient=patient,
        use=use,
        site=site,
        starts_at=starts_at,
        room=room,
        doctor=_doctor(payload.doctor),
        booked_by_caregiver=payload.booked_by_caregiver,
    )
    return Status(201, booking_out(booked))


@router.get("/scheduling/bookings", response=Page[BookingOut], summary="Rendez-vous")
def booking_list(
    request: HttpRequest, filters: Query[BookingFilters], paging: Query[PageQuery]
) -> dict[str, Any]:
    _require(request.user, "scheduling.view_agenda")
    rows = appointments_visible_to(request.user).select_related("use", "site")
    if filters.site is not None:
        rows = rows.filter(site_id=filters.site)
    if filters.doctor is not None:
        rows = rows.filter(doctor_id=filters.doctor)
    if filters.patient is not None:
        rows = rows.filter(patient_id=filters.patient)
    if filters.use:
        rows = rows.filter(use__code=filters.use)
    if filters.status:
        rows = rows.filter(status__in=filters.status)
    if filters.start is not None:
        rows = rows.filter(starts_at__gte=aware(filters.start, "start"))
    if filters.end is not None:
        rows = rows.filter(starts_at__lt=aware(filters.end, "end"))
    rows = rows.order_by("starts_at", "pk")
    return paginate(request, rows, paging, lambda page: [booking_out(a) for a in page])


@router.get("/scheduling/bookings/{booking_id}", response=BookingOut, summary="Un rendez-vous")
def booking_read(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    _require(request.user, "scheduling.view_agenda")
    return booking_out(_appointment(request.user, booking_id))


@router.post("/scheduling/bookings/{booking_id}/cancel", response=BookingOut, summary="Annuler")
def booking_cancel(request: HttpRequest, booking_id: int, payload: CancelIn) -> dict[str, Any]:
    appointment = _appointment(request.user, booking_id)
    _can_book_at(request.user, appointment.site)
    cancelled = services.appointment_cancel(
        actor=request.user,
        channel=Channel.API,
        appointment=appointment,
        reason=payload.reason,
        by_patient=payload.by_patient,
    )
    return booking_out(cancelled)


@router.post("/scheduling/bookings/{booking_id}/reschedule", response={201: BookingOut}, summary="Déplacer")
def booking_reschedule(
    request: HttpRequest, booking_id: int, payload: RescheduleIn
) -> Status[dict[str, Any]]:
    """The old booking becomes "rescheduled" and points to the new one (returned)."""
    user = request.user
    appointment = _appointment(user, booking_id)
    _can_book_at(user, appointment.site)
    site = _site(user, payload.site) if payload.site is not None else appointment.site
    _can_book_at(user, site)
    starts_at = aware(payload.starts_at, "starts_at")
    _check_future(starts_at)
    room = _room(site, payload.room)
    moved = services.appointment_reschedule(
        actor=user,
        channel=Channel.API,
        appointment=appointment,
        starts_at=starts_at,
        site=site,
        room=room,
        doctor=_doctor(payload.doctor),
        reason=payload.reason,
    )
    return Status(201, booking_out(moved))


# --- patients (what the staff booking flow needs) ----------------------------------------------------
@router.post("/scheduling/patients", response={201: PatientOut}, summary="Créer un patient")
def patient_new(request: HttpRequest, payload: PatientIn) -> Status[Patient]:
    """A phone number alone is enough; search duplicates first."""
    _require(request.user, "scheduling.book")
    _require(request.user, "scheduling.view_patient")
    values = payload.dict(exclude_unset=True)
    return Status(201, patient_create(actor=request.user, channel=Channel.API, **values))


@router.get("/scheduling/patients/duplicates", response=list[PatientOut], summary="Doublons probables")
def patient_duplicate_search(
    request: HttpRequest,
    phone: str = "",
    last_name: str = "",
    first_name: str = "",
    birth_date: dt.date | None = None,
) -> list[Patient]:
    """Same names and birth date (accents and case ignored), or same phone; at most 20."""
    _require(request.user, "scheduling.view_patient")
    if not phone and not (last_name and birth_date):
        raise DomainError(_("Indiquez un téléphone, ou le nom et la date de naissance."), code="too_little")
    return patient_duplicates_shown(
        actor=request.user,
        channel=Channel.API,
        last_name=last_name,
        first_name=first_name,
        birth_date=birth_date,
        phone=phone,
    )


# --- webhook subscriptions (platform administrators) ---------------------------------------------------
@router.get("/scheduling/webhooks", response=list[WebhookOut], summary="Abonnements webhook")
def webhook_list(request: HttpRequest) -> list[WebhookSubscription]:
    _require(request.user, "admin.reference_data")
    return list(WebhookSubscription.objects.order_by("pk"))


@router.post("/scheduling/webhooks", response={201: WebhookCreatedOut}, summary="S'abonner aux événements")
def webhook_create(request: HttpRequest, payload: WebhookIn) -> Status[WebhookSubscription]:
    _require(request.user, "admin.reference_data")
    subscription = webhook_subscribe(
        actor=request.user,
        channel=Channel.API,
        name=payload.name,
        url=payload.url,
        event_types=[str(event) for event in payload.event_types],
    )
    return Status(201, subscription)
