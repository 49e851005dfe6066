"""Scenarios: the APL with the network's capacity, the sizing, the checks of a drawn network, saving, scope,
the scenario pages (detail with editable assumptions, comparison) and their refusals."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from maille.accounts.models import Role
from maille.core.models import AuditEvent
from maille.diagnosis.assumptions import Assumptions, AssumptionsError, parse_assumptions
from maille.diagnosis.figures import WhatIf, diagnose, size_network
from maille.diagnosis.models import Scenario
from maille.diagnosis.scenarios import (
    ScenarioError,
    check_what_if,
    scenario_create,
    scenario_update,
    scenarios_visible_to,
)
from maille.diagnosis.zones import Zone, zone_for
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
MEUSE = Zone("departement", "55", "Meuse")


def test_assumptions_take_their_defaults_and_refuse_absurd_values():
    assert parse_assumptions({}) == Assumptions()
    assert parse_assumptions({"use_rate": "0,1", "max_rooms": "2"}) == Assumptions(use_rate=0.1, max_rooms=2)
    with pytest.raises(AssumptionsError) as refused:
        parse_assumptions({"use_rate": "-1", "consultation_minutes": "beaucoup", "max_rooms": "2.5",
                           "weeks_per_year": "60"})  # fmt: skip
    errors = refused.value.errors
    assert set(errors) == {"use_rate", "consultation_minutes", "max_rooms", "weeks_per_year"}
    assert "entre 0,001 et 2" in errors["use_rate"]
    assert "nombre est attendu" in errors["consultation_minutes"]
    assert "entier" in errors["max_rooms"]
    assert Assumptions(use_rate=0.1).changed() == {"use_rate": 0.1}


def test_the_network_adds_accessibility_as_the_apl_does(network):
    """One site, 15 h a week of 20-minute consultations over 47 weeks = 2,115 a year, shared by the
    standardised population in reach (Près 500 + Sans APL 100 at weight 1, Milieu 2,000 at 2/3)."""
    admin = user_with_role(Role.PLATFORM_ADMIN)
    today = diagnose(admin, MEUSE)
    rows = {r.code: r for r in today.rows}
    ratio = 2115 / (500 + 100 + 2000 * 2 / 3)
    assert rows["55001"].network_apl == pytest.approx(1.2 + ratio, abs=1e-3)
    assert rows["55003"].network_apl == pytest.approx(3.0 + ratio * 2 / 3, abs=1e-3)
    assert rows["55002"].network_apl == pytest.approx(2.0)  # 58 minutes away: nothing added
    assert rows["55004"].network_apl is None  # no official APL to add to
    assert today.lifted_population == 0  # Près: 1.2 + 1.09 stays under 2.5; Milieu was above already
    assert today.network_note == ""


def test_lifted_population_counts_who_crosses_the_threshold(network):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    # a site at Loin open 14 h a week (the default for an envisaged site) serves Loin alone
    scenario = diagnose(admin, MEUSE, what_if=WhatIf(added=(("55002", "Loin", 49.4, 5.3),)))
    loin = next(r for r in scenario.rows if r.code == "55002")
    expected = 2.0 + 14 * 60 / 20 * 47 / 1000
    assert loin.network_apl == pytest.approx(expected, abs=1e-3)
    assert loin.lifted
    assert scenario.lifted_population - diagnose(admin, MEUSE).lifted_population == 1000


def test_without_the_drees_bands_the_network_apl_says_why(network):
    from maille.territory.models import AplParameter

    AplParameter.objects.all().delete()
    today = diagnose(user_with_role(Role.PLATFORM_ADMIN), MEUSE)
    assert "Aucun paramètre APL" in today.network_note
    assert all(r.network_apl is None for r in today.rows)


def test_sizing_gives_each_site_of_the_zone_its_weekly_hours(network):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    scenario = diagnose(admin, MEUSE, what_if=WhatIf(added=(("55002", "Loin", 49.4, 5.3),)),
                        assumptions=Assumptions(use_rate=0.5))  # fmt: skip
    sizing = size_network(scenario)
    assert sizing.error == ""
    by_name = {s.name: s for s in sizing.sites}
    assert set(by_name) == {"Maison de santé de Près", "site envisagé à Loin"}
    pres, loin = by_name["Maison de santé de Près"], by_name["site envisagé à Loin"]
    assert not pres.envisaged
    assert loin.envisaged
    assert pres.catchment_population == 500 + 2000 + 100  # Près, Milieu and Sans APL within 30 min
    assert loin.catchment_population == 1000
    assert loin.yearly_demand == pytest.approx(500.0)
    assert pres.doctor_hours_per_week > loin.doctor_hours_per_week > 0
    assert sizing.doctor_hours_per_week == pytest.approx(
        pres.doctor_hours_per_week + loin.doctor_hours_per_week
    )


def test_sizing_says_plainly_when_demand_exceeds_every_room(network):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    today = diagnose(
        admin, MEUSE, assumptions=Assumptions(use_rate=2.0, max_rooms=1, consultation_minutes=90)
    )
    sizing = size_network(today)
    assert sizing.sites == []
    assert "la demande dépasse 1 salles" in sizing.error


def test_a_drawn_network_keeps_to_the_zone(network):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    drawn = check_what_if(coordinator, MEUSE, ["loin", "52001", "nowhere"], [str(network["site"].pk), "999"])
    assert [code for code, *_ in drawn.what_if.added] == ["55002"]
    assert drawn.what_if.removed == frozenset({network["site"].pk})
    assert len(drawn.errors) == 3
    assert "hors de la zone" in drawn.errors[0]
    assert "Site à retirer inconnu" in drawn.errors[2]


def test_a_scenario_is_saved_whole_or_not_at_all(network):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    with pytest.raises(ScenarioError) as refused:
        scenario_create(coordinator, MEUSE, name="", added=["52001"], assumptions={"use_rate": "-2"})
    assert set(refused.value.errors) == {"name", "sites", "use_rate"}
    with pytest.raises(ScenarioError) as empty:
        scenario_create(coordinator, MEUSE, name="Rien", added=[])
    assert "ni ne retire" in empty.value.errors["sites"]
    assert Scenario.objects.count() == 0
    saved = scenario_create(coordinator, MEUSE, name=" Un site à Loin ", added=["55002"],
                            assumptions={"use_rate": "0,08"})  # fmt: skip
    assert (saved.name, saved.added_communes, saved.assumptions) == (
        "Un site à Loin",
        ["55002"],
        {"use_rate": 0.08},
    )
    assert AuditEvent.objects.filter(action="scenario.create", target_id=str(saved.pk)).count() == 1
    with pytest.raises(ScenarioError):
        scenario_update(coordinator, saved, assumptions={"max_rooms": "0"})
    saved.refresh_from_db()
    assert saved.assumptions == {"use_rate": 0.08}


def test_scenarios_are_seen_by_whoever_sees_their_zone(network):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    meuse = scenario_create(admin, MEUSE, name="Meuse", added=["55002"])
    marne = scenario_create(admin, zone_for(admin, "departement:52"), name="Haute-Marne", added=["52001"])
    both = scenario_create(admin, zone_for(admin, "departements:52,55"), name="Les deux", added=["55002"])
    assert set(scenarios_visible_to(admin)) == {meuse, marne, both}
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    assert set(scenarios_visible_to(coordinator)) == {meuse}
    assert set(scenarios_visible_to(user_with_role(Role.EVALUATOR, departement_id="52"))) == {marne}


def test_saving_from_the_diagnosis_page(client, network):
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    page = client.get(reverse("diagnosis:diagnosis"), {"zone": "departement:55", "ajout": "55002"})
    assert 'data-testid="save-scenario"' in page.content.decode()
    refused = client.post(reverse("diagnosis:scenario_create"),
                          {"zone": "departement:55", "ajout": "55002", "name": "   "})  # fmt: skip
    assert refused.status_code == 422
    assert "Donnez un nom au scénario." in unescape(refused.content.decode())
    assert Scenario.objects.count() == 0
    saved = client.post(reverse("diagnosis:scenario_create"),
                        {"zone": "departement:55", "ajout": "55002", "name": "Loin"})  # fmt: skip
    scenario = Scenario.objects.get()
    assert saved.status_code == 302
    assert saved.url == reverse("diagnosis:scenario_detail", args=[scenario.pk])
    outside = client.post(reverse("diagnosis:scenario_create"),
                          {"zone": "departement:52", "ajout": "52001", "name": "Ailleurs"})  # fmt: skip
    assert outside.status_code == 404


def test_the_scenario_page_shows_the_gain_and_the_sizing_and_edits_assumptions(client, network):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    scenario = scenario_create(coordinator, MEUSE, name="Loin", added=["55002"])
    client.force_login(coordinator)
    url = reverse("diagnosis:scenario_detail", args=[scenario.pk])
    html = unescape(client.get(url).content.decode())
    assert "site envisagé à Loin" in html
    assert html.count('data-testid="sized-site"') == 2
    assert 'data-testid="indicator-row"' in html
    refused = client.post(url, {"name": "Loin", "use_rate": "12", "max_rooms": "trois"})
    assert refused.status_code == 422
    text = unescape(refused.content.decode())
    assert "Rien n'a été enregistré" in text
    assert text.count('data-testid="field-error"') == 2
    assert 'value="12"' in text  # what was typed comes back
    scenario.refresh_from_db()
    assert scenario.assumptions == {}
    changed = client.post(url, {"name": "Loin, recours 10 %", "use_rate": "0,1"})
    assert changed.status_code == 302
    scenario.refresh_from_db()
    assert (scenario.name, scenario.assumptions) == ("Loin, recours 10 %", {"use_rate": 0.1})
    assert AuditEvent.objects.filter(action="scenario.update", target_id=str(scenario.pk)).exists()


def test_an_evaluator_reads_scenarios_but_cannot_change_them(client, network):
    scenario = scenario_create(user_with_role(Role.PLATFORM_ADMIN), MEUSE, name="Loin", added=["55002"])
    client.force_login(user_with_role(Role.EVALUATOR, departement_id="55"))
    url = reverse("diagnosis:scenario_detail", args=[scenario.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-testid="assumptions-form"' not in page.content.decode()
    assert client.post(url, {"name": "Autre"}).status_code == 403
    assert client.post(reverse("diagnosis:scenario_delete", args=[scenario.pk])).status_code == 403


def test_comparing_scenarios(client, network):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    loin = scenario_create(admin, MEUSE, name="Loin", added=["55002"])
    without = scenario_create(admin, MEUSE, name="Sans Près", removed=[network["site"].pk], added=[])
    marne = scenario_create(admin, zone_for(admin, "departement:52"), name="Haute-Marne", added=["52001"])
    client.force_login(admin)
    url = reverse("diagnosis:scenario_compare")
    page = client.get(url, {"s": [loin.pk, without.pk]})
    assert page.status_code == 200
    html = unescape(page.content.decode())
    assert html.index("Loin") < html.index("Sans Près")
    assert html.count('data-testid="indicator-row"') == 8
    assert html.count('data-testid="sizing-row"') == 2
    assert client.get(url).status_code == 200  # nothing chosen yet: how to choose
    assert client.get(url, {"s": [loin.pk]}).status_code == 400
    mixed = client.get(url, {"s": [loin.pk, marne.pk]})
    assert mixed.status_code == 400
    assert "même zone" in unescape(mixed.content.decode())
    assert client.get(url, {"s": [loin.pk, "x"]}).status_code == 400
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    assert client.get(url, {"s": [loin.pk, marne.pk]}).status_code == 404  # one they may not see


def test_deleting_a_scenario(client, network):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    scenario = scenario_create(coordinator, MEUSE, name="Loin", added=["55002"])
    client.force_login(coordinator)
    response = client.post(reverse("diagnosis:scenario_delete", args=[scenario.pk]))
    assert response.status_code == 302
    assert not Scenario.objects.exists()
    assert AuditEvent.objects.filter(action="scenario.delete", target_id=str(scenario.pk)).exists()


def test_the_map_layer_and_downloads_follow_the_scenario_of_the_query(client, network):
    import json

    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    base = {"zone": "departement:55"}
    today = json.loads(client.get(reverse("diagnosis:geojson"), base).content)
    scenario = json.loads(client.get(reverse("diagnosis:geojson"), {**base, "ajout": "55002"}).content)
    loin_today = next(f for f in today["features"] if f["properties"]["code"] == "55002")["properties"]
    loin_after = next(f for f in scenario["features"] if f["properties"]["code"] == "55002")["properties"]
    assert loin_today["network"] == pytest.approx(2.0)
    assert loin_after["network"] > loin_today["network"]
    assert loin_after["travel"] < loin_today["travel"]
    values = json.loads(client.get(reverse("diagnosis:values"), {**base, "ajout": "55002"}).content)
    assert values["55002"] == loin_after  # the same values, without the outlines
    assert set(values) == {"55001", "55002", "55003", "55004"}
    refused = client.get(reverse("diagnosis:csv"), {**base, "ajout": "52001"})
    assert refused.status_code == 400
    assert "hors de la zone" in refused.content.decode()


def test_todays_diagnosis_is_kept_between_what_ifs_for_its_user_and_zone(client, network, settings):
    from maille.diagnosis import views

    settings.DIAGNOSIS_TODAY_CACHE_SECONDS = 30
    views.forget_today_diagnoses()
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    client.force_login(coordinator)
    url = reverse("diagnosis:figures")
    client.get(url, {"zone": "departement:55", "ajout": "55002"})
    assert list(views._today_cache) == [(coordinator.pk, "departement:55")]
    kept = views._today_cache[(coordinator.pk, "departement:55")][1]
    client.get(url, {"zone": "departement:55", "ajout": "55003"})
    assert views._today_cache[(coordinator.pk, "departement:55")][1] is kept  # not computed again
    client.force_login(user_with_role(Role.EVALUATOR, departement_id="55"))
    client.get(url, {"zone": "departement:55"})
    assert len(views._today_cache) == 2  # another user: another entry (their scope may differ)
    settings.DIAGNOSIS_TODAY_CACHE_SECONDS = 0
    views.forget_today_diagnoses()
    client.get(url, {"zone": "departement:55"})
    assert views._today_cache == {}


def test_a_zone_of_communes_chosen_one_by_one(client, network):
    from maille.diagnosis.zones import chosen_communes, visible_zone_keys

    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    zone = chosen_communes(coordinator, ["55003 ", "55001"])
    assert (zone.key, zone.label) == ("communes:55001,55003", "Sélection de 2 commune(s)")
    assert chosen_communes(coordinator, ["55001", "52001"]) is None  # one outside the scope
    assert visible_zone_keys(coordinator, ["communes:55001,55003", "communes:52001"]) == {
        "communes:55001,55003"
    }
    assert diagnose(coordinator, zone).population == 500 + 2000
    client.force_login(coordinator)
    page = client.get(reverse("diagnosis:diagnosis"), {"communes": "55001; 55003"})
    assert page.status_code == 200
    assert "Sélection de 2 commune(s)" in unescape(page.content.decode())
    refused = client.get(reverse("diagnosis:diagnosis"), {"communes": "55001 52001"})
    assert refused.status_code == 400
    text = unescape(refused.content.decode())
    assert "Communes inconnues ou hors de votre territoire : 52001." in text
    assert 'value="55001 52001"' in text  # what was typed stays in its field
    saved = scenario_create(coordinator, zone, name="Deux communes", added=["55003"])
    assert saved.zone_key == "communes:55001,55003"
    assert list(scenarios_visible_to(coordinator)) == [saved]
