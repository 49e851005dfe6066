"""No double booking under real concurrency (PostgreSQL: exclusion constraint + advisory locks)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from maille.core.errors import ConflictError, DomainError
from maille.core.models import Channel
from maille.patients.models import Patient
from maille.scheduling.models import Appointment, AppointmentStatus, ResourceBooking
from maille.scheduling.selectors import double_bookings_count
from maille.scheduling.services import appointment_book
from tests.patients.factories import PatientFactory

from .factories import make_network, paris

CLIENTS = 32
NOW = paris(2026, 3, 2, 8)
NINE = paris(2026, 3, 2, 9)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_clients_race_for_one_slot_and_exactly_one_wins():
    net = make_network()
    patients = [PatientFactory() for _ in range(CLIENTS)]
    barrier = threading.Barrier(CLIENTS)
    outcomes: list[tuple[str, object]] = [("none", None)] * CLIENTS

    def client(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            appointment = appointment_book(
                actor=None,
                channel=Channel.API,
                patient=patients[index],
                use=net.use,
                site=net.site,
                starts_at=NINE,
                now=NOW,
            )
            outcomes[index] = ("won", appointment.pk)
        except ConflictError as error:
            outcomes[index] = ("lost", error)
        except Exception as error:
            outcomes[index] = ("error", repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    kinds = [kind for kind, _ in outcomes]
    assert kinds.count("won") == 1, outcomes
    assert kinds.count("lost") == CLIENTS - 1, outcomes
    for kind, error in outcomes:
        if kind == "lost":
            assert error.code == "slot_taken"
            assert error.message == "créneau déjà pris"
            assert error.details["alternatives"], "the loser must get fresh alternatives"
            assert error.details["alternatives"][0]["starts_at"] != NINE.astimezone(dt.UTC).isoformat()
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1
    assert ResourceBooking.objects.count() == 3
    assert double_bookings_count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_itself_refuses_overlapping_rows():
    net = make_network()
    appointment = appointment_book(
        actor=None,
        channel=Channel.API,
        patient=PatientFactory(),
        use=net.use,
        site=net.site,
        starts_at=NINE,
        now=NOW,
    )
    intruder = Appointment.objects.create(
        use=net.use,
        site=net.site,
        room=net.room,
        doctor=net.doctor,
        patient=appointment.patient,
        starts_at=NINE,
        ends_at=NINE + dt.timedelta(minutes=20),
        status=AppointmentStatus.BOOKED,
        channel=Channel.API,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourceBooking.build(
            appointment=intruder,
            resource_key=f"room:{net.room.pk}",
            starts_at=NINE + dt.timedelta(minutes=10),
            ends_at=NINE + dt.timedelta(minutes=30),
        ).save()
    # Touching ranges are fine: [9:00, 9:20) and [9:20, 9:40) do not overlap.
    ResourceBooking.build(
        appointment=intruder,
        resource_key=f"room:{net.room.pk}",
        starts_at=NINE + dt.timedelta(minutes=20),
        ends_at=NINE + dt.timedelta(minutes=40),
    ).save()
    assert double_bookings_count() == 0


@pytest.mark.django_db
def test_a_booking_for_a_record_merged_since_it_was_loaded_is_refused():
    net = make_network()
    keep, duplicate = PatientFactory(), PatientFactory()
    loaded_before = Patient.objects.get(pk=duplicate.pk)  # what a page loaded a moment ago
    Patient.objects.filter(pk=duplicate.pk).update(merged_into=keep)
    with pytest.raises(DomainError) as refused:
        appointment_book(
            actor=None, channel=Channel.API, patient=loaded_before, use=net.use, site=net.site,
            starts_at=NINE, now=NOW,
        )  # fmt: skip
    assert refused.value.code == "merged_patient"
    assert not Appointment.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_merge_committed_while_a_booking_waits_is_seen_by_the_booking():
    net = make_network()
    keep, duplicate = PatientFactory(), PatientFactory()
    # Another session merges: it locks the duplicate's record for update, as patient_merge does.
    merger = connection.copy()
    merger.set_autocommit(False)
    with merger.cursor() as cursor:
        cursor.execute("SELECT id FROM patients_patient WHERE id = %s FOR UPDATE", [duplicate.pk])
    outcome: list[object] = []

    def book() -> None:
        try:
            outcome.append(
                appointment_book(
                    actor=None,
                    channel=Channel.API,
                    patient=duplicate,
                    use=net.use,
                    site=net.site,
                    starts_at=NINE,
                    now=NOW,
                )  # fmt: skip
            )
        except DomainError as error:
            outcome.append(error.code)
        finally:
            connection.close()

    booking = threading.Thread(target=book)
    booking.start()
    # It waits on the record's lock (its check of the caller's object saw no merge), or has not reached it yet:
    # either way it cannot have finished, its transaction needs that lock.
    booking.join(timeout=1)
    assert booking.is_alive()
    with merger.cursor() as cursor:
        cursor.execute(
            "UPDATE patients_patient SET merged_into_id = %s WHERE id = %s", [keep.pk, duplicate.pk]
        )
    merger.commit()
    merger.close()
    booking.join(timeout=30)
    assert outcome == ["merged_patient"]
    assert not Appointment.objects.exists()
