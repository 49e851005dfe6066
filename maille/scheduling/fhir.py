"""Mapping of scheduling to FHIR R4B (``fhir.resources``): Schedule, Slot, Appointment.

Shaped after the ANS "Gestion d'agendas partagés" guide where it applies: one ``Schedule`` per resource
(``Schedule/room-N`` whose actor is the room's Location, ``Schedule/role-N`` whose actors are the
assistant's or doctor's PractitionerRole and Practitioner); a ``Slot`` is a free start found by the engine
for a use at a site (id ``<use id>-<site id>-<UTC minutes since the epoch>``, its schedule is the room's);
an ``Appointment`` has the patient, the site and room Locations and the practitioner roles as participants.
Every Slot and Appointment carries the Maille extension marking an *assisted* teleconsultation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot

from maille.directory.fhir import (
    ASSISTED_TELECONSULTATION,
    CARE_MODE_EXTENSION,
    SPECIALTY_SYSTEM,
    USE_SYSTEM,
    room_location_id,
    site_location_id,
)
from maille.directory.models import NetworkRole, Room, Use

from .engine import Slot
from .models import Appointment, AppointmentStatus

S = AppointmentStatus
STATUS_TO_FHIR = {
    S.HELD: "pending",
    S.BOOKED: "booked",
    S.CONFIRMED: "booked",
    S.CHECKED_IN: "checked-in",
    S.IN_PROGRESS: "arrived",
    S.COMPLETED: "fulfilled",
    S.CANCELLED: "cancelled",
    S.EXPIRED: "cancelled",
    S.RESCHEDULED: "cancelled",
    S.NO_SHOW: "noshow",
}
FHIR_TO_STATUSES: dict[str, list[str]] = {}
for _status, _fhir in STATUS_TO_FHIR.items():
    FHIR_TO_STATUSES.setdefault(_fhir, []).append(_status)
ASSISTED_EXTENSION = [{"url": CARE_MODE_EXTENSION, "valueCoding": ASSISTED_TELECONSULTATION}]
# Where ``with_roles_at_site`` puts the network roles of each appointment's site (ordered by id).
ROLES_AT_SITE_ATTRIBUTE = "fhir_network_roles"


def _epoch_minutes(moment: dt.datetime) -> int:
    return int(moment.timestamp() // 60)


def slot_id(use_id: int, site_id: int, starts_at: dt.datetime) -> str:
    return f"{use_id}-{site_id}-{_epoch_minutes(starts_at)}"


def parse_slot_id(value: str) -> tuple[int, int, dt.datetime] | None:
    parts = value.split("-")
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts):
        return None
    use_id, site_id, minutes = (int(part) for part in parts)
    return use_id, site_id, dt.datetime.fromtimestamp(minutes * 60, tz=dt.UTC)


def _use_concepts(use: Use) -> dict[str, Any]:
    data: dict[str, Any] = {
        "serviceType": [{"coding": [{"system": USE_SYSTEM, "code": use.code, "display": use.name}]}]
    }
    specialty = use.remote_specialty
    if specialty is not None:
        data["specialty"] = [
            {"coding": [{"system": SPECIALTY_SYSTEM, "code": specialty.code, "display": specialty.label}]}
        ]
    return data


def schedule_from_room(room: Room) -> Schedule:
    """``room`` needs its site loaded."""
    return Schedule.model_validate(
        {
            "resourceType": "Schedule",
            "id": f"room-{room.pk}",
            "active": room.is_bookable,
            "actor": [
                {"reference": f"Location/{room_location_id(room.pk)}", "display": room.name},
                {"reference": f"Location/{site_location_id(room.site_id)}", "display": room.site.name},
            ],
            "comment": f"Salle « {room.name} »",
        }
    )


def schedule_from_role(role: NetworkRole) -> Schedule:
    """``role`` needs its professional loaded."""
    return Schedule.model_validate(
        {
            "resourceType": "Schedule",
            "id": f"role-{role.pk}",
            "active": role.is_active,
            "actor": [
                {"reference": f"PractitionerRole/{role.pk}"},
                {"reference": f"Practitioner/{role.professional_id}", "display": str(role.professional)},
            ],
            "comment": f"{role.get_kind_display()} : {role.professional}",
        }
    )


def slot_from(slot: Slot, use: Use) -> FhirSlot:
    """A free slot of the engine (``use`` needs remote_specialty loaded)."""
    return FhirSlot.model_validate(
        {
            "resourceType": "Slot",
            "id": slot_id(use.pk, slot.site_id, slot.starts_at),
            "extension": ASSISTED_EXTENSION,
            **_use_concepts(use),
            "schedule": {"reference": f"Schedule/room-{slot.room_id}"},
            "status": "free",
            "start": slot.starts_at.isoformat(),
            "end": slot.ends_at.isoformat(),
            "comment": f"Location/{site_location_id(slot.site_id)}",
        }
    )


def _participant(reference: str, display: str = "", role_code: str = "") -> dict[str, Any]:
    participant: dict[str, Any] = {
        "actor": {"reference": reference, **({"display": display} if display else {})},
        "required": "required",
        "status": "accepted",
    }
    if role_code:
        participant["type"] = [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                        "code": role_code,
                    }
                ]
            }
        ]
    return participant


def appointment_from(appointment: Appointment, roles: dict[int, int]) -> FhirAppointment:
    """``appointment`` needs use__remote_specialty and site; ``roles``: professional id → network role id
    at that site (a professional without one is referenced as a Practitioner)."""

    def professional(pro_id: int, code: str) -> dict[str, Any]:
        if pro_id in roles:
            return _participant(f"PractitionerRole/{roles[pro_id]}", role_code=code)
        return _participant(f"Practitioner/{pro_id}", role_code=code)

    participants = [
        _participant(f"Location/{site_location_id(appointment.site_id)}", appointment.site.name),
        _participant(f"Location/{room_location_id(appointment.room_id)}"),
        professional(appointment.doctor_id, "ATND"),
    ]
    if appointment.patient_id is not None:
        participants.insert(0, _participant(f"Patient/{appointment.patient_id}", role_code="SBJ"))
    if appointment.assistant_id is not None:
        participants.append(professional(appointment.assistant_id, "PPRF"))
    data: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": str(appointment.pk),
        "extension": ASSISTED_EXTENSION,
        "status": STATUS_TO_FHIR[appointment.status],
        **_use_concepts(appointment.use),
        "start": appointment.starts_at.isoformat(),
        "end": appointment.ends_at.isoformat(),
        "minutesDuration": int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
        "slot": [
            {"reference": f"Slot/{slot_id(appointment.use_id, appointment.site_id, appointment.starts_at)}"}
        ],
        "created": appointment.created_at.isoformat(),
        "participant": participants,
    }
    if appointment.cancel_reason:
        data["cancelationReason"] = {"text": appointment.cancel_reason}
    return FhirAppointment.model_validate(data)


def with_roles_at_site(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """Prefetch what ``roles_at_site`` reads for a whole page of appointments (one query for the page,
    instead of one per appointment)."""
    return appointments.prefetch_related(
        Prefetch(
            "site__network_roles",
            queryset=NetworkRole.objects.only("pk", "professional_id").order_by("pk"),
            to_attr=ROLES_AT_SITE_ATTRIBUTE,
        )
    )


def roles_at_site(appointment: Appointment) -> dict[int, int]:
    """Network role ids of the appointment's doctor and assistant at its site (the lowest id when there are
    several): from ``with_roles_at_site`` when the appointment was loaded with it, else one query."""
    people = {p for p in (appointment.doctor_id, appointment.assistant_id) if p is not None}
    site_is_loaded = Appointment._meta.get_field("site").is_cached(appointment)
    prefetched = getattr(appointment.site, ROLES_AT_SITE_ATTRIBUTE, None) if site_is_loaded else None
    if prefetched is not None:
        rows = [(role.professional_id, role.pk) for role in prefetched if role.professional_id in people]
    else:
        rows = list(
            NetworkRole.objects.filter(professional_id__in=people, sites=appointment.site_id)
            .order_by("pk")
            .values_list("professional_id", "pk")
        )
    roles: dict[int, int] = {}
    for professional_id, role_id in rows:
        roles.setdefault(professional_id, role_id)
    return roles
