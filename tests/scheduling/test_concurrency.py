"""No double booking under real concurrency (PostgreSQL: exclusion constraint + advisory locks)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from maille.core.errors import ConflictError
from maille.core.models import Channel
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
