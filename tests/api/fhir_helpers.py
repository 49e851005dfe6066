"""Read FHIR answers back with fhir.resources: every test goes through a real parse."""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

FHIR_JSON = "application/fhir+json"


def bundle_of(response, status: int = 200) -> Bundle:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    bundle = Bundle.model_validate_json(response.content)
    assert bundle.type == "searchset"
    return bundle


def resource_of(response, resource_class):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    return resource_class.model_validate_json(response.content)


def outcome_of(response, status: int) -> OperationOutcome:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    outcome = OperationOutcome.model_validate_json(response.content)
    assert outcome.issue[0].severity == "error"
    assert outcome.issue[0].diagnostics
    return outcome


def ids(bundle: Bundle) -> list[str]:
    return [entry.resource.id for entry in bundle.entry or []]
