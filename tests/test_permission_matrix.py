"""The role × route matrix, generated from the URL configuration and the permission table.

Every named page route must declare its permission (``@require_permission``) or be listed as public here;
a new route without either fails. For each role, a route answers 200 when the role has the permission and
403 otherwise; anonymous users are sent to the login page.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from maille.accounts.models import Role
from maille.accounts.permissions import PERMISSION_ROLES
from tests.factories import DepartementFactory, NetworkRoleFactory, RegionFactory, SiteFactory, user_with_role
from tests.scheduling.test_views_support import sample_appointment_id

# Routes anyone may open (login and password reset pages, health check).
PUBLIC_ROUTES = {
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "core:healthz",
}
# Routes any authenticated user may open (the home page explains what their role gives).
AUTHENTICATED_ROUTES = {"core:home"}
# Namespaces with their own test suites (Django admin; /api/v1 and /fhir check tokens and roles themselves).
OTHER_SUITES = {"admin", "api", "fhir"}


def _named_routes(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            child = (
                f"{namespace}:{entry.namespace}"
                if namespace and entry.namespace
                else entry.namespace or namespace
            )
            if (entry.namespace or "") in OTHER_SUITES:
                continue
            yield from _named_routes(entry, child or "")
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


PAGE_ROUTES = sorted(
    (name, pattern)
    for name, pattern in _named_routes()
    if name not in PUBLIC_ROUTES | AUTHENTICATED_ROUTES and not name.startswith("django")
)


def test_every_page_route_declares_a_permission():
    undeclared = [
        name for name, pattern in PAGE_ROUTES if not hasattr(pattern.callback, "required_permission")
    ]
    assert not undeclared, f"routes without @require_permission: {undeclared}"
    unknown = [
        (name, pattern.callback.required_permission)
        for name, pattern in PAGE_ROUTES
        if pattern.callback.required_permission not in PERMISSION_ROLES
    ]
    assert not unknown


@pytest.fixture
def world(db):
    region = RegionFactory(code="44")
    DepartementFactory(code="55", region=region)
    site = SiteFactory(host_organisation__commune__code="55498", host_organisation__commune__name="Souilly")
    return {"site": site}


def _kwargs_for(pattern: URLPattern, world) -> dict[str, object]:
    values = {
        "site_id": world["site"].pk,
        "code": "55",
        "departement": "55",
        "appointment_id": sample_appointment_id(world) if "appointment_id" in str(pattern.pattern) else None,
    }
    names = list(pattern.pattern.converters) if hasattr(pattern.pattern, "converters") else []
    missing = [name for name in names if name not in values]
    assert not missing, f"add sample values for URL parameters {missing}"
    return {name: values[name] for name in names}


def _user_for(role: str, world):
    site = world["site"]
    if role == Role.SITE_STAFF:
        return user_with_role(role, site=site)
    if role in (Role.COORDINATOR, Role.OPERATOR, Role.EVALUATOR):
        return user_with_role(role, departement_id="55")
    user = user_with_role(role)
    if role == Role.REMOTE_DOCTOR:
        NetworkRoleFactory(professional__user=user).sites.add(site)
    return user


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "pattern"), PAGE_ROUTES, ids=[name for name, _ in PAGE_ROUTES])
def test_role_route_matrix(client, world, role, name, pattern):
    url = reverse(name, kwargs=_kwargs_for(pattern, world))
    client.force_login(_user_for(role, world))
    response = client.get(url)
    allowed = role in PERMISSION_ROLES[pattern.callback.required_permission]
    assert response.status_code == (200 if allowed else 403), f"{role} on {name}"
    if not allowed:
        assert "Accès refusé" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "pattern"), PAGE_ROUTES, ids=[name for name, _ in PAGE_ROUTES])
def test_anonymous_users_are_sent_to_login(client, world, name, pattern):
    response = client.get(reverse(name, kwargs=_kwargs_for(pattern, world)))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
