"""Directory pages: search and filters, HTMX fragments, constant queries, site detail, roles and scope."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from maille.accounts.models import Role
from maille.directory.models import (
    EquipmentType,
    NetworkRoleKind,
    OpeningHours,
    Profession,
    SiteLevel,
    SiteUse,
    Use,
    Weekday,
)
from tests.factories import (
    CommuneFactory,
    CptsFactory,
    DepartementFactory,
    NetworkRoleFactory,
    ProfessionalFactory,
    RegionFactory,
    RoomFactory,
    SiteFactory,
    user_with_role,
)

LIST_URL = "directory:site_list"


def _equip(room, *codes):
    room.equipment.add(*EquipmentType.objects.filter(code__in=codes))
    return room


@pytest.fixture
def directory(db):
    region = RegionFactory(code="44")
    DepartementFactory(code="55", name="Meuse", region=region)
    DepartementFactory(code="54", name="Meurthe-et-Moselle", region=region)
    souilly = CommuneFactory(code="55498", name="Souilly")
    verdun = CommuneFactory(code="55545", name="Verdun")
    nancy = CommuneFactory(code="54395", name="Nancy", departement_id="54")
    cpts = CptsFactory(name="CPTS du Verdunois (fictive)", departement_id="55", is_fictional=True)
    cpts.communes.add(verdun)
    souilly_site = SiteFactory(
        name="MSP de Souilly",
        host_organisation__commune=souilly,
        host_organisation__name="Maison de santé de Souilly",
        level=SiteLevel.MSP_2_0,
        reduced_mobility_access=True,
        public_phone="+33329000000",
        is_fictional=True,
    )
    verdun_site = SiteFactory(name="Pharmacie du Centre", host_organisation__commune=verdun)
    nancy_site = SiteFactory(name="Point de Nancy", host_organisation__commune=nancy)
    general = Use.objects.get(code="tlc-mg")
    dermato = Use.objects.get(code="tlc-dermato")
    SiteUse.objects.create(site=souilly_site, use=general, duration_minutes=25)
    SiteUse.objects.create(site=souilly_site, use=dermato)
    SiteUse.objects.create(site=verdun_site, use=general)
    _equip(RoomFactory(site=souilly_site, name="Cabine 1"), "video", "stethoscope", "dermatoscope")
    _equip(RoomFactory(site=souilly_site, name="Cabine 2"), "video")
    _equip(RoomFactory(site=verdun_site, name="Espace confidentiel"), "video")
    OpeningHours.objects.create(
        site=souilly_site, weekday=Weekday.MONDAY, opens=dt.time(9), closes=dt.time(12)
    )
    OpeningHours.objects.create(
        site=souilly_site, weekday=Weekday.MONDAY, opens=dt.time(14), closes=dt.time(18)
    )
    doctor = NetworkRoleFactory(
        professional=ProfessionalFactory(last_name="Fictif-Médecin", is_fictional=True),
        kind=NetworkRoleKind.REMOTE_DOCTOR,
    )
    doctor.sites.add(souilly_site)
    nurse = NetworkRoleFactory(
        professional=ProfessionalFactory(last_name="Fictif-Infirmier", profession=Profession.NURSE),
        kind=NetworkRoleKind.ASSISTANT,
    )
    nurse.sites.add(souilly_site)
    retired = NetworkRoleFactory(
        professional=ProfessionalFactory(last_name="Ancien-Assistant", profession=Profession.NURSE),
        kind=NetworkRoleKind.ASSISTANT,
        is_active=False,
    )
    retired.sites.add(souilly_site)
    return {
        "souilly": souilly_site,
        "verdun": verdun_site,
        "nancy": nancy_site,
        "cpts": cpts,
        "coordinator": user_with_role(Role.COORDINATOR, departement_id="55"),
    }


def _names(response) -> list[str]:
    return [site.name for site in response.context["page"].object_list]


# --- list ------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_anonymous_user_is_sent_to_login(client, directory):
    response = client.get(reverse(LIST_URL))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_list_shows_the_sites_in_scope_with_count_badge_and_markers(client, directory):
    client.force_login(directory["coordinator"])
    response = client.get(reverse(LIST_URL))
    assert response.status_code == 200
    assert _names(response) == ["MSP de Souilly", "Pharmacie du Centre"]
    page = response.content.decode()
    assert "2 sites trouvés" in page
    assert 'class="fictional-badge"' in page
    assert "Point de Nancy" not in page
    assert sorted(m["name"] for m in response.context["markers"]) == ["MSP de Souilly", "Pharmacie du Centre"]
    assert 'id="sites-map-data"' in page
    assert "hx-get" in page
    assert 'hx-push-url="true"' in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "souil"}, ["MSP de Souilly"]),
        ({"q": "Maison de santé"}, ["MSP de Souilly"]),
        ({"commune": "55545"}, ["Pharmacie du Centre"]),
        ({"use": "tlc-dermato"}, ["MSP de Souilly"]),
        ({"level": SiteLevel.MSP_2_0}, ["MSP de Souilly"]),
        ({"equipment": "stethoscope"}, ["MSP de Souilly"]),
        ({"accessible": "on"}, ["MSP de Souilly"]),
        ({"use": "tlc-mg", "equipment": "video"}, ["MSP de Souilly", "Pharmacie du Centre"]),
    ],
)
def test_filters(client, directory, params, expected):
    client.force_login(directory["coordinator"])
    assert _names(client.get(reverse(LIST_URL), params)) == expected


@pytest.mark.django_db
def test_cpts_filter_and_its_choices(client, directory):
    client.force_login(directory["coordinator"])
    response = client.get(reverse(LIST_URL), {"cpts": directory["cpts"].pk})
    assert _names(response) == ["Pharmacie du Centre"]
    choices = dict(response.context["form"].fields["cpts"].choices)
    assert choices[directory["cpts"].pk] == "CPTS du Verdunois (fictive)"


@pytest.mark.django_db
def test_choices_and_invalid_values_stay_in_scope(client, directory):
    client.force_login(directory["coordinator"])
    response = client.get(reverse(LIST_URL), {"commune": "54395"})
    form = response.context["form"]
    assert "54395" not in dict(form.fields["commune"].choices)
    assert form.errors["commune"]
    # The invalid filter is ignored, not applied to an empty result.
    assert _names(response) == ["MSP de Souilly", "Pharmacie du Centre"]


@pytest.mark.django_db
def test_htmx_request_gets_the_results_fragment_with_an_out_of_band_count(client, directory):
    client.force_login(directory["coordinator"])
    response = client.get(reverse(LIST_URL), {"q": "centre"}, headers={"hx-request": "true"})
    page = response.content.decode()
    assert "<html" not in page
    assert 'hx-swap-oob="true"' in page
    assert "1 site trouvé" in page
    assert "Pharmacie du Centre" in page
    assert "MSP de Souilly" not in page
    markers = response.context["markers_json"]
    assert [m["name"] for m in json.loads(markers)] == ["Pharmacie du Centre"]
    assert 'id="sites-map-data" data-sites="[{&quot;name&quot;: &quot;Pharmacie du Centre&quot;' in page
    assert "HX-Request" in response["Vary"]
    restore = client.get(
        reverse(LIST_URL), headers={"hx-request": "true", "hx-history-restore-request": "true"}
    )
    assert "<html" in restore.content.decode()


@pytest.mark.django_db
def test_pagination_keeps_the_filters(client, directory):
    for index in range(25):
        SiteFactory(name=f"Site {index:02d}", host_organisation__commune_id="55545")
    client.force_login(directory["coordinator"])
    response = client.get(reverse(LIST_URL), {"commune": "55545"})
    assert len(_names(response)) == 20
    assert response.context["result_count"] == 26
    assert "commune=55545&amp;page=2" in response.content.decode()
    second = client.get(reverse(LIST_URL), {"commune": "55545", "page": 2})
    assert len(_names(second)) == 6
    assert len(client.get(reverse(LIST_URL), {"taille": 50}).context["page"].object_list) == 27


@pytest.mark.django_db
def test_list_runs_a_constant_number_of_queries(client, directory, django_assert_max_num_queries):
    client.force_login(directory["coordinator"])
    client.get(reverse(LIST_URL))  # session and scope warm-up outside the count
    with django_assert_max_num_queries(14) as few:
        client.get(reverse(LIST_URL), {"taille": 100})
    for index in range(60):
        site = SiteFactory(name=f"Site {index:02d}", host_organisation__commune_id="55545")
        SiteUse.objects.create(site=site, use=Use.objects.get(code="tlc-mg"))
        _equip(RoomFactory(site=site), "video", "oximeter")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse(LIST_URL), {"taille": 100})
    assert len(_names(response)) == 62


@pytest.mark.django_db
def test_site_staff_sees_only_their_site(client, directory):
    client.force_login(user_with_role(Role.SITE_STAFF, site=directory["verdun"]))
    assert _names(client.get(reverse(LIST_URL))) == ["Pharmacie du Centre"]


# --- detail ----------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_detail_shows_rooms_hours_uses_people_and_cpts(client, directory):
    client.force_login(directory["coordinator"])
    response = client.get(reverse("directory:site_detail", args=[directory["souilly"].pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for text in [
        "Maison de santé de Souilly",
        "Cabine 1",
        "Stéthoscope connecté",
        "09:00–12:00, 14:00–18:00",
        "25 min",
        "Fictif-Médecin",
        "Fictif-Infirmier",
        "Accessible aux personnes à mobilité réduite",
        "+33329000000",
        "fictif",
    ]:
        assert text in page, text
    assert "Ancien-Assistant" not in page
    offered = {o.site_use.use.code: o for o in response.context["offered_uses"]}
    assert offered["tlc-mg"].duration_minutes == 25
    assert offered["tlc-dermato"].duration_minutes == 20
    assert [room.name for room in offered["tlc-dermato"].rooms_fully_equipped] == ["Cabine 1"]
    stethoscope_rooms = {
        equipment.code: [room.name for room in rooms] for equipment, rooms in offered["tlc-mg"].equipment
    }
    assert stethoscope_rooms["stethoscope"] == ["Cabine 1"]
    assert stethoscope_rooms["oximeter"] == []


@pytest.mark.django_db
def test_detail_lists_the_cpts_of_the_commune(client, directory):
    client.force_login(directory["coordinator"])
    page = client.get(reverse("directory:site_detail", args=[directory["verdun"].pk])).content.decode()
    assert "CPTS du Verdunois (fictive)" in page


@pytest.mark.django_db
def test_detail_of_a_site_out_of_scope_is_404(client, directory):
    client.force_login(directory["coordinator"])
    response = client.get(reverse("directory:site_detail", args=[directory["nancy"].pk]))
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


@pytest.mark.django_db
def test_remote_doctor_sees_the_sites_they_serve(client, directory):
    user = user_with_role(Role.REMOTE_DOCTOR)
    NetworkRoleFactory(professional__user=user).sites.add(directory["nancy"])
    client.force_login(user)
    assert _names(client.get(reverse(LIST_URL))) == ["Point de Nancy"]
    assert client.get(reverse("directory:site_detail", args=[directory["nancy"].pk])).status_code == 200
    assert client.get(reverse("directory:site_detail", args=[directory["souilly"].pk])).status_code == 404


@pytest.mark.django_db
def test_a_user_without_role_gets_a_clear_403(client, directory):
    from tests.factories import UserFactory

    user = UserFactory()
    user.save()
    client.force_login(user)
    response = client.get(reverse(LIST_URL))
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()
