"""Property-based fuzz of /api/v1 from its own OpenAPI document (schemathesis, in process over WSGI).

As an authorised user (a platform administrator and a phone operator), generated requests, valid and invalid,
must never get a server error, and every answer's status, content type and body must be those the document
declares. Bounded and repeatable: derandomised, a fixed number of examples per operation.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from maille.accounts.models import ApiToken, Role
from maille.api.v1 import api
from maille.wsgi import application
from tests.api.scheduling_world import build_booking_world

EXAMPLES_PER_OPERATION = 30
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def keep_database_connection():
    """Requests go through the WSGI handler, which closes the database connection when each one finishes;
    the test's connection (and its transaction) must survive them, as Django's test client ensures."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_headers(db, keep_database_connection):
    world = build_booking_world()
    _token, raw = ApiToken.issue(user=world.operator, name="fuzz")
    assert Role.OPERATOR in {grant.role for grant in world.operator.role_grants.all()}
    # The WSGI test client does not decompress: ask for plain bodies (GZipMiddleware honours it).
    return {"Authorization": f"Bearer {raw}", "Accept-Encoding": "identity"}


def _load_schema() -> schemathesis.BaseSchema:
    """The document /api/v1/openapi.json serves, built without a database (collection has none)."""
    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema())))
    loaded.app = application
    return loaded


schema = _load_schema()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_api_answers_only_what_its_document_declares(case, fuzz_headers):
    case.call_and_validate(headers=fuzz_headers, checks=CHECKS)


@pytest.fixture
def diagnosis_fuzz_headers(db, keep_database_connection):
    """A coordinator of the booking world's département, who may read and plan its diagnosis."""
    from tests.factories import user_with_role

    world = build_booking_world()
    coordinator = user_with_role(Role.COORDINATOR, departement=world.net.site.commune.departement)
    _token, raw = ApiToken.issue(user=coordinator, name="fuzz")
    return {"Authorization": f"Bearer {raw}", "Accept-Encoding": "identity"}


@schema.include(path_regex="^/api/v1/diagnosis/").parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_the_diagnosis_api_answers_only_what_its_document_declares(case, diagnosis_fuzz_headers):
    """The operator above may not plan: the diagnosis operations are fuzzed as a coordinator, who may."""
    case.call_and_validate(headers=diagnosis_fuzz_headers, checks=CHECKS)
