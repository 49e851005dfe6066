"""FHIR scheduling: Schedule and Appointment reads and searches (through ``searches.RESOURCE_TYPES``),
Slot search (computed by the slot engine), Appointment create (POST from a free Slot) and cancel (PUT or
PATCH with ``status=cancelled`` and ``cancelationReason``).

Writes: bearer token, or session with its CSRF token; ``Idempotency-Key`` honoured on POST; every error
is an OperationOutcome (409 ``conflict`` for a slot just taken, with the alternatives as Slot ids).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle
from ninja.utils import check_csrf
from pydantic import ValidationError

from maille.accounts.permissions import has_permission
from maille.api.auth import NotAuthenticated, RoleWithoutApiAccess, api_user, bearer_token_of
from maille.api.idempotency import run_idempotently
from maille.core.errors import ConflictError, DomainError
from maille.core.models import Channel
from maille.directory.models import NetworkRole, NetworkRoleKind, Professional, Room, Use
from maille.directory.selectors import network_roles_visible_to, site_visible_to, sites_visible_to
from maille.scheduling import fhir as mapping
from maille.scheduling import services
from maille.scheduling.engine import SlotQuery, find_slots
from maille.scheduling.selectors import appointments_visible_to, patient_bookable_by

from . import views
from .responses import FhirError, fhir_response, operation_outcome
from .searches import (
    RESOURCE_TYPES,
    Part,
    ResourceType,
    SearchParameter,
    _each,
    id_filter,
    integer_ids,
    reference_ids,
    split_values,
)

logger = logging.getLogger(__name__)
MAX_SLOTS = 100
DATE_PREFIXES = {"ge": "gte", "gt": "gt", "le": "lte", "lt": "lt", "eq": ""}


# --- Schedule ---------------------------------------------------------------------------------------
def _scheduling_reader(user: Any) -> bool:
    return has_permission(user, "scheduling.view_agenda")


def _require_scheduling_reader(user: Any) -> None:
    """Agendas and appointments are not for every role (an evaluator reads aggregates only): 403, as the
    pages and /api/v1 answer."""
    if not _scheduling_reader(user):
        raise FhirError(403, "forbidden", _("Votre rôle ne donne pas accès aux agendas."))


def _schedule_rooms(user: Any) -> QuerySet[Any]:
    _require_scheduling_reader(user)
    return (
        Room.objects.filter(site__in=sites_visible_to(user).values("pk"))
        .select_related("site")
        .order_by("pk")
    )


def _schedule_roles(user: Any) -> QuerySet[Any]:
    _require_scheduling_reader(user)
    return (
        network_roles_visible_to(user)
        .filter(kind__in=[NetworkRoleKind.ASSISTANT, NetworkRoleKind.REMOTE_DOCTOR])
        .select_related("professional")
        .order_by("pk")
    )


def actor_filter(resource_type: str, path: str, prefix: str = "") -> Any:
    """``actor`` of a Schedule: a reference of another type simply matches nothing in this part."""

    def apply(queryset: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
        def build(alternatives: list[str]) -> Q:
            ids = [v.rstrip("/").rpartition("/")[2] for v in alternatives if f"{resource_type}/" in v]
            return Q(**{f"{path}__in": integer_ids(ids, prefix)})

        return _each(values, build, queryset)

    return apply


def _prefixed(prefix: str) -> Any:
    def read(value: str) -> int | None:
        ids = integer_ids([value], prefix)
        return ids[0] if ids else None

    return read


SCHEDULE = ResourceType(
    "Schedule",
    [
        Part(
            _schedule_rooms,
            lambda row, user: mapping.schedule_from_room(row),
            {"_id": id_filter(prefix="room-"), "actor": actor_filter("Location", "pk", prefix="room-")},
            _prefixed("room-"),
        ),
        Part(
            _schedule_roles,
            lambda row, user: mapping.schedule_from_role(row),
            {"_id": id_filter(prefix="role-"), "actor": actor_filter("PractitionerRole", "pk")},
            _prefixed("role-"),
        ),
    ],
    [
        SearchParameter("_id", "token", "room-N ou role-N", id_filter()),
        SearchParameter(
            "actor", "reference", "Location/room-N ou PractitionerRole/N", actor_filter("Location", "pk")
        ),
    ],
)


# --- Appointment search -----------------------------------------------------------------------------
def _appointments(user: Any) -> QuerySet[Any]:
    _require_scheduling_reader(user)
    return mapping.with_roles_at_site(
        appointments_visible_to(user)
        .select_related("use__remote_specialty", "site")
        .order_by("starts_at", "pk")
    )


def _status_filter(queryset: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    def build(alternatives: list[str]) -> Q:
        statuses = [s for code in alternatives for s in mapping.FHIR_TO_STATUSES.get(code, [])]
        return Q(status__in=statuses)

    return _each(values, build, queryset)


def _patient_filter(queryset: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    return _each(
        values,
        lambda alts: Q(patient_id__in=integer_ids([reference_ids(v, "Patient") for v in alts])),
        queryset,
    )


def _location_filter(queryset: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    def build(alternatives: list[str]) -> Q:
        ids = [reference_ids(v, "Location") for v in alternatives]
        return Q(site_id__in=integer_ids(ids, "site-")) | Q(room_id__in=integer_ids(ids, "room-"))

    return _each(values, build, queryset)


def parse_date_value(value: str, name: str) -> tuple[str, dt.datetime]:
    prefix = value[:2] if value[:2] in DATE_PREFIXES else "eq"
    raw = value[2:] if value[:2] in DATE_PREFIXES else value
    try:
        moment = dt.datetime.fromisoformat(raw) if "T" in raw else dt.datetime.fromisoformat(raw + "T00:00")
    except ValueError:
        raise FhirError(
            400, "invalid", _("Date invalide pour %(name)s : %(value)s.") % {"name": name, "value": value}
        ) from None
    if moment.tzinfo is None:
        moment = timezone.make_aware(moment)
    return prefix, moment


def _date_filter(queryset: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    for value in values:
        prefix, moment = parse_date_value(value, "date")
        if prefix == "eq":
            queryset = queryset.filter(starts_at__date=timezone.localdate(moment))
        else:
            queryset = queryset.filter(**{f"starts_at__{DATE_PREFIXES[prefix]}": moment})
    return queryset


def _appointment_resource(row: Any, user: Any) -> Any:
    return mapping.appointment_from(row, mapping.roles_at_site(row))


_APPOINTMENT_PARAMS = {
    "_id": ("token", "Identifiant logique", id_filter()),
    "patient": ("reference", "Patient/N", _patient_filter),
    "status": ("token", "booked, pending, cancelled, checked-in, arrived, fulfilled, noshow", _status_filter),
    "location": ("reference", "Location/site-N ou Location/room-N", _location_filter),
    "date": ("date", "Début (préfixes ge, gt, le, lt ; répétable)", _date_filter),
}
APPOINTMENT = ResourceType(
    "Appointment",
    [
        Part(
            _appointments,
            _appointment_resource,
            {name: apply for name, (_t, _d, apply) in _APPOINTMENT_PARAMS.items()},
            _prefixed(""),
        )
    ],
    [SearchParameter(name, kind, doc, apply) for name, (kind, doc, apply) in _APPOINTMENT_PARAMS.items()],
)
SLOT_PARAMETERS = [
    SearchParameter("service-type", "token", "Usage (code Maille), obligatoire sans specialty", id_filter()),
    SearchParameter("specialty", "token", "Spécialité à distance (code Maille)", id_filter()),
    SearchParameter("schedule.actor:Location", "reference", "Site (Location/site-N)", id_filter()),
    SearchParameter("location", "reference", "Site (Location/site-N)", id_filter()),
    SearchParameter("start", "date", "Début : start=ge…&start=lt…", id_filter()),
    SearchParameter("status", "token", "free (seule valeur)", id_filter()),
]
WRITE_INTERACTIONS = {"Appointment": ["create", "update", "patch"]}
# Read and search of these types go through the generic /fhir views.
RESOURCE_TYPES.update({"Schedule": SCHEDULE, "Appointment": APPOINTMENT})


# --- endpoints -----------------------------------------------------------------------------------------
def _writer(request: HttpRequest) -> Any:
    views.refuse_nul_characters(request)
    if bearer_token_of(request) is None and check_csrf(request) is not None:
        raise FhirError(403, "forbidden", _("Jeton CSRF absent ou invalide pour cette requête de session."))
    return api_user(request)


def _fhir_errors(run: Any) -> HttpResponse:
    try:
        return run()
    except FhirError as error:
        return error.response()
    except NotAuthenticated as error:
        return operation_outcome(401, "login", error.message)
    except RoleWithoutApiAccess as error:
        return operation_outcome(403, "forbidden", error.message)
    except ConflictError as error:
        return _conflict(error)
    except DomainError as error:
        code = "forbidden" if error.status_code == 403 else "business-rule"
        return operation_outcome(error.status_code, code, error.message)
    except Exception:
        logger.exception("Unexpected FHIR scheduling error")
        return operation_outcome(500, "exception", _("Erreur interne du serveur ; elle a été journalisée."))


def _conflict(error: ConflictError) -> HttpResponse:
    """409 with the fresh alternatives as information issues naming free Slots."""
    response = operation_outcome(409, "conflict", error.message)
    body = json.loads(response.content)
    use_id = error.details.get("use_id")
    for alternative in error.details.get("alternatives", []):
        starts_at = dt.datetime.fromisoformat(alternative["starts_at"])
        reference = f"Slot/{mapping.slot_id(use_id, alternative['site_id'], starts_at)}" if use_id else ""
        body["issue"].append(
            {
                "severity": "information",
                "code": "informational",
                "diagnostics": _("Créneau libre proposé : %(start)s") % {"start": alternative["starts_at"]},
                **({"expression": [reference]} if reference else {}),
            }
        )
    response.content = json.dumps(body, ensure_ascii=False).encode()
    return response


def _bundle(request: HttpRequest, resources: list[Any]) -> HttpResponse:
    base = request.build_absolute_uri(reverse("fhir:metadata")).rsplit("/metadata", 1)[0]
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "timestamp": timezone.now().isoformat(),
            "total": len(resources),
            "link": [{"relation": "self", "url": request.build_absolute_uri()}],
            "entry": [
                {
                    "fullUrl": f"{base}/{r.get_resource_type()}/{r.id}",
                    "resource": r,
                    "search": {"mode": "match"},
                }
                for r in resources
            ],
        }
    )
    return fhir_response(bundle)


def _tokens(values: list[str]) -> list[str]:
    return [token.rpartition("|")[2] for alternatives in split_values(values) for token in alternatives]


@csrf_exempt
def slot_search(request: HttpRequest) -> HttpResponse:
    if request.method not in views.READ_METHODS:
        return operation_outcome(405, "not-supported", _("Les créneaux se recherchent (GET)."))
    return _fhir_errors(lambda: _slot_search(request))


@csrf_exempt
def slot_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    if request.method not in views.READ_METHODS:
        return operation_outcome(
            405, "not-supported", _("Un créneau se lit (GET) ; on le réserve par Appointment.")
        )
    return _fhir_errors(lambda: _slot_read(request, resource_id))


def _slot_read(request: HttpRequest, resource_id: str) -> HttpResponse:
    """A slot is computed, not stored: its id names the use, the site and the start; it is found while it is
    still free at a site of the reader's scope, and is 404 otherwise (taken, past, or outside the scope)."""
    user = api_user(request)
    _require_scheduling_reader(user)
    not_found = FhirError(404, "not-found", _("Slot/%(id)s introuvable ou plus libre.") % {"id": resource_id})
    parsed = mapping.parse_slot_id(resource_id)
    if parsed is None:
        raise not_found
    use_id, site_id, starts_at = parsed
    use = Use.objects.select_related("remote_specialty").filter(pk=use_id).first()
    if use is None or site_visible_to(user, site_id) is None:
        raise not_found
    query = SlotQuery(
        use=use,
        starts_after=starts_at,
        # The window bounds the slot's end: wide enough for any consultation length.
        ends_before=starts_at + dt.timedelta(hours=4),
        site_ids=(site_id,),
        limit=1,
    )
    slot = next((slot for slot in find_slots(query) if slot.starts_at == starts_at), None)
    if slot is None:
        raise not_found
    return fhir_response(mapping.slot_from(slot, use))


def _slot_search(request: HttpRequest) -> HttpResponse:
    views.refuse_nul_characters(request)
    user = api_user(request)
    declared = {p.name for p in SLOT_PARAMETERS} | {"_count"}
    unknown = sorted(set(request.GET) - declared)
    if unknown:
        raise FhirError(
            400,
            "not-supported",
            _("Paramètre(s) de recherche non pris en charge pour Slot : %(names)s.")
            % {"names": ", ".join(unknown)},
            expression=unknown[0],
        )
    _require_scheduling_reader(user)
    count = min(views._positive_int(request, "_count", 10), MAX_SLOTS)
    uses = Use.objects.select_related("remote_specialty").order_by("pk")
    service_types = _tokens(request.GET.getlist("service-type"))
    specialties = _tokens(request.GET.getlist("specialty"))
    if not service_types and not specialties:
        raise FhirError(400, "required", _("Indiquez service-type ou specialty."), expression="service-type")
    if service_types:
        uses = uses.filter(code__in=service_types)
    if specialties:
        uses = uses.filter(remote_specialty__code__in=specialties)
    if any(v != "free" for v in _tokens(request.GET.getlist("status"))):
        return _bundle(request, [])
    visible = sites_visible_to(user).values_list("pk", flat=True)
    locations = request.GET.getlist("schedule.actor:Location") + request.GET.getlist("location")
    if locations:
        wanted = integer_ids([reference_ids(v, "Location") for v in _tokens(locations)], "site-")
        visible = visible.filter(pk__in=wanted)
    site_ids = tuple(sorted(visible))
    starts_after = ends_before = None
    for value in request.GET.getlist("start"):
        prefix, moment = parse_date_value(value, "start")
        if prefix in ("ge", "gt"):
            starts_after = moment
        elif prefix in ("lt", "le"):
            ends_before = moment
        else:
            starts_after, ends_before = moment, moment + dt.timedelta(days=1)
    found = []
    for use in uses:
        query = SlotQuery(
            use=use, starts_after=starts_after, ends_before=ends_before, site_ids=site_ids, limit=count
        )
        found += [(slot.starts_at, slot.site_id, use, slot) for slot in find_slots(query)]
    found.sort(key=lambda item: (item[0], item[1], item[2].pk))
    return _bundle(request, [mapping.slot_from(slot, use) for _s, _site, use, slot in found[:count]])


@csrf_exempt
def appointment_type(request: HttpRequest) -> HttpResponse:
    """GET: search (the generic search); POST: create from a free Slot."""
    if request.method == "POST":
        return _fhir_errors(lambda: _create(request))
    return views.search(request, "Appointment")


@csrf_exempt
def appointment_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    """GET: read; PUT or PATCH: cancellation only."""
    if request.method in ("PUT", "PATCH"):
        return _fhir_errors(lambda: _cancel(request, resource_id))
    return views.read(request, "Appointment", resource_id)


def _parse_appointment(request: HttpRequest) -> FhirAppointment:
    try:
        return FhirAppointment.model_validate_json(request.body)
    except (ValidationError, ValueError) as error:
        raise FhirError(
            400, "structure", _("Ressource Appointment invalide : %(error)s") % {"error": str(error)[:500]}
        ) from None


def _references(resource: FhirAppointment) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for participant in resource.participant or []:
        reference = participant.actor.reference if participant.actor else None
        if reference and "/" in reference:
            kind, _slash, ident = reference.rstrip("/").rpartition("/")
            found.setdefault(kind.rsplit("/", 1)[-1], []).append(ident)
    return found


def _create(request: HttpRequest) -> HttpResponse:
    user = _writer(request)
    return run_idempotently(
        request,
        user,
        lambda: _fhir_errors(lambda: _book(request, user)),
        lambda status, code, title, detail: operation_outcome(
            status, "invalid" if status < 409 else "conflict" if status == 409 else "business-rule", detail
        ),
    )


def _book(request: HttpRequest, user: Any) -> HttpResponse:
    # The role before the body: a role that may not book learns nothing from validation messages.
    if not has_permission(user, "scheduling.book"):
        raise FhirError(403, "forbidden", _("Votre rôle ne permet pas de réserver."))
    resource = _parse_appointment(request)
    if resource.status != "booked":
        raise FhirError(
            422, "business-rule", _("Seul status=booked est accepté à la création."), expression="status"
        )
    slots = [s.reference for s in resource.slot or [] if s.reference]
    parsed = mapping.parse_slot_id(slots[0].rpartition("/")[2]) if len(slots) == 1 else None
    if parsed is None:
        raise FhirError(
            422, "business-rule", _("Indiquez un seul créneau libre (slot: Slot/…)."), expression="slot"
        )
    use_id, site_id, starts_at = parsed
    use = Use.objects.filter(pk=use_id).first()
    site = site_visible_to(user, site_id)
    if use is None or site is None:
        raise FhirError(
            422, "business-rule", _("Créneau inconnu ou hors de votre périmètre."), expression="slot"
        )
    references = _references(resource)
    patients = integer_ids(references.get("Patient", []))
    patient = patient_bookable_by(user, patients[0]) if len(patients) == 1 else None
    if patient is None:
        raise FhirError(
            422, "business-rule", _("Patient inconnu (participant Patient/N)."), expression="participant"
        )
    rooms = integer_ids(references.get("Location", []), "room-")
    room = Room.objects.filter(pk=rooms[0], site=site).first() if rooms else None
    if rooms and room is None:
        raise FhirError(
            422, "business-rule", _("Cette salle n'appartient pas à ce site."), expression="participant"
        )
    role_ids = integer_ids(references.get("PractitionerRole", []))
    doctor_role = NetworkRole.objects.filter(pk__in=role_ids, kind=NetworkRoleKind.REMOTE_DOCTOR).first()
    doctor = Professional.objects.get(pk=doctor_role.professional_id) if doctor_role else None
    try:
        appointment = services.appointment_book(
            actor=user,
            channel=Channel.FHIR,
            patient=patient,
            use=use,
            site=site,
            starts_at=starts_at,
            room=room,
            doctor=doctor,
        )
    except ConflictError as error:
        error.details["use_id"] = use.pk
        raise
    appointment = (
        appointments_visible_to(user).select_related("use__remote_specialty", "site").get(pk=appointment.pk)
    )
    response = fhir_response(_appointment_resource(appointment, user), status=201)
    response["Location"] = request.build_absolute_uri(
        reverse("fhir:appointment-instance", args=[str(appointment.pk)])
    )
    return response


def _cancellation_of(request: HttpRequest) -> str:
    """The reason of a cancellation asked by PUT (a whole Appointment) or PATCH (JSON Patch)."""
    if request.method == "PUT":
        resource = _parse_appointment(request)
        status = resource.status
        reason = resource.cancelationReason.text if resource.cancelationReason else ""
    else:
        try:
            operations = json.loads(request.body)
        except ValueError:
            raise FhirError(400, "structure", _("Corps JSON Patch invalide.")) from None
        if not isinstance(operations, list):
            raise FhirError(400, "structure", _("Un JSON Patch est une liste d'opérations."))
        values = {op.get("path"): op.get("value") for op in operations if isinstance(op, dict)}
        status = values.get("/status")
        reason_value = values.get("/cancelationReason") or {}
        reason = reason_value.get("text", "") if isinstance(reason_value, dict) else ""
    if status != "cancelled":
        raise FhirError(
            422,
            "business-rule",
            _("Seule l'annulation (status=cancelled) est prise en charge."),
            expression="status",
        )
    if not reason:
        raise FhirError(
            422, "required", _("Indiquez cancelationReason.text."), expression="cancelationReason"
        )
    return reason


def _cancel(request: HttpRequest, resource_id: str) -> HttpResponse:
    user = _writer(request)
    ids = integer_ids([resource_id])
    appointment = _appointments(user).filter(pk__in=ids).first()
    if appointment is None:
        raise FhirError(404, "not-found", _("Appointment/%(id)s introuvable.") % {"id": resource_id})
    if not has_permission(user, "scheduling.book"):
        raise FhirError(403, "forbidden", _("Votre rôle ne permet pas d'annuler."))
    reason = _cancellation_of(request)
    services.appointment_cancel(actor=user, channel=Channel.FHIR, appointment=appointment, reason=reason)
    appointment = _appointments(user).get(pk=appointment.pk)
    return fhir_response(_appointment_resource(appointment, user))
