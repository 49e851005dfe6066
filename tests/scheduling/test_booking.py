"""Booking services: every transition, the transition log and audit rows, holds, faults, no double booking."""

from __future__ import annotations

import datetime as dt

import pytest

from maille.core.errors import ConflictError, DomainError
from maille.core.models import AuditEvent, Channel
from maille.scheduling.models import (
    TRANSITIONS,
    Appointment,
    AppointmentStatus,
    AppointmentTransition,
    ResourceBooking,
)
from maille.scheduling.selectors import double_bookings_count
from maille.scheduling.services import (
    appointment_book,
    appointment_book_hold,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_confirm,
    appointment_hold,
    appointment_no_show,
    appointment_reschedule,
    appointment_start,
    holds_expire,
)
from tests.factories import UserFactory
from tests.patients.factories import PatientFactory

from .factories import make_network, make_use, paris

pytestmark = pytest.mark.django_db

NOW = paris(2026, 3, 2, 8)
NINE = paris(2026, 3, 2, 9)


@pytest.fixture
def net():
    return make_network()


@pytest.fixture
def operator():
    user = UserFactory()
    user.save()
    return user


def book(net, *, at=NINE, actor=None, now=NOW, **extra):
    return appointment_book(
        actor=actor,
        channel=Channel.PHONE,
        patient=PatientFactory(),
        use=net.use,
        site=net.site,
        starts_at=at,
        now=now,
        **extra,
    )


def test_booking_holds_one_busy_row_per_resource_and_logs_it(net, operator):
    appointment = book(net, actor=operator)
    assert appointment.status == AppointmentStatus.BOOKED
    assert (appointment.room, appointment.assistant, appointment.doctor) == (net.room, net.nurse, net.doctor)
    assert sorted(appointment.resource_bookings.values_list("resource_key", flat=True)) == sorted(
        [f"room:{net.room.pk}", f"pro:{net.nurse.pk}", f"pro:{net.doctor.pk}"]
    )
    log = appointment.transitions.get()
    assert (log.from_status, log.to_status, log.actor, log.channel) == ("", "booked", operator, Channel.PHONE)
    event = AuditEvent.objects.get(action="appointment.book")
    assert (event.actor, event.channel, event.target_id) == (operator, Channel.PHONE, str(appointment.pk))


def test_full_lifecycle_to_completion(net, operator):
    appointment = book(net, actor=operator)
    appointment = appointment_confirm(actor=operator, channel=Channel.WEB, appointment=appointment)
    appointment = appointment_check_in(
        actor=operator, channel=Channel.SITE, appointment=appointment, now=NINE
    )
    appointment = appointment_start(actor=operator, channel=Channel.SITE, appointment=appointment, now=NINE)
    appointment = appointment_complete(
        actor=operator,
        channel=Channel.SITE,
        appointment=appointment,
        duration_minutes=17,
        act_code="TTE",
        report_sent_to_medecin_traitant=True,
        prescription_issued=True,
        now=NINE + dt.timedelta(minutes=17),
    )
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    assert (appointment.duration_minutes, appointment.act_code, appointment.prescription_issued) == (
        17,
        "TTE",
        True,
    )
    assert list(appointment.transitions.values_list("to_status", flat=True)) == [
        "booked",
        "confirmed",
        "checked_in",
        "in_progress",
        "completed",
    ]
    assert (
        AuditEvent.objects.filter(target_id=str(appointment.pk), action__startswith="appointment.").count()
        == 5
    )
    assert appointment.resource_bookings.count() == 3  # the time was used


ACTIONS = {
    "confirm": lambda a, u: appointment_confirm(actor=u, channel=Channel.WEB, appointment=a),
    "cancel": lambda a, u: appointment_cancel(actor=u, channel=Channel.WEB, appointment=a, reason="test"),
    "check_in": lambda a, u: appointment_check_in(actor=u, channel=Channel.WEB, appointment=a, now=NINE),
    "start": lambda a, u: appointment_start(actor=u, channel=Channel.WEB, appointment=a, now=NINE),
    "complete": lambda a, u: appointment_complete(
        actor=u, channel=Channel.WEB, appointment=a, duration_minutes=20
    ),
    "no_show": lambda a, u: appointment_no_show(actor=u, channel=Channel.WEB, appointment=a, now=NINE),
    "reschedule": lambda a, u: appointment_reschedule(
        actor=u, channel=Channel.WEB, appointment=a, starts_at=paris(2026, 3, 3, 10), now=NOW
    ),
}


@pytest.mark.parametrize("status", AppointmentStatus.values)
@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_transition_table_is_enforced(net, operator, name, status):
    appointment = book(net, actor=operator)
    Appointment.objects.filter(pk=appointment.pk).update(
        status=status, hold_expires_at=NOW + dt.timedelta(minutes=5) if status == "held" else None
    )
    appointment.refresh_from_db()
    sources, target = TRANSITIONS[name]
    if status in sources:
        result = ACTIONS[name](appointment, operator)
        appointment.refresh_from_db()
        assert appointment.status == target
        assert result.transitions.last().name in {name, "book", "hold"}
    else:
        before = AppointmentTransition.objects.count()
        with pytest.raises(ConflictError) as error:
            ACTIONS[name](appointment, operator)
        assert error.value.code == "illegal_transition"
        assert error.value.status_code == 409
        appointment.refresh_from_db()
        assert appointment.status == status
        assert AppointmentTransition.objects.count() == before


def test_same_slot_twice_gets_slot_taken_with_fresh_alternatives(net):
    book(net)
    with pytest.raises(ConflictError) as error:
        book(net)
    assert error.value.message == "créneau déjà pris"
    alternatives = error.value.details["alternatives"]
    assert alternatives
    assert alternatives[0]["starts_at"] == paris(2026, 3, 2, 9, 20).astimezone(dt.UTC).isoformat()
    assert Appointment.objects.count() == 1
    assert double_bookings_count() == 0


def test_overlapping_start_on_the_same_room_is_refused(net):
    book(net)
    with pytest.raises(ConflictError):
        book(net, at=paris(2026, 3, 2, 9, 10))
    assert ResourceBooking.objects.count() == 3


def test_a_start_an_hour_before_another_booking_of_the_same_people_is_free(net):
    """The overlap check compares instants, not their text: on SQLite (UTC text in the table), a local-time
    parameter made 10:00 Paris look like 09:00-09:20 and refused a free 09:00 start."""
    later = book(net, at=paris(2026, 3, 2, 10))
    earlier = book(net, at=NINE)
    assert (earlier.room, earlier.doctor) == (later.room, later.doctor)
    assert double_bookings_count() == 0


def test_a_row_taken_after_the_engine_read_is_caught_though_it_began_the_day_before(net, monkeypatch):
    """The booking's own check, under its locks: a room taken between the engine's read and the lock, by a row
    that began almost a day earlier (the longest a busy row may last), still refuses the start."""
    from maille.scheduling import services
    from maille.scheduling.engine import candidates_at

    stale = candidates_at(use=net.use, site_id=net.site.pk, starts_at=NINE, now=NOW)
    assert stale.bookable
    monkeypatch.setattr(services, "candidates_at", lambda **kwargs: stale)
    other = book(net, at=paris(2026, 3, 2, 10), now=NOW)
    long_row = other.resource_bookings.get(resource_key=f"room:{net.room.pk}")
    replaced = ResourceBooking.build(
        appointment=other,
        resource_key=long_row.resource_key,
        starts_at=paris(2026, 3, 1, 9, 30),  # 23 h 40 min before its end, the day before
        ends_at=paris(2026, 3, 2, 9, 10),
    )
    long_row.delete()
    replaced.save()
    with pytest.raises(ConflictError):
        book(net, at=NINE)
    assert Appointment.objects.count() == 1


def test_cancel_frees_the_slot_and_needs_a_reason(net, operator):
    appointment = book(net)
    with pytest.raises(DomainError):
        appointment_cancel(actor=operator, channel=Channel.PHONE, appointment=appointment, reason=" ")
    cancelled = appointment_cancel(
        actor=operator,
        channel=Channel.PHONE,
        appointment=appointment,
        reason="patient hospitalisé",
        by_patient=True,
    )
    assert (cancelled.cancelled_by, cancelled.cancel_reason, cancelled.cancelled_by_patient) == (
        operator,
        "patient hospitalisé",
        True,
    )
    assert not cancelled.resource_bookings.exists()
    assert book(net).status == AppointmentStatus.BOOKED


def test_reschedule_moves_atomically(net, operator):
    original = book(net)
    moved = appointment_reschedule(
        actor=operator,
        channel=Channel.PHONE,
        appointment=original,
        starts_at=paris(2026, 3, 2, 9, 10),
        now=NOW,
    )
    original.refresh_from_db()
    assert original.status == AppointmentStatus.RESCHEDULED
    assert moved.rescheduled_from == original
    assert moved.patient == original.patient
    assert not original.resource_bookings.exists()
    blocker = book(net, at=paris(2026, 3, 2, 10))
    with pytest.raises(ConflictError):
        appointment_reschedule(
            actor=operator,
            channel=Channel.PHONE,
            appointment=moved,
            starts_at=paris(2026, 3, 2, 10, 10),
            now=NOW,
        )
    moved.refresh_from_db()
    assert moved.status == AppointmentStatus.BOOKED
    assert moved.resource_bookings.count() == 3
    assert blocker.resource_bookings.count() == 3
    assert double_bookings_count() == 0


def test_hold_then_book_by_its_owner_only_and_before_expiry(net, operator):
    hold = appointment_hold(
        actor=operator, channel=Channel.PHONE, use=net.use, site=net.site, starts_at=NINE, now=NOW
    )
    assert hold.status == AppointmentStatus.HELD
    assert hold.hold_expires_at == NOW + dt.timedelta(minutes=8)
    stranger = UserFactory()
    stranger.save()
    with pytest.raises(ConflictError) as foreign:
        appointment_book_hold(
            actor=stranger, channel=Channel.PHONE, hold=hold, patient=PatientFactory(), now=NOW
        )
    assert foreign.value.code == "foreign_hold"
    with pytest.raises(ConflictError) as expired:
        appointment_book_hold(
            actor=operator,
            channel=Channel.PHONE,
            hold=hold,
            patient=PatientFactory(),
            now=NOW + dt.timedelta(minutes=9),
        )
    assert expired.value.code == "hold_expired"
    booked = appointment_book_hold(
        actor=operator, channel=Channel.PHONE, hold=hold, patient=PatientFactory(), now=NOW
    )
    assert booked.status == AppointmentStatus.BOOKED
    assert booked.hold_expires_at is None


def test_expired_holds_are_swept(net):
    hold = appointment_hold(
        actor=None, channel=Channel.SYSTEM, use=net.use, site=net.site, starts_at=NINE, now=NOW
    )
    assert holds_expire(now=NOW + dt.timedelta(minutes=5)) == 0
    assert holds_expire(now=NOW + dt.timedelta(minutes=8)) == 1
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.EXPIRED
    assert not hold.resource_bookings.exists()


def test_bad_inputs_get_clear_answers(net):
    with pytest.raises(DomainError) as past:
        book(net, at=paris(2026, 3, 1, 9))
    assert past.value.code == "past_slot"
    other_use = make_use("test-other")
    with pytest.raises(DomainError) as not_offered:
        appointment_book(
            actor=None,
            channel=Channel.API,
            patient=PatientFactory(),
            use=other_use,
            site=net.site,
            starts_at=NINE,
            now=NOW,
        )
    assert not_offered.value.code == "use_not_offered"
    with pytest.raises(ConflictError):  # outside availability: not bookable, alternatives offered
        book(net, at=paris(2026, 3, 2, 14))
    ghost = PatientFactory.build()
    with pytest.raises(DomainError) as unknown:
        appointment_book(
            actor=None,
            channel=Channel.API,
            patient=ghost,
            use=net.use,
            site=net.site,
            starts_at=NINE,
            now=NOW,
        )
    assert unknown.value.code == "unknown_patient"
    net.room.equipment.clear()
    with pytest.raises(DomainError) as unequipped:  # said plainly, not "slot taken"
        book(net)
    assert unequipped.value.code == "equipment_missing"
    assert "otoscope" in str(unequipped.value)
    assert Appointment.objects.count() == 0


def test_no_show_only_after_the_start(net, operator):
    appointment = book(net)
    with pytest.raises(DomainError):
        appointment_no_show(actor=operator, channel=Channel.SITE, appointment=appointment, now=NOW)
    assert (
        appointment_no_show(
            actor=operator, channel=Channel.SITE, appointment=appointment, now=NINE + dt.timedelta(minutes=15)
        ).status
        == AppointmentStatus.NO_SHOW
    )
