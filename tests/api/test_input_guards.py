"""Input PostgreSQL would refuse with a server error is a 4xx naming the parameter, on /api/v1 and /fhir.

Found by an OpenAPI fuzzer: a NUL character in a text filter, and a date-time whose UTC offset is beyond
±15:59. Both run on SQLite and PostgreSQL alike (CI runs the suite on both).
"""

from __future__ import annotations

import pytest

from maille.accounts.models import Role
from tests.api.world import bearer_for
from tests.factories import DepartementFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def headers():
    DepartementFactory(code="55")
    return bearer_for(user_with_role(Role.COORDINATOR, departement_id="55"))


def test_a_nul_character_in_a_query_parameter_is_a_422_naming_it(client, headers):
    response = client.get("/api/v1/organisations", {"siret": "\x00abc"}, headers=headers)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"parameter": "siret", "in": "query", "detail": "Le caractère NUL (0x00) n'est pas accepté."}
    ]


def test_a_number_too_large_for_the_database_is_a_422_naming_it(client, headers):
    """Found by the fuzz: SQLite cannot compare a number beyond 2**63 - 1 with a column (a server error)."""
    huge = "81757606755210345383358724308992"
    response = client.get("/api/v1/communes", {"cpts": huge}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "parameter": "cpts",
            "in": "query",
            "detail": "Nombre trop grand pour un identifiant ou un effectif.",
        }
    ]
    # in the path, Django's own integer lookup finds nothing (no query runs): simply not found
    assert client.get(f"/api/v1/diagnosis/scenarios/{huge}", headers=headers).status_code == 404
    assert client.get("/api/v1/communes", {"cpts": str(2**63 - 1)}, headers=headers).status_code == 200


def test_a_nul_character_in_a_json_body_is_a_422_naming_the_field(client, headers):
    response = client.post(
        "/api/v1/scheduling/bookings/1/cancel",
        '{"reason": "a\\u0000b"}',
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["parameter"] == "reason"
    assert response.json()["errors"][0]["in"] == "body"


@pytest.mark.parametrize("offset", ["-18:00", "+16:00", "-16:01"])
def test_a_utc_offset_beyond_postgresql_limits_is_a_422_naming_the_parameter(client, headers, offset):
    response = client.get(
        "/api/v1/scheduling/bookings", {"end": f"2636-05-17T00:26:14{offset}"}, headers=headers
    )
    assert response.status_code == 422
    assert [error["parameter"] for error in response.json()["errors"]] == ["end"]


def test_offsets_within_limits_are_accepted(client, headers):
    response = client.get(
        "/api/v1/scheduling/bookings", {"end": "2026-05-17T00:26:14-15:59"}, headers=headers
    )
    assert response.status_code == 200


def test_fhir_answers_400_with_the_parameter_named(client, headers):
    response = client.get("/fhir/Location", {"name": "Souil\x00ly"}, headers=headers)
    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert issue["code"] == "invalid"
    assert issue["expression"] == ["name"]
    slots = client.get("/fhir/Slot", {"service-type": "\x00"}, headers=headers)
    assert slots.status_code == 400
    assert slots.json()["issue"][0]["expression"] == ["service-type"]
