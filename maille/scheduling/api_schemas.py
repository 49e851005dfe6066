"""Request and response schemas of the /api/v1 scheduling endpoints (``api.py``)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from maille.core.input_guards import ApiDateTime
from maille.directory.models import Sex

from .models import AppointmentStatus, WebhookEvent

MAX_SLOTS = 50


class Ref(Schema):
    id: int
    name: str


class RuleOut(Schema):
    id: int
    resource_kind: str = Field(description="room, assistant ou doctor")
    resource: Ref
    weekday: int = Field(description="0 = lundi … 6 = dimanche")
    starts: str = Field(description="HH:MM, heure locale (Europe/Paris)")
    ends: str
    valid_from: dt.date
    valid_until: dt.date | None


class GridEntryOut(Schema):
    kind: str
    label: str
    starts: dt.datetime | None
    ends: dt.datetime | None


class GridRowOut(Schema):
    label: str
    days: list[list[GridEntryOut]]


class WeekOut(Schema):
    monday: dt.date
    days: list[dt.date]
    rows: list[GridRowOut]


class SlotSearch(Schema):
    use: str = Field(description="Code d'usage")
    commune: str | None = Field(None, description="Code INSEE de la commune du patient")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    site: list[int] | None = Field(None, description="Sites (répétable)")
    start: ApiDateTime | None = Field(
        None, description="Au plus tôt (ISO 8601 ; sans décalage : heure de Paris)"
    )
    end: ApiDateTime | None = Field(None, description="Au plus tard")
    max_travel_minutes: float | None = Field(None, gt=0)
    doctor_sex: Sex | None = None
    doctor_language: str | None = Field(None, description="Code de langue (fr, en, ar…)")
    limit: int = Field(10, ge=1, le=MAX_SLOTS)


class SlotOut(Schema):
    site: Ref
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: Ref
    assistant: Ref | None
    doctor: Ref | None = Field(
        description="Toujours vide : « tout médecin éligible », choisi à la réservation"
    )
    eligible_doctors: list[Ref]
    travel_minutes: float | None
    distance_km: float | None


class HoldIn(Schema):
    use: str
    site: int
    starts_at: ApiDateTime
    room: int | None = None
    doctor: int | None = Field(None, description="Vide : tout médecin éligible (le moins chargé)")


class BookingIn(Schema):
    patient: int
    hold: int | None = Field(None, description="Option à confirmer ; sinon use, site et starts_at")
    use: str | None = None
    site: int | None = None
    starts_at: ApiDateTime | None = None
    room: int | None = None
    doctor: int | None = None
    booked_by_caregiver: bool = False


class BookingOut(Schema):
    id: int
    status: AppointmentStatus
    use: str
    site: Ref
    room_id: int
    assistant_id: int | None
    doctor_id: int
    patient_id: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    hold_expires_at: dt.datetime | None
    channel: str
    created_by: int | None
    cancel_reason: str
    rescheduled_from: int | None


class BookingFilters(Schema):
    site: int | None = None
    doctor: int | None = None
    patient: int | None = None
    use: str | None = None
    status: list[AppointmentStatus] | None = None
    start: ApiDateTime | None = Field(None, description="Début au plus tôt")
    end: ApiDateTime | None = Field(None, description="Début au plus tard (exclu)")


class CancelIn(Schema):
    reason: str = Field(min_length=1, max_length=300)
    by_patient: bool = False


class RescheduleIn(Schema):
    starts_at: ApiDateTime
    site: int | None = None
    room: int | None = None
    doctor: int | None = None
    reason: str = Field("", max_length=300)


class PatientIn(Schema):
    phone: str = ""
    last_name: str = ""
    first_name: str = ""
    birth_date: dt.date | None = None


class PatientOut(Schema):
    id: int
    last_name: str
    first_name: str
    birth_date: dt.date | None
    phone: str


class WebhookIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    url: str = Field(pattern=r"^https?://", max_length=500)
    event_types: list[WebhookEvent] = Field(min_length=1)


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    event_types: list[str]
    is_active: bool


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="Secret de signature HMAC-SHA256, affiché une seule fois")
