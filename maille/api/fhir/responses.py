"""FHIR responses: ``application/fhir+json`` bodies and ``OperationOutcome`` errors."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome

FHIR_CONTENT_TYPE = "application/fhir+json; fhirVersion=4.3"


def fhir_response(resource: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        resource.model_dump_json(exclude_none=True), status=status, content_type=FHIR_CONTENT_TYPE
    )


def operation_outcome(
    status: int, code: str, diagnostics: str, *, expression: str | None = None
) -> HttpResponse:
    """An error as an OperationOutcome; ``code`` is from the FHIR issue-type value set."""
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    outcome = OperationOutcome.model_validate({"resourceType": "OperationOutcome", "issue": [issue]})
    response = fhir_response(outcome, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="maille"'
    return response


class FhirError(Exception):
    """An error to answer as an OperationOutcome."""

    def __init__(self, status: int, code: str, diagnostics: str, *, expression: str | None = None):
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.expression = expression

    def response(self) -> HttpResponse:
        return operation_outcome(self.status, self.code, self.diagnostics, expression=self.expression)
