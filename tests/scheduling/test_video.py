"""The video link: an unguessable room per appointment, Jitsi (with and without JWT) and a URL template,
shown only to the appointment's doctor and its site's staff, only around its time."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
from django.urls import reverse

from maille.accounts.models import Role
from maille.scheduling.models import AppointmentStatus
from maille.scheduling.video import JitsiProvider, TemplateProvider, room_name, video_access, window
from tests.factories import ProfessionalFactory, SiteFactory, user_with_role

from .test_day_views import appointment, doctor_user, today_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(db, settings):
    settings.VIDEO_PROVIDER = "jitsi"
    settings.VIDEO_JITSI_URL = "https://visio.example.org"
    settings.VIDEO_JITSI_APP_ID = ""
    settings.VIDEO_OPENS_MINUTES_BEFORE, settings.VIDEO_CLOSES_MINUTES_AFTER = 15, 30
    site = SiteFactory()
    doctor = ProfessionalFactory(profession="medecin", first_name="Anne", last_name="Roux")
    return appointment(site, doctor, at=today_at(10))


def test_each_appointment_has_its_own_unguessable_room(visit, settings):
    room = room_name(visit.pk)
    assert room == room_name(visit.pk)
    assert room != room_name(visit.pk + 1)
    assert room.startswith("maille-")
    assert len(room) == len("maille-") + 24
    assert str(visit.pk) not in room.removeprefix("maille-")
    settings.SECRET_KEY = "another-deployment-secret-key-0123456789"
    assert room_name(visit.pk) != room  # it depends on the deployment's secret


def test_jitsi_link_without_and_with_a_token(visit):
    assert JitsiProvider(app_id="").link(visit, role="doctor", display_name="Dr Roux") == (
        f"https://visio.example.org/{room_name(visit.pk)}"
    )
    url = JitsiProvider(app_id="maille", secret="a-test-secret-of-at-least-32-bytes!").link(
        visit, role="doctor", display_name="Dr Roux"
    )
    base, _, token = url.partition("?jwt=")
    assert base == f"https://visio.example.org/{room_name(visit.pk)}"
    claims = jwt.decode(
        token,
        "a-test-secret-of-at-least-32-bytes!",
        algorithms=["HS256"],
        audience="jitsi",
        options={"verify_nbf": False, "verify_exp": False},
    )
    opens, closes = window(visit)
    assert claims["room"] == room_name(visit.pk)
    assert (claims["iss"], claims["sub"]) == ("maille", "visio.example.org")
    assert (claims["nbf"], claims["exp"]) == (int(opens.timestamp()), int(closes.timestamp()))
    assert claims["context"]["user"] == {"name": "Dr Roux", "moderator": True}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-also-longer-than-32-bytes", algorithms=["HS256"], audience="jitsi")


def test_url_template_for_a_certified_solution(visit):
    provider = TemplateProvider("https://tlc.example.fr/salle/{room}?rdv={appointment}&profil={role}")
    assert provider.link(visit, role="site", display_name="x") == (
        f"https://tlc.example.fr/salle/{room_name(visit.pk)}?rdv={visit.pk}&profil=site"
    )


def test_only_the_doctor_and_the_site_staff_get_the_link_and_only_around_the_time(visit):
    doctor = doctor_user(visit.doctor)
    staff = user_with_role(Role.SITE_STAFF, site=visit.site)
    during = visit.starts_at - dt.timedelta(minutes=10)
    for user in (doctor, staff):
        access = video_access(user, visit, now=during)
        assert access.url.startswith("https://visio.example.org/maille-")
    assert video_access(doctor, visit, now=visit.starts_at - dt.timedelta(minutes=16)).url == ""
    assert video_access(doctor, visit, now=visit.ends_at + dt.timedelta(minutes=31)).url == ""
    late = video_access(doctor, visit, now=visit.ends_at + dt.timedelta(minutes=29))
    assert late.is_open
    colleague = doctor_user(ProfessionalFactory(profession="medecin"))
    for outsider in (
        colleague,
        user_with_role(Role.SITE_STAFF, site=SiteFactory()),
        user_with_role(Role.COORDINATOR, departement_id=visit.site.commune.departement_id),
        user_with_role(Role.PLATFORM_ADMIN),
    ):
        assert video_access(outsider, visit, now=during) is None
    visit.status = AppointmentStatus.CANCELLED
    assert video_access(doctor, visit, now=during) is None


def test_without_a_provider_the_page_says_so(visit, settings, client):
    settings.VIDEO_PROVIDER = ""
    client.force_login(doctor_user(visit.doctor))
    page = client.get(reverse("scheduling:appointment", args=[visit.pk])).content.decode()
    assert "Aucun service de visioconférence" in page


def test_the_doctor_joins_from_the_appointment_page_and_the_day(visit, client, settings):
    settings.VIDEO_OPENS_MINUTES_BEFORE = settings.VIDEO_CLOSES_MINUTES_AFTER = 24 * 60  # open all day
    client.force_login(doctor_user(visit.doctor))
    page = client.get(reverse("scheduling:appointment", args=[visit.pk])).content.decode()
    assert "Rejoindre la téléconsultation" in page
    assert f"https://visio.example.org/{room_name(visit.pk)}" in page
    day = client.get(reverse("scheduling:doctor_day")).content.decode()
    assert f"https://visio.example.org/{room_name(visit.pk)}" in day
