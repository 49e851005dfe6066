"""Scheduling pages: agendas (site and doctor weeks) with their editing forms, role by role and scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from maille.accounts.models import Role
from maille.core.models import AuditEvent, Channel
from maille.scheduling.models import (
    Absence,
    AvailabilityException,
    AvailabilityRule,
    ReservedRange,
    SiteClosure,
)
from tests.factories import NetworkRoleFactory, RoomFactory, user_with_role

from .factories import add_doctor, make_network, paris, weekly

pytestmark = pytest.mark.django_db

WEEK = "2026-12-21"  # Friday 25 December is a public holiday


@pytest.fixture
def net():
    return make_network()


@pytest.fixture
def other_net(net):
    return make_network(use=net.use, departement="52", commune_code="52001", latitude=48.1, longitude=5.1)


def site_url(site, **query):
    url = reverse("scheduling:site_agenda", args=[site.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def login(client, role, **scope):
    user = user_with_role(role, **scope)
    client.force_login(user)
    return user


def rule_post(net, **overrides):
    data = {
        "formulaire": "rule",
        "semaine": WEEK,
        "rule-resource": f"room:{net.room.pk}",
        "rule-weekday": "5",
        "rule-starts": "14:00",
        "rule-ends": "17:00",
        "rule-valid_from": "2026-12-01",
        "rule-valid_until": "",
    }
    data.update(overrides)
    return data


def grid_row(content: str, label: str) -> str:
    """The HTML of one row of the week's detailed list (the table under the time grid), by its header text."""
    start = content.index(label, content.index('data-testid="week-grid"'))
    return content[start : content.index("</tr>", start)]


def test_site_week_shows_rules_holiday_and_navigation(client, net):
    login(client, Role.COORDINATOR, departement_id="55")
    response = client.get(site_url(net.site, semaine="2026-12-23"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Semaine du 21 décembre 2026 au 27 décembre 2026" in content
    room_row = grid_row(content, f"Salle : {net.room.name}")
    # Mon-Fri 9-12 from the rules; the site row says Friday (Christmas) is closed.
    assert room_row.count("09:00–12:00") == 5
    assert "jour férié : site fermé" in grid_row(content, "Tout le site")
    assert "semaine=2026-12-14" in content
    assert "semaine=2026-12-28" in content
    assert "Ajouter une disponibilité récurrente" in content


def test_site_staff_adds_a_rule_seen_in_the_grid_with_an_audit_row(client, net):
    user = login(client, Role.SITE_STAFF, site=net.site)
    response = client.post(site_url(net.site), rule_post(net))
    assert response.status_code == 302
    assert response.url == site_url(net.site, semaine=WEEK)
    rule = AvailabilityRule.objects.get(room=net.room, weekday=5)
    assert (rule.starts, rule.ends, rule.site_id) == (dt.time(14), dt.time(17), None)
    event = AuditEvent.objects.get(action="scheduling.rule.create")
    assert (event.actor, event.channel, event.target_id) == (user, Channel.SITE, str(rule.pk))
    content = client.get(response.url).content.decode()
    assert "14:00–17:00" in grid_row(content, f"Salle : {net.room.name}")


def test_assistant_rule_is_kept_at_the_site(client, net):
    login(client, Role.SITE_STAFF, site=net.site)
    client.post(site_url(net.site), rule_post(net, **{"rule-resource": f"pro:{net.nurse.pk}"}))
    rule = AvailabilityRule.objects.get(professional=net.nurse, weekday=5)
    assert rule.site_id == net.site.pk


def test_overlapping_rule_is_refused_with_a_clear_message(client, net):
    login(client, Role.SITE_STAFF, site=net.site)
    before = AvailabilityRule.objects.count()
    response = client.post(
        site_url(net.site),
        rule_post(net, **{"rule-weekday": "0", "rule-starts": "11:00", "rule-ends": "13:00"}),
    )
    assert response.status_code == 422
    assert "chevauche une autre disponibilité" in response.content.decode()
    assert AvailabilityRule.objects.count() == before


def test_field_errors_are_shown_next_to_the_field(client, net):
    login(client, Role.SITE_STAFF, site=net.site)
    response = client.post(
        site_url(net.site),
        rule_post(net, **{"rule-starts": "15:00", "rule-ends": "14:00", "rule-valid_until": "2026-11-01"}),
    )
    assert response.status_code == 422
    content = response.content.decode()
    assert 'id="id_rule-ends_error">La fin doit suivre le début.' in content
    assert 'id="id_rule-valid_until_error">La fin de validité doit suivre son début.' in content
    assert 'aria-invalid="true"' in content
    assert 'aria-describedby="id_rule-ends_error"' in content


def test_rule_is_edited_then_deleted(client, net):
    login(client, Role.SITE_STAFF, site=net.site)
    rule = AvailabilityRule.objects.get(room=net.room, weekday=0)
    page = client.get(site_url(net.site, modifier=rule.pk))
    assert "Modifier la disponibilité récurrente" in page.content.decode()
    response = client.post(
        site_url(net.site),
        rule_post(
            net, regle=str(rule.pk), **{"rule-weekday": "0", "rule-starts": "08:00", "rule-ends": "11:00"}
        ),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.starts, rule.ends) == (dt.time(8), dt.time(11))
    response = client.post(
        site_url(net.site), {"formulaire": "delete", "objet": f"rule:{rule.pk}", "semaine": WEEK}
    )
    assert response.status_code == 302
    assert not AvailabilityRule.objects.filter(pk=rule.pk).exists()
    assert AuditEvent.objects.filter(action="scheduling.rule.delete", target_id=str(rule.pk)).exists()


def test_another_sites_rule_cannot_be_edited_or_deleted(client, net, other_net):
    login(client, Role.SITE_STAFF, site=net.site)
    foreign = AvailabilityRule.objects.filter(room=other_net.room).first()
    assert client.get(site_url(net.site, modifier=foreign.pk)).status_code == 404
    response = client.post(site_url(net.site), {"formulaire": "delete", "objet": f"rule:{foreign.pk}"})
    assert response.status_code == 404
    assert AvailabilityRule.objects.filter(pk=foreign.pk).exists()


def test_one_occurrence_is_cancelled_then_moved(client, net):
    login(client, Role.COORDINATOR, departement_id="55")
    rule = AvailabilityRule.objects.get(room=net.room, weekday=1)
    data = {
        "formulaire": "exception",
        "semaine": WEEK,
        "exception-rule": str(rule.pk),
        "exception-date": "2026-12-22",
        "exception-is_cancelled": "on",
        "exception-reason": "formation",
    }
    assert client.post(site_url(net.site), data).status_code == 302
    content = client.get(site_url(net.site, semaine=WEEK)).content.decode()
    assert "occurrence annulée (formation)" in grid_row(content, f"Salle : {net.room.name}")
    data.pop("exception-is_cancelled")
    data.update({"exception-starts": "13:00", "exception-ends": "15:00"})
    assert client.post(site_url(net.site), data).status_code == 302
    exception = AvailabilityException.objects.get(rule=rule)  # replaced, not duplicated
    assert (exception.is_cancelled, exception.starts) == (False, dt.time(13))
    content = client.get(site_url(net.site, semaine=WEEK)).content.decode()
    assert "13:00–15:00" in grid_row(content, f"Salle : {net.room.name}")


def test_exception_on_a_date_that_is_not_an_occurrence_is_refused(client, net):
    login(client, Role.SITE_STAFF, site=net.site)
    rule = AvailabilityRule.objects.get(room=net.room, weekday=1)
    data = {
        "formulaire": "exception",
        "exception-rule": str(rule.pk),
        "exception-date": "2026-12-23",
        "exception-is_cancelled": "on",
    }
    response = client.post(site_url(net.site), data)
    assert response.status_code == 422
    assert "pas une occurrence" in response.content.decode()
    assert not AvailabilityException.objects.exists()


def test_absence_closure_and_reserved_range_are_declared_and_drawn(client, net):
    login(client, Role.SITE_STAFF, site=net.site)
    use = net.use
    posts = [
        {
            "formulaire": "absence",
            "absence-resource": f"pro:{net.nurse.pk}",
            "absence-starts_at": "2026-12-21T08:00",
            "absence-ends_at": "2026-12-21T18:00",
            "absence-reason": "congé",
        },
        {
            "formulaire": "closure",
            "closure-starts_at": "2026-12-24T12:00",
            "closure-ends_at": "2026-12-24T23:00",
            "closure-reason": "travaux",
        },
        {
            "formulaire": "reserved",
            "reserved-use": str(use.pk),
            "reserved-weekday": "2",
            "reserved-starts": "09:00",
            "reserved-ends": "10:00",
            "reserved-valid_from": "2026-12-01",
            "reserved-release_hours_before": "24",
        },
    ]
    for data in posts:
        response = client.post(site_url(net.site), {**data, "semaine": WEEK})
        assert response.status_code == 302, response.content.decode()
    absence = Absence.objects.get()
    assert absence.starts_at == paris(2026, 12, 21, 8)
    assert absence.professional == net.nurse
    assert SiteClosure.objects.get().site == net.site
    assert ReservedRange.objects.get().release_hours_before == 24
    content = client.get(site_url(net.site, semaine=WEEK)).content.decode()
    assert "absence (congé)" in grid_row(content, f"Assistant·e : {net.nurse}")
    site_row = grid_row(content, "Tout le site")
    assert "site fermé (travaux)" in site_row
    assert f"réservé à {use.name} (libéré 24 h avant)" in site_row


def test_overlapping_absence_and_closure_are_refused(client, net):
    login(client, Role.SITE_STAFF, site=net.site)
    Absence.objects.create(room=net.room, starts_at=paris(2026, 12, 21, 8), ends_at=paris(2026, 12, 21, 12))
    SiteClosure.objects.create(
        site=net.site, starts_at=paris(2026, 12, 22, 8), ends_at=paris(2026, 12, 22, 12)
    )
    absence = {
        "formulaire": "absence",
        "absence-resource": f"room:{net.room.pk}",
        "absence-starts_at": "2026-12-21T11:00",
        "absence-ends_at": "2026-12-21T14:00",
    }
    response = client.post(site_url(net.site), absence)
    assert response.status_code == 422
    assert "chevauche une absence" in response.content.decode()
    closure = {
        "formulaire": "closure",
        "closure-starts_at": "2026-12-22T10:00",
        "closure-ends_at": "2026-12-22T13:00",
    }
    response = client.post(site_url(net.site), closure)
    assert response.status_code == 422
    assert "chevauche une fermeture" in response.content.decode()
    assert (Absence.objects.count(), SiteClosure.objects.count()) == (1, 1)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.REMOTE_DOCTOR])
def test_view_only_roles_see_the_week_without_forms_and_cannot_post(client, net, role):
    if role == Role.REMOTE_DOCTOR:
        user = login(client, role)
        net.doctor.user = user
        net.doctor.save()
    else:
        login(client, role, departement_id="55")
    response = client.get(site_url(net.site))
    assert response.status_code == 200
    assert "Ajouter une disponibilité récurrente" not in response.content.decode()
    assert client.post(site_url(net.site), rule_post(net)).status_code == 403
    assert not AvailabilityRule.objects.filter(weekday=5).exists()


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.COORDINATOR, {"departement_id": "52"}),
        (Role.OPERATOR, {"departement_id": "52"}),
        (Role.SITE_STAFF, None),
    ],
)
def test_a_site_outside_the_scope_is_not_found(client, net, other_net, role, scope):
    login(client, role, **(scope or {"site": other_net.site}))
    assert client.get(site_url(net.site)).status_code == 404
    assert client.post(site_url(net.site), rule_post(net)).status_code == 404


def test_evaluators_have_no_agenda(client, net):
    login(client, Role.EVALUATOR, departement_id="55")
    assert client.get(site_url(net.site)).status_code == 403


def test_site_week_query_count_does_not_grow_with_rules(client, net, django_assert_max_num_queries):
    login(client, Role.SITE_STAFF, site=net.site)
    counts = []
    for _ in range(2):
        with django_assert_max_num_queries(40) as captured:
            page = client.get(site_url(net.site, semaine=WEEK))
        assert page.status_code == 200
        counts.append((len(captured.captured_queries), page.content.count(b"<tr")))
        # Second size: three more rooms, nurses and doctors, each with its weekly rules.
        for _ in range(3):
            room = RoomFactory(site=net.site)
            nurse = NetworkRoleFactory(assistant=True, sites=[net.site]).professional
            doctor = add_doctor(net.site)
            weekly(room=room, starts="14:00", ends="17:00")
            weekly(professional=nurse, site=net.site, starts="14:00", ends="17:00")
            weekly(professional=doctor, starts="14:00", ends="17:00")
    assert counts[0][0] == counts[1][0]
    assert counts[1][1] > counts[0][1]  # the second page did show more


# --- doctor agenda -------------------------------------------------------------------------------------
def doctor_url(doctor=None, **query):
    url = reverse("scheduling:doctor_agenda")
    if doctor is not None:
        query = {"medecin": doctor.pk, **query}
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_doctor_sees_and_edits_their_own_week(client, net):
    user = login(client, Role.REMOTE_DOCTOR)
    net.doctor.user = user
    net.doctor.save()
    response = client.get(doctor_url(semaine=WEEK))
    assert response.status_code == 200
    content = response.content.decode()
    assert f"Agenda de {net.doctor}" in content
    assert net.site.name in content
    data = {
        "formulaire": "rule",
        "semaine": WEEK,
        "rule-resource": f"pro:{net.doctor.pk}",
        "rule-weekday": "5",
        "rule-starts": "10:00",
        "rule-ends": "12:00",
        "rule-valid_from": "2026-12-01",
    }
    response = client.post(doctor_url(), data)
    assert response.status_code == 302
    rule = AvailabilityRule.objects.get(professional=net.doctor, weekday=5)
    assert rule.site_id is None
    content = client.get(response.url).content.decode()
    assert "10:00–12:00" in content


def test_doctor_cannot_open_another_doctors_agenda(client, net, other_net):
    user = login(client, Role.REMOTE_DOCTOR)
    net.doctor.user = user
    net.doctor.save()
    assert client.get(doctor_url(other_net.doctor)).status_code == 404


def test_coordinator_edits_doctors_of_their_territory_only(client, net, other_net):
    login(client, Role.COORDINATOR, departement_id="55")
    chooser = client.get(doctor_url()).content.decode()
    assert str(net.doctor) in chooser
    assert str(other_net.doctor) not in chooser
    data = {
        "formulaire": "absence",
        "absence-resource": f"pro:{net.doctor.pk}",
        "absence-starts_at": "2026-12-22T08:00",
        "absence-ends_at": "2026-12-22T20:00",
    }
    assert client.post(doctor_url(net.doctor), data).status_code == 302
    assert Absence.objects.get().professional == net.doctor
    assert client.post(doctor_url(other_net.doctor), data).status_code == 404


def test_operator_reads_a_doctors_week_but_cannot_edit(client, net):
    login(client, Role.OPERATOR, departement_id="55")
    response = client.get(doctor_url(net.doctor))
    assert response.status_code == 200
    assert "Déclarer une absence" not in response.content.decode()
    assert client.post(doctor_url(net.doctor), {"formulaire": "absence"}).status_code == 403


@pytest.mark.parametrize("value", ["²", "9" * 40])
def test_a_doctor_number_that_is_no_number_is_not_a_server_error(client, net, value):
    login(client, Role.PLATFORM_ADMIN)
    response = client.get(reverse("scheduling:doctor_agenda"), {"medecin": value, "semaine": WEEK})
    assert response.status_code < 500
    rule = client.get(reverse("scheduling:site_agenda", args=[net.site.pk]), {"modifier": value})
    assert rule.status_code == 200
