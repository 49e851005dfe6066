"""One rule for who reads which appointment, applied alike on the pages, /api/v1 and /fhir.

A remote doctor reads the appointments they conduct; another doctor's appointment at a site they serve is
busy time to them, nothing more. A coordinator reads the appointments of their territory: a doctor's
appointment elsewhere is busy time in the doctor's week. An evaluator reads aggregates only.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from maille.accounts.models import Role
from maille.core.models import Channel
from maille.scheduling.models import Appointment, AppointmentStatus
from maille.scheduling.selectors import (
    appointments_managed_by,
    appointments_run_by,
    appointments_visible_to,
    patients_visible_to,
)
from tests.api.world import bearer_for
from tests.factories import UserFactory, user_with_role
from tests.patients.factories import PatientFactory

from .factories import add_doctor, make_network

pytestmark = pytest.mark.django_db


def booked(net, doctor, patient, days: int = 2) -> Appointment:
    starts_at = (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0)
    return Appointment.objects.create(
        use=net.use,
        site=net.site,
        room=net.room,
        doctor=doctor,
        patient=patient,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=20),
        status=AppointmentStatus.BOOKED,
        channel=Channel.PHONE,
    )


@pytest.fixture
def world():
    meuse = make_network()
    marne = make_network(use=meuse.use, departement="52", commune_code="52001", latitude=48.1, longitude=5.1)
    # Our doctor serves both sites; a colleague serves the Meuse site too.
    doctor_user = UserFactory()
    doctor_user.save()
    doctor_user.role_grants.create(role=Role.REMOTE_DOCTOR)
    doctor = meuse.doctor
    doctor.user = doctor_user
    doctor.save(update_fields=["user"])
    doctor.network_roles.first().sites.add(marne.site)
    colleague = add_doctor(meuse.site)
    mine = booked(meuse, doctor, PatientFactory(last_name="Mienne"))
    theirs = booked(meuse, colleague, PatientFactory(last_name="Autrui"), days=3)
    mine_elsewhere = booked(marne, doctor, PatientFactory(last_name="Ailleurs"), days=4)
    return {
        "meuse": meuse,
        "marne": marne,
        "doctor_user": doctor_user,
        "mine": mine,
        "theirs": theirs,
        "mine_elsewhere": mine_elsewhere,
    }


def test_a_doctor_reads_the_appointments_they_conduct_and_no_other(world):
    user = world["doctor_user"]
    assert set(appointments_visible_to(user)) == {world["mine"], world["mine_elsewhere"]}
    assert set(appointments_run_by(user)) == {world["mine"], world["mine_elsewhere"]}
    assert not appointments_managed_by(user).exists()  # a doctor does not book
    assert set(patients_visible_to(user).values_list("last_name", flat=True)) == {"Mienne", "Ailleurs"}


def test_site_staff_coordinators_operators_and_evaluators(world):
    staff = user_with_role(Role.SITE_STAFF, site=world["meuse"].site)
    assert set(appointments_visible_to(staff)) == {world["mine"], world["theirs"]}
    assert set(appointments_run_by(staff)) == {world["mine"], world["theirs"]}
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    assert set(appointments_visible_to(coordinator)) == {world["mine"], world["theirs"]}
    assert not appointments_run_by(coordinator).exists()
    operator = user_with_role(Role.OPERATOR, departement_id="52")
    assert set(appointments_visible_to(operator)) == {world["mine_elsewhere"]}
    assert set(appointments_managed_by(operator)) == {world["mine_elsewhere"]}
    evaluator = user_with_role(Role.EVALUATOR, departement_id="55")
    assert not appointments_visible_to(evaluator).exists()
    assert not patients_visible_to(evaluator).exists()


def test_a_doctor_cannot_open_another_doctors_appointment_page(client, world):
    client.force_login(world["doctor_user"])
    theirs = client.get(reverse("scheduling:appointment", args=[world["theirs"].pk]))
    assert theirs.status_code == 404
    assert "Autrui" not in theirs.content.decode()
    mine = client.get(reverse("scheduling:appointment", args=[world["mine"].pk]))
    assert mine.status_code == 200
    assert "Mienne" in mine.content.decode()


def _week_of(appointment: Appointment) -> str:
    day = timezone.localtime(appointment.starts_at).date()
    return (day - dt.timedelta(days=day.weekday())).isoformat()


def test_another_doctors_appointment_is_busy_time_in_the_site_week(client, world):
    client.force_login(world["doctor_user"])
    theirs, mine = world["theirs"], world["mine"]
    url = reverse("scheduling:site_agenda", args=[world["meuse"].site.pk])
    content = client.get(url, {"semaine": _week_of(theirs)}).content.decode()
    assert reverse("scheduling:appointment", args=[theirs.pk]) not in content
    assert '<li class="entry entry-busy">' in content
    content = client.get(url, {"semaine": _week_of(mine)}).content.decode()
    assert reverse("scheduling:appointment", args=[mine.pk]) in content


def test_a_coordinator_sees_a_doctors_appointments_outside_their_territory_as_busy(client, world):
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    doctor, elsewhere = world["meuse"].doctor, world["mine_elsewhere"]
    response = client.get(
        reverse("scheduling:doctor_agenda"), {"medecin": doctor.pk, "semaine": _week_of(elsewhere)}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert reverse("scheduling:appointment", args=[elsewhere.pk]) not in content
    assert world["marne"].site.name not in content.split("Semaine du", 1)[1]
    assert '<li class="entry entry-busy">' in content


def test_a_doctors_api_token_lists_only_their_appointments(client, world):
    response = client.get("/api/v1/scheduling/bookings", headers=bearer_for(world["doctor_user"]))
    assert response.status_code == 200
    listed = {row["id"] for row in response.json()["results"]}
    assert listed == {world["mine"].pk, world["mine_elsewhere"].pk}
    fhir = client.get("/fhir/Appointment", headers=bearer_for(world["doctor_user"]))
    assert fhir.status_code == 200
    assert {entry["resource"]["id"] for entry in fhir.json().get("entry", [])} == {
        str(world["mine"].pk),
        str(world["mine_elsewhere"].pk),
    }


def test_an_evaluator_is_refused_appointments_on_every_interface(client, world):
    evaluator = user_with_role(Role.EVALUATOR, departement_id="55")
    assert client.get("/api/v1/scheduling/bookings", headers=bearer_for(evaluator)).status_code == 403
    assert client.get("/fhir/Appointment", headers=bearer_for(evaluator)).status_code == 403
    client.force_login(evaluator)
    assert client.get(reverse("scheduling:appointment", args=[world["mine"].pk])).status_code == 403
