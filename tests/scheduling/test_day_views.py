"""The day pages: a site's appointments room by room, a remote doctor's across sites; one-click check-in,
start and no-show; the list redrawn only when something changed, each identity drawn audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from maille.accounts.models import Role
from maille.core.models import AuditEvent, Channel
from maille.directory.models import Use
from maille.scheduling.models import Appointment, AppointmentStatus
from maille.scheduling.services import appointment_check_in
from maille.scheduling.wallclock import PARIS
from tests.factories import ProfessionalFactory, RoomFactory, SiteFactory, user_with_role
from tests.patients.factories import PatientFactory

pytestmark = pytest.mark.django_db


def today_at(hour: int, minute: int = 0) -> dt.datetime:
    day = timezone.localdate()
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def appointment(site, doctor, *, at, room=None, last_name="Martin", status=AppointmentStatus.BOOKED):
    return Appointment.objects.create(
        use=Use.objects.get(code="tlc-mg"),
        site=site,
        room=room or RoomFactory(site=site),
        doctor=doctor,
        patient=PatientFactory(last_name=last_name),
        starts_at=at,
        ends_at=at + dt.timedelta(minutes=20),
        status=status,
        channel=Channel.PHONE,
    )


@pytest.fixture
def day(db):
    site, elsewhere = SiteFactory(), SiteFactory()
    doctor, colleague = ProfessionalFactory(profession="medecin"), ProfessionalFactory(profession="medecin")
    room_a, room_b = RoomFactory(site=site, name="Salle A"), RoomFactory(site=site, name="Salle B")
    return {
        "site": site,
        "doctor": doctor,
        "early": appointment(site, doctor, at=today_at(9), room=room_a, last_name="Aubert"),
        "late": appointment(site, colleague, at=today_at(10), room=room_b, last_name="Bernard"),
        "tomorrow": appointment(
            site, doctor, at=today_at(9) + dt.timedelta(days=1), room=room_a, last_name="Colin"
        ),
        "elsewhere": appointment(elsewhere, doctor, at=today_at(11), last_name="Durand"),
        "cancelled": appointment(
            site, doctor, at=today_at(11), room=room_a, last_name="Evrard", status=AppointmentStatus.CANCELLED
        ),  # fmt: skip
    }


def staff_of(site):
    return user_with_role(Role.SITE_STAFF, site=site)


def doctor_user(doctor):
    user = user_with_role(Role.REMOTE_DOCTOR)
    doctor.user = user
    doctor.save(update_fields=["user"])
    return user


def test_site_staff_see_today_room_by_room_with_each_identity_read_audited(client, day):
    staff = staff_of(day["site"])
    client.force_login(staff)
    page = client.get(reverse("scheduling:site_day", args=[day["site"].pk])).content.decode()
    assert page.index("Salle A") < page.index("Aubert") < page.index("Salle B") < page.index("Bernard")
    assert "Evrard" in page  # a cancelled appointment stays in the day, struck through
    assert "Colin" not in page
    assert "Durand" not in page
    reads = AuditEvent.objects.filter(actor=staff, action="patient.read", reason="journée du site")
    assert sorted(int(pk) for pk in reads.values_list("target_id", flat=True)) == sorted(
        day[k].patient_id for k in ("early", "late", "cancelled")
    )
    tomorrow = client.get(
        reverse("scheduling:site_day", args=[day["site"].pk]),
        {"jour": str(timezone.localdate() + dt.timedelta(days=1))},
    )
    assert "Colin" in tomorrow.content.decode()


def test_another_site_s_staff_and_other_roles_do_not_open_the_site_day(client, day):
    client.force_login(staff_of(SiteFactory()))
    assert client.get(reverse("scheduling:site_day", args=[day["site"].pk])).status_code == 404
    client.force_login(user_with_role(Role.COORDINATOR, departement_id=day["site"].commune.departement_id))
    assert client.get(reverse("scheduling:site_day", args=[day["site"].pk])).status_code == 403


def test_the_list_is_redrawn_only_when_something_changed(client, day):
    staff = staff_of(day["site"])
    client.force_login(staff)
    url = reverse("scheduling:site_day_list", args=[day["site"].pk])
    first = client.get(url)
    version = first.context["version"]
    reads = AuditEvent.objects.filter(action="patient.read").count()
    assert client.get(url, {"version": version}).status_code == 204  # nothing new: no identity read
    assert AuditEvent.objects.filter(action="patient.read").count() == reads
    appointment_check_in(actor=staff, channel=Channel.SITE, appointment=day["early"])
    redrawn = client.get(url, {"version": version})
    assert redrawn.status_code == 200
    assert "Patient prêt en salle" in redrawn.content.decode()


def test_one_click_check_in_then_back_to_the_day(client, day):
    client.force_login(staff_of(day["site"]))
    back = reverse("scheduling:site_day", args=[day["site"].pk])
    response = client.post(
        reverse("scheduling:day_action", args=[day["early"].pk]), {"action": "check_in", "retour": back}
    )
    assert response.status_code == 302
    assert response.url == back
    day["early"].refresh_from_db()
    assert day["early"].status == AppointmentStatus.CHECKED_IN
    assert day["early"].transitions.get(name="check_in").channel == Channel.SITE


def test_an_action_the_state_does_not_allow_changes_nothing_and_says_so(client, day):
    client.force_login(staff_of(day["site"]))
    url = reverse("scheduling:day_action", args=[day["cancelled"].pk])
    response = client.post(url, {"action": "check_in", "retour": "https://evil.example/"}, follow=True)
    assert "Cette action n&#x27;est plus possible pour ce rendez-vous." in response.content.decode()
    assert response.redirect_chain[0][0] == reverse("scheduling:appointment", args=[day["cancelled"].pk])
    day["cancelled"].refresh_from_db()
    assert day["cancelled"].status == AppointmentStatus.CANCELLED
    assert client.get(url).status_code == 405


def test_the_doctor_sees_their_own_day_across_sites_and_who_is_ready(client, day):
    user = doctor_user(day["doctor"])
    appointment_check_in(actor=None, channel=Channel.SITE, appointment=day["elsewhere"])
    client.force_login(user)
    page = client.get(reverse("scheduling:doctor_day")).content.decode()
    assert "Aubert" in page
    assert "Durand" in page
    assert "Bernard" not in page  # a colleague's patient
    assert "1 patient prêt en salle" in page
    assert "Patient arrivé" not in page  # the site records arrivals; the doctor starts or notes an absence
    assert (
        AuditEvent.objects.filter(actor=user, action="patient.read", reason="journée du médecin").count() == 3
    )
    assert client.get(reverse("scheduling:site_day", args=[day["site"].pk])).status_code == 403


def test_a_doctor_cannot_act_on_a_colleague_s_appointment(client, day):
    client.force_login(doctor_user(day["doctor"]))
    response = client.post(reverse("scheduling:day_action", args=[day["late"].pk]), {"action": "start"})
    assert response.status_code == 404


@pytest.mark.parametrize("jour", ["2026-13-40", "demain", "1990-01-01"])
def test_a_malformed_or_far_day_is_a_400_naming_the_parameter(client, day, jour):
    client.force_login(staff_of(day["site"]))
    for name, args in (
        ("scheduling:site_day", [day["site"].pk]),
        ("scheduling:site_day_list", [day["site"].pk]),
    ):
        response = client.get(reverse(name, args=args), {"jour": jour})
        assert response.status_code == 400
        assert "« jour »" in response.content.decode()
