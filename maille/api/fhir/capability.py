"""The CapabilityStatement at /fhir/metadata: what the generic views and the scheduling endpoints offer.

Its own module: it reads both, while the scheduling endpoints reuse the generic views (no import cycle).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from .responses import fhir_response
from .scheduling import SLOT_PARAMETERS, WRITE_INTERACTIONS  # importing it registers its resource types
from .searches import RESOURCE_TYPES, ResourceType
from .views import DEFAULT_COUNT, MAX_COUNT, fhir_endpoint, mapping_tag


@fhir_endpoint
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: public, like every FHIR server's, so clients can discover how to log in."""
    return fhir_response(capability_statement(request))


def capability_statement(request: HttpRequest) -> CapabilityStatement:
    resources = []
    for resource_type in [*RESOURCE_TYPES.values(), ResourceType("Slot", [], SLOT_PARAMETERS)]:
        reads = ["read", "search-type"]
        resources.append(
            {
                "type": resource_type.name,
                "interaction": [
                    {"code": code} for code in [*reads, *WRITE_INTERACTIONS.get(resource_type.name, [])]
                ],
                "searchParam": [
                    {"name": parameter.name, "type": parameter.type, "documentation": parameter.documentation}
                    for parameter in resource_type.parameters
                ]
                + [
                    {
                        "name": "_count",
                        "type": "number",
                        "documentation": f"Défaut {DEFAULT_COUNT}, maximum {MAX_COUNT}",
                    },
                    {"name": "_page", "type": "number", "documentation": "Numéro de page (à partir de 1)"},
                ],
            }
        )
    return CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": timezone.now().date().isoformat(),
            "publisher": "Maille",
            "kind": "instance",
            "software": {"name": "Maille"},
            "implementation": {
                "description": "Annuaire et agendas de la téléconsultation assistée (Maille)",
                "url": request.build_absolute_uri(request.path).rsplit("/metadata", 1)[0],
            },
            "fhirVersion": "4.3.0",
            "format": ["application/fhir+json", "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": (
                        "Lecture et recherche ; création et annulation de rendez-vous (Appointment), "
                        "avec l'en-tête Idempotency-Key. Traitement strict : un paramètre de recherche inconnu "
                        "renvoie une erreur 400 (OperationOutcome). Les données de démonstration portent "
                        f"l'étiquette {mapping_tag()}."
                    ),
                    "security": {
                        "cors": False,
                        "description": "Jeton « Authorization: Bearer … » ou session Maille ; "
                        "le périmètre de l'utilisateur s'applique à chaque lecture.",
                    },
                    "resource": resources,
                }
            ],
        }
    )
