"""The scope of each role: what part of the territory and which sites a user sees."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from maille.accounts.models import Role, RoleGrant
from maille.accounts.permissions import PERMISSION_ROLES, has_permission
from maille.accounts.scope import scope_for
from maille.directory.selectors import sites_managed_by, sites_visible_to
from maille.territory.models import Commune
from tests.factories import (
    CommuneFactory,
    CptsFactory,
    DepartementFactory,
    EpciFactory,
    NetworkRoleFactory,
    RegionFactory,
    SiteFactory,
    UserFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def territory():
    grand_est = RegionFactory(code="44", name="Grand Est")
    other_region = RegionFactory(code="27", name="Bourgogne-Franche-Comté")
    meuse = DepartementFactory(code="55", name="Meuse", region=grand_est)
    haute_marne = DepartementFactory(code="52", name="Haute-Marne", region=grand_est)
    doubs = DepartementFactory(code="25", name="Doubs", region=other_region)
    epci = EpciFactory(siren="200066165")
    souilly = CommuneFactory(code="55498", name="Souilly", departement=meuse, epci=epci)
    stenay = CommuneFactory(code="55502", name="Stenay", departement=meuse)
    poissons = CommuneFactory(code="52398", name="Poissons", departement=haute_marne)
    besancon = CommuneFactory(code="25056", name="Besançon", departement=doubs)
    sites = {
        commune.code: SiteFactory(host_organisation__commune=commune, name=f"Site {commune.name}")
        for commune in (souilly, stenay, poissons, besancon)
    }
    return {"communes": (souilly, stenay, poissons, besancon), "sites": sites, "epci": epci}


def visible_names(user):
    return sorted(sites_visible_to(user).values_list("commune__name", flat=True))


def test_admin_sees_everything(territory):
    assert visible_names(user_with_role(Role.PLATFORM_ADMIN)) == ["Besançon", "Poissons", "Souilly", "Stenay"]


def test_superuser_counts_as_platform_admin(territory):
    user = UserFactory(is_superuser=True)
    user.save()
    assert scope_for(user).everywhere


def test_departement_coordinator_sees_only_their_departement(territory):
    assert visible_names(user_with_role(Role.COORDINATOR, departement_id="55")) == ["Souilly", "Stenay"]


def test_region_coordinator_sees_the_region(territory):
    assert visible_names(user_with_role(Role.COORDINATOR, region_id="44")) == [
        "Poissons",
        "Souilly",
        "Stenay",
    ]


def test_epci_and_cpts_scopes(territory):
    souilly, stenay, _, _ = territory["communes"]
    assert visible_names(user_with_role(Role.OPERATOR, epci=territory["epci"])) == ["Souilly"]
    cpts = CptsFactory()
    cpts.communes.set([stenay])
    assert visible_names(user_with_role(Role.EVALUATOR, cpts=cpts)) == ["Stenay"]


def test_site_staff_sees_their_site_only(territory):
    site = territory["sites"]["52398"]
    assert visible_names(user_with_role(Role.SITE_STAFF, site=site)) == ["Poissons"]


def test_remote_doctor_sees_the_sites_they_serve_without_duplicates(territory):
    user = user_with_role(Role.REMOTE_DOCTOR)
    role = NetworkRoleFactory(professional__user=user)
    role.sites.set([territory["sites"]["55498"], territory["sites"]["25056"]])
    other_role = NetworkRoleFactory(professional=role.professional, kind="coordinateur")
    other_role.sites.set([territory["sites"]["55498"]])
    assert visible_names(user) == ["Besançon", "Souilly"]


def test_user_without_role_sees_nothing_and_has_no_permission(territory):
    user = UserFactory()
    user.save()
    assert visible_names(user) == []
    assert not any(has_permission(user, permission) for permission in PERMISSION_ROLES)


def test_inactive_user_has_an_empty_scope(territory):
    user = user_with_role(Role.PLATFORM_ADMIN)
    user.is_active = False
    assert scope_for(user).is_empty


def test_communes_q_applies_to_communes(territory):
    user = user_with_role(Role.COORDINATOR, departement_id="52")
    codes = list(Commune.objects.filter(scope_for(user).communes_q()).values_list("code", flat=True))
    assert codes == ["52398"]


def can_edit_site(user, site) -> bool:
    return sites_managed_by(user).filter(pk=site.pk).exists()


def test_sites_managed_follow_role_and_scope(territory):
    sites = territory["sites"]
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    assert can_edit_site(coordinator, sites["55498"])
    assert not can_edit_site(coordinator, sites["52398"])
    staff = user_with_role(Role.SITE_STAFF, site=sites["52398"])
    assert can_edit_site(staff, sites["52398"])
    assert not can_edit_site(staff, sites["55498"])
    assert not can_edit_site(user_with_role(Role.OPERATOR, departement_id="55"), sites["55498"])


def test_unknown_permission_is_a_programming_error():
    with pytest.raises(KeyError):
        has_permission(None, "nope.nothing")


def test_a_grant_takes_at_most_one_scope(territory):
    user = UserFactory()
    user.save()
    with pytest.raises(IntegrityError):
        RoleGrant.objects.create(user=user, role=Role.COORDINATOR, departement_id="55", region_id="44")


@pytest.mark.parametrize(
    ("role", "scope", "message"),
    [
        (Role.COORDINATOR, {}, "limité à un territoire"),
        (Role.SITE_STAFF, {}, "limité à un site"),
        (Role.PLATFORM_ADMIN, {"departement_id": "55"}, "ne prend pas de périmètre"),
    ],
)
def test_grant_validation_explains_the_scope_rule(territory, role, scope, message):
    user = UserFactory()
    user.save()
    with pytest.raises(ValidationError, match=message):
        RoleGrant(user=user, role=role, **scope).clean()
