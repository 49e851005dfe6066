"""Every write on appointments: keyword-only services, one durable transaction each, the audit row and
the transition log written in the same transaction. Pages, the operator console, /api/v1, FHIR and
commands all call these.

No double booking: each appointment holds one busy row per resource (room, assistant, doctor). Inside
the transaction the service takes a PostgreSQL advisory lock per resource key (sorted, so two
bookings never wait on each other in opposite orders), checks overlaps, then inserts; the exclusion
constraint of migration 0002 is the last word. On SQLite, ``transaction_mode=IMMEDIATE`` serialises
write transactions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.core.errors import ConflictError, DomainError
from maille.core.models import Channel
from maille.core.queries import insert_rows
from maille.directory.models import Professional, Room, Site, Use
from maille.patients.models import Patient

from .engine import SlotQuery, candidates_at, find_slots
from .lifecycle import (
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_confirm,
    appointment_no_show,
    appointment_start,
    hold_release,
)
from .models import (
    MAX_BUSY_MINUTES,
    Appointment,
    AppointmentStatus,
    ResourceBooking,
    professional_key,
    room_key,
)
from .transitions import check_transition, locked, log_transition
from .wallclock import to_minutes

HOLD_MINUTES = 8
# The lifecycle services live in lifecycle.py; callers import every appointment service from here.
__all__ = [
    "appointment_book",
    "appointment_book_hold",
    "appointment_cancel",
    "hold_release",
    "appointment_check_in",
    "appointment_complete",
    "appointment_confirm",
    "appointment_hold",
    "appointment_hold_offer",
    "appointment_no_show",
    "appointment_reschedule",
    "appointment_start",
    "holds_expire",
]
ALTERNATIVES_COUNT = 5


class _SlotTaken(Exception):
    """Raised inside the transaction so that it rolls back; turned into a ConflictError outside."""


# --- helpers ------------------------------------------------------------------------------------------
def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _lock_resource_keys(keys: list[str]) -> None:
    """Advisory locks on every resource, in one statement and a fixed order (no deadlock between bookers)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(key)) FROM unnest(%s::text[]) AS key ORDER BY key",
            [sorted(keys)],
        )


def _expire(appointment: Appointment, *, now: dt.datetime) -> None:
    appointment.resource_bookings.all().delete()
    appointment.status = AppointmentStatus.EXPIRED
    appointment.save(update_fields=["status"])
    log_transition(
        appointment,
        name="expire",
        from_status=AppointmentStatus.HELD,
        actor=None,
        channel="system",
        reason="",
    )


def _occupy(appointment: Appointment, *, buffer_minutes: int, now: dt.datetime) -> None:
    """Insert the busy rows of an appointment, or raise _SlotTaken (the caller's transaction rolls back)."""
    keys = [room_key(appointment.room_id), professional_key(appointment.doctor_id)]
    if appointment.assistant_id is not None:
        keys.append(professional_key(appointment.assistant_id))
    ends_at = appointment.ends_at + dt.timedelta(minutes=buffer_minutes)
    _lock_resource_keys(keys)
    # One read for both questions: is anything in the way, and is it only holds past their time? A plain
    # statement, like the engine's reads of this table: on every booking, the ORM's compilation cost 4 times it.
    # The exact test is on the instants (adapted as the ORM does: SQLite stores them as UTC text, and a raw
    # parameter would be compared as local text); the bounds on starts_minute let it use the (key, starts_minute)
    # index over one day only (a row overlapping the start starts at most MAX_BUSY_MINUTES before it).
    ops = connection.ops
    table = ops.quote_name(ResourceBooking._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT appointment_id, hold_expires_minute FROM {table} WHERE resource_key IN "
            f"({', '.join(['%s'] * len(keys))}) AND starts_minute >= %s AND starts_minute <= %s "
            "AND starts_at < %s AND ends_at > %s AND appointment_id <> %s",
            [
                *keys,
                to_minutes(appointment.starts_at) - MAX_BUSY_MINUTES,
                to_minutes(ends_at),
                ops.adapt_datetimefield_value(ends_at),
                ops.adapt_datetimefield_value(appointment.starts_at),
                appointment.pk,
            ],
        )
        overlapping = cursor.fetchall()
    # Minutes are rounded up: a hold counts as live until the minute after it expires, never less.
    if any(expires is None or expires > to_minutes(now) for _, expires in overlapping):
        raise _SlotTaken
    if overlapping:
        stale = Appointment.objects.filter(
            pk__in={pk for pk, _ in overlapping}, status=AppointmentStatus.HELD, hold_expires_at__lte=now
        ).select_for_update()
        for appointment_ in stale:
            _expire(appointment_, now=now)
    try:
        # No savepoint: on a violation the whole booking transaction is rolled back anyway.
        insert_rows(
            [
                ResourceBooking.build(
                    appointment=appointment,
                    resource_key=key,
                    starts_at=appointment.starts_at,
                    ends_at=ends_at,
                    hold_expires_at=appointment.hold_expires_at,
                )
                for key in keys
            ]
        )
    except (IntegrityError, OperationalError) as error:
        # Exclusion violation (23P01) or a deadlock (40P01) if the locks were bypassed: the slot is gone.
        raise _SlotTaken from error


def _least_loaded(doctor_ids: list[int], starts_at: dt.datetime) -> int:
    """Balance load: the eligible doctor with the fewest appointments that week (then lowest id)."""
    if len(doctor_ids) == 1:
        return doctor_ids[0]
    week_start = starts_at - dt.timedelta(days=starts_at.weekday())
    # A plain statement on every booking's path: the ORM's compilation of this grouped count cost ten times
    # the database's answer (0.5 ms of CPU against 0.05).
    ops = connection.ops
    not_counted = [AppointmentStatus.CANCELLED, AppointmentStatus.EXPIRED, AppointmentStatus.RESCHEDULED]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT doctor_id, COUNT(*) FROM {ops.quote_name(Appointment._meta.db_table)} "
            f"WHERE doctor_id IN ({', '.join(['%s'] * len(doctor_ids))}) AND starts_at >= %s AND starts_at < %s "
            f"AND status NOT IN ({', '.join(['%s'] * len(not_counted))}) GROUP BY doctor_id",
            [
                *doctor_ids,
                ops.adapt_datetimefield_value(week_start - dt.timedelta(days=1)),
                ops.adapt_datetimefield_value(week_start + dt.timedelta(days=8)),
                *not_counted,
            ],
        )
        counts = dict(cursor.fetchall())
    return min(doctor_ids, key=lambda d: (counts.get(d, 0), d))


def alternatives(
    *, use: Use, site: Site, starts_at: dt.datetime, now: dt.datetime | None = None
) -> list[dict]:
    """Fresh slots near the site, from the asked time on (what the losing client is offered)."""
    query = SlotQuery(
        use=use,
        latitude=site.latitude,
        longitude=site.longitude,
        starts_after=max(starts_at - dt.timedelta(hours=2), _now(now)),
        limit=ALTERNATIVES_COUNT,
    )
    return [
        {
            "site_id": slot.site_id,
            "starts_at": slot.starts_at.isoformat(),
            "ends_at": slot.ends_at.isoformat(),
            "room_id": slot.room_id,
            "assistant_id": slot.assistant_id,
            "doctor_ids": list(slot.doctor_ids),
        }
        for slot in find_slots(query, now=_now(now))
    ]


def _slot_taken(*, use: Use, site: Site, starts_at: dt.datetime, now: dt.datetime | None) -> ConflictError:
    return ConflictError(
        _("créneau déjà pris"),
        code="slot_taken",
        details={"alternatives": alternatives(use=use, site=site, starts_at=starts_at, now=now)},
    )


def _reserve(
    *,
    use: Use,
    site: Site,
    starts_at: dt.datetime,
    room: Room | None,
    assistant: Professional | None,
    doctor: Professional | None,
    now: dt.datetime,
    walk_in: bool = False,
) -> tuple[dict[str, Any], int]:
    """Resolve and validate the resources of a start, with the engine's rules: the appointment's resource
    fields, and the use's buffer (minutes the resources stay busy after it)."""
    if starts_at <= now:
        raise DomainError(_("Ce créneau est déjà passé."), code="past_slot")
    if room is not None and room.site_id != site.pk:
        raise DomainError(_("Cette salle n'appartient pas à ce site."), code="room_not_at_site")
    free = candidates_at(use=use, site_id=site.pk, starts_at=starts_at, now=now, walk_in=walk_in)
    if not free.site_offers_use:
        raise DomainError(_("Ce site ne propose pas cet usage."), code="use_not_offered")
    if not free.equipped_room_ids or (room is not None and room.pk not in free.equipped_room_ids):
        required = sorted(use.required_equipment.values_list("code", flat=True))
        raise DomainError(
            _("Aucune salle de ce site n'a l'équipement requis : %(codes)s.")
            % {"codes": ", ".join(required)},
            code="equipment_missing",
        )
    chosen_room = room.pk if room is not None else (free.room_ids[0] if free.room_ids else None)
    chosen_assistant = (
        assistant.pk if assistant is not None else (free.assistant_ids[0] if free.assistant_ids else None)
    )
    chosen_doctor = (
        doctor.pk
        if doctor is not None
        else (_least_loaded(free.doctor_ids, starts_at) if free.doctor_ids else None)
    )
    if (
        not free.bookable
        or chosen_room not in free.room_ids
        or chosen_doctor not in free.doctor_ids
        or (free.needs_assistant and chosen_assistant not in free.assistant_ids)
    ):
        raise _SlotTaken
    fields = {
        "room_id": chosen_room,
        "assistant_id": chosen_assistant if free.needs_assistant else None,
        "doctor_id": chosen_doctor,
        "ends_at": starts_at + dt.timedelta(minutes=free.duration_minutes),
    }
    return fields, free.buffer_minutes


# --- holds and bookings ---------------------------------------------------------------------------------
@transaction.atomic(durable=True)
def _create(
    *,
    actor: Any,
    channel: str,
    status: str,
    patient: Patient | None,
    use: Use,
    site: Site,
    starts_at: dt.datetime,
    room: Room | None,
    assistant: Professional | None,
    doctor: Professional | None,
    booked_by_caregiver: bool,
    now: dt.datetime,
    hold_minutes: int = HOLD_MINUTES,
    reason: str = "",
    walk_in: bool = False,
) -> Appointment:
    resources, buffer_minutes = _reserve(
        use=use, site=site, starts_at=starts_at, room=room, assistant=assistant, doctor=doctor, now=now,
        walk_in=walk_in,
    )  # fmt: skip
    [appointment] = insert_rows(
        [
            Appointment(
                use=use,
                site=site,
                patient=patient,
                starts_at=starts_at,
                status=status,
                hold_expires_at=now + dt.timedelta(minutes=hold_minutes)
                if status == AppointmentStatus.HELD
                else None,
                channel=channel,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
                booked_by_caregiver=booked_by_caregiver,
                **resources,
            )
        ]
    )
    if patient is not None:
        _refuse_merged_patient(patient.pk)
    _occupy(appointment, buffer_minutes=buffer_minutes, now=now)
    log_transition(
        appointment,
        name="hold" if status == AppointmentStatus.HELD else "book",
        from_status="",
        actor=actor,
        channel=channel,
        reason=reason,
    )
    return appointment


def _unknown_patient() -> DomainError:
    return DomainError(_("Patient inconnu."), code="unknown_patient")


def _merged_patient() -> DomainError:
    return DomainError(_("Ce dossier patient a été fusionné avec un autre."), code="merged_patient")


def _check_patient(patient: Patient | None) -> Patient:
    """What the caller's record tells (no query): a patient is given and not known as merged. The booking's
    transaction reads the record again, locked (``_refuse_merged_patient``)."""
    if patient is None or patient.pk is None:
        raise _unknown_patient()
    if patient.merged_into_id is not None:
        raise _merged_patient()
    return patient


def _refuse_merged_patient(patient_id: int) -> None:
    """Inside the booking's transaction: the patient's record, read under a key-share lock until the commit. A
    merge locks both records for update, so it either waits for this booking and then moves its appointment, or
    has committed first and is seen here (a locking read returns the latest version). The foreign key alone would
    not do: Django's are deferred to the commit, and a check before the transaction misses a merge in between."""
    table = connection.ops.quote_name(Patient._meta.db_table)
    lock = " FOR KEY SHARE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT merged_into_id FROM {table} WHERE id = %s{lock}", [patient_id])
        row = cursor.fetchone()
    if row is None:
        raise _unknown_patient()
    if row[0] is not None:
        raise _merged_patient()


def appointment_hold(
    *,
    actor: Any,
    channel: str,
    use: Use,
    site: Site,
    starts_at: dt.datetime,
    room: Room | None = None,
    assistant: Professional | None = None,
    doctor: Professional | None = None,
    now: dt.datetime | None = None,
    hold_minutes: int = HOLD_MINUTES,
    walk_in: bool = False,
) -> Appointment:
    """Hold a slot for a few minutes (it expires by itself) while the patient's details are taken.
    ``walk_in``: the patient is at the site, the use's minimum notice does not apply (the caller checks
    that the user runs this site)."""
    now = _now(now)
    try:
        return _create(
            actor=actor,
            channel=channel,
            status=AppointmentStatus.HELD,
            patient=None,
            use=use,
            site=site,
            starts_at=starts_at,
            room=room,
            assistant=assistant,
            doctor=doctor,
            booked_by_caregiver=False,
            now=now,
            hold_minutes=hold_minutes,
            walk_in=walk_in,
        )
    except _SlotTaken:
        raise _slot_taken(use=use, site=site, starts_at=starts_at, now=now) from None


def appointment_hold_offer(
    *,
    patient: Patient,
    use: Use,
    site: Site,
    starts_at: dt.datetime,
    hold_minutes: int,
    now: dt.datetime | None = None,
) -> Appointment:
    """A slot offered to a waiting patient: a hold in their name, placed by the system (any booker who may
    see it confirms it when the patient calls, or the patient through their link), lasting ``hold_minutes``."""
    now = _now(now)
    try:
        return _create(
            actor=None, channel=Channel.SYSTEM, status=AppointmentStatus.HELD, patient=_check_patient(patient),
            use=use, site=site, starts_at=starts_at, room=None, assistant=None, doctor=None,
            booked_by_caregiver=False, now=now, hold_minutes=hold_minutes, reason="liste d'attente",
        )  # fmt: skip
    except _SlotTaken:
        raise _slot_taken(use=use, site=site, starts_at=starts_at, now=now) from None


def appointment_book(
    *,
    actor: Any,
    channel: str,
    patient: Patient,
    use: Use,
    site: Site,
    starts_at: dt.datetime,
    room: Room | None = None,
    assistant: Professional | None = None,
    doctor: Professional | None = None,
    booked_by_caregiver: bool = False,
    now: dt.datetime | None = None,
) -> Appointment:
    """Book a slot directly (no hold). ``doctor=None`` means any eligible doctor, balancing load."""
    now = _now(now)
    patient = _check_patient(patient)
    try:
        return _create(
            actor=actor,
            channel=channel,
            status=AppointmentStatus.BOOKED,
            patient=patient,
            use=use,
            site=site,
            starts_at=starts_at,
            room=room,
            assistant=assistant,
            doctor=doctor,
            booked_by_caregiver=booked_by_caregiver,
            now=now,
        )
    except _SlotTaken:
        raise _slot_taken(use=use, site=site, starts_at=starts_at, now=now) from None


@transaction.atomic(durable=True)
def appointment_book_hold(
    *,
    actor: Any,
    channel: str,
    hold: Appointment,
    patient: Patient,
    booked_by_caregiver: bool = False,
    call_note: str = "",
    confirmation_read_out: bool = False,
    now: dt.datetime | None = None,
) -> Appointment:
    """Turn one's own, unexpired hold into a booking for a patient. ``call_note``: what the operator noted
    of the call; ``confirmation_read_out``: the operator read the confirmation to the patient (no
    confirmation message is sent, the reminders are)."""
    now = _now(now)
    appointment = locked(hold)
    check_transition(appointment, "book")
    if not appointment.is_held_by(actor):
        raise ConflictError(_("Cette option a été posée par quelqu'un d'autre."), code="foreign_hold")
    if appointment.hold_expires_at <= now:
        raise ConflictError(_("Cette option a expiré : choisissez un nouveau créneau."), code="hold_expired")
    appointment.patient = _check_patient(patient)
    appointment.status = AppointmentStatus.BOOKED
    appointment.hold_expires_at = None
    appointment.booked_by_caregiver = booked_by_caregiver
    appointment.call_note = call_note.strip()[:500]
    appointment.confirmation_read_out = confirmation_read_out
    appointment.save(
        update_fields=[
            "patient", "status", "hold_expires_at", "booked_by_caregiver", "call_note", "confirmation_read_out"
        ]
    )  # fmt: skip
    _refuse_merged_patient(appointment.patient_id)
    appointment.resource_bookings.update(hold_expires_minute=None)
    log_transition(
        appointment, name="book", from_status=AppointmentStatus.HELD, actor=actor, channel=channel, reason=""
    )
    return appointment


@transaction.atomic(durable=True)
def holds_expire(*, now: dt.datetime | None = None) -> int:
    """Expire every hold past its time (a periodic job; searches and bookings also skip them)."""
    now = _now(now)
    # Locked (skipping rows another transaction holds, e.g. a hold being booked or cancelled right now):
    # a hold cancelled meanwhile is never overwritten as expired, nor logged twice.
    stale = list(
        Appointment.objects.select_for_update(skip_locked=True).filter(
            status=AppointmentStatus.HELD, hold_expires_at__lte=now
        )
    )
    for appointment in stale:
        _expire(appointment, now=now)
    return len(stale)


@transaction.atomic(durable=True)
def _reschedule(
    *,
    actor: Any,
    channel: str,
    appointment: Appointment,
    site: Site,
    starts_at: dt.datetime,
    room: Room | None,
    assistant: Professional | None,
    doctor: Professional | None,
    reason: str,
    now: dt.datetime,
) -> Appointment:
    old = locked(appointment)
    from_status = old.status
    old.status = check_transition(old, "reschedule")
    old.save(update_fields=["status"])
    # Free the old rows first: moving by a few minutes with the same resources must work.
    old.resource_bookings.all().delete()
    log_transition(
        old, name="reschedule", from_status=from_status, actor=actor, channel=channel, reason=reason
    )
    resources, buffer_minutes = _reserve(
        use=old.use, site=site, starts_at=starts_at, room=room, assistant=assistant, doctor=doctor, now=now
    )
    new = Appointment.objects.create(
        use=old.use,
        site=site,
        patient=old.patient,
        starts_at=starts_at,
        status=AppointmentStatus.HELD if from_status == AppointmentStatus.HELD else AppointmentStatus.BOOKED,
        hold_expires_at=now + dt.timedelta(minutes=HOLD_MINUTES)
        if from_status == AppointmentStatus.HELD
        else None,
        channel=channel,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        booked_by_caregiver=old.booked_by_caregiver,
        rescheduled_from=old,
        **resources,
    )
    _occupy(new, buffer_minutes=buffer_minutes, now=now)
    log_transition(
        new,
        name="book" if new.status == AppointmentStatus.BOOKED else "hold",
        from_status="",
        actor=actor,
        channel=channel,
        reason=reason,
    )
    return new


def appointment_reschedule(
    *,
    actor: Any,
    channel: str,
    appointment: Appointment,
    starts_at: dt.datetime,
    site: Site | None = None,
    room: Room | None = None,
    assistant: Professional | None = None,
    doctor: Professional | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    """Move an appointment: the old one becomes "déplacé" and points to the new one, atomically."""
    now = _now(now)
    site = site or appointment.site
    try:
        return _reschedule(
            actor=actor,
            channel=channel,
            appointment=appointment,
            site=site,
            starts_at=starts_at,
            room=room,
            assistant=assistant,
            doctor=doctor,
            reason=reason,
            now=now,
        )
    except _SlotTaken:
        raise _slot_taken(use=appointment.use, site=site, starts_at=starts_at, now=now) from None
