"""FHIR R4B interactions: ``GET /fhir/metadata``, ``GET /fhir/{type}/{id}`` and ``GET /fhir/{type}?…``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from fhir.resources.R4B.bundle import Bundle

from maille.api.auth import NotAuthenticated, RoleWithoutApiAccess, api_user
from maille.core.input_guards import find_nul_character, nul_character_message
from maille.directory.fhir import FICTIONAL_TAG

from .responses import FhirError, fhir_response, operation_outcome
from .searches import RESOURCE_TYPES, ResourceType, filtered_parts, read_row

logger = logging.getLogger(__name__)

DEFAULT_COUNT = 50
MAX_COUNT = 500
# Result parameters handled by the server itself; everything else must be a declared search parameter.
CONTROL_PARAMETERS = {"_count", "_page", "_format"}
READ_METHODS = {"GET", "HEAD"}
JSON_FORMATS = {"json", "application/json", "application/fhir+json"}


def fhir_endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET/HEAD only, every error as an OperationOutcome (never an HTML page, never internals).

    CSRF-exempt because no unsafe method ever runs: it is refused here with a 405 OperationOutcome
    instead of Django's HTML CSRF page.
    """

    @csrf_exempt
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in READ_METHODS:
            response = operation_outcome(
                405, "not-supported", _("Ce serveur FHIR est en lecture seule (GET).")
            )
            response["Allow"] = ", ".join(sorted(READ_METHODS))
            return response
        try:
            refuse_nul_characters(request)
            fhir_format = request.GET.get("_format")
            if fhir_format is not None and fhir_format not in JSON_FORMATS:
                raise FhirError(400, "not-supported", _("Seul le format JSON est proposé (_format=json)."))
            return view(request, *args, **kwargs)
        except FhirError as error:
            return error.response()
        except NotAuthenticated as error:
            return operation_outcome(401, "login", error.message)
        except RoleWithoutApiAccess as error:
            return operation_outcome(403, "forbidden", error.message)
        except Exception:
            logger.exception("Unexpected FHIR error on %s", request.path)
            return operation_outcome(
                500, "exception", _("Erreur interne du serveur ; elle a été journalisée.")
            )

    wrapped.__name__ = view.__name__
    return wrapped


def refuse_nul_characters(request: HttpRequest) -> None:
    """A NUL character in a parameter or a JSON body: 400 naming it (PostgreSQL cannot store it)."""
    found = find_nul_character(request)
    if found is not None:
        raise FhirError(400, "invalid", nul_character_message(), expression=found[1])


def _resource_type(name: str) -> ResourceType:
    resource_type = RESOURCE_TYPES.get(name)
    if resource_type is None:
        raise FhirError(
            404,
            "not-supported",
            _("Type de ressource « %(type)s » non pris en charge. Types proposés : %(types)s.")
            % {"type": name, "types": ", ".join(sorted(RESOURCE_TYPES))},
        )
    return resource_type


def _positive_int(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise FhirError(
            400,
            "invalid",
            _("Le paramètre %(name)s doit être un entier positif.") % {"name": name},
            expression=name,
        )
    return int(raw)


def _search_url(request: HttpRequest, page: int | None) -> str:
    params = [
        (key, value) for key, values in sorted(request.GET.lists()) for value in values if key != "_page"
    ]
    if page is not None and page > 1:
        params.append(("_page", str(page)))
    query = urlencode(params)
    return request.build_absolute_uri(request.path) + (f"?{query}" if query else "")


@fhir_endpoint
def search(request: HttpRequest, resource_type_name: str) -> HttpResponse:
    resource_type = _resource_type(resource_type_name)
    user = api_user(request)
    declared = {parameter.name for parameter in resource_type.parameters}
    unknown = sorted(set(request.GET) - declared - CONTROL_PARAMETERS)
    if unknown:
        raise FhirError(
            400,
            "not-supported",
            _("Paramètre(s) de recherche non pris en charge pour %(type)s : %(names)s (traitement strict).")
            % {"type": resource_type.name, "names": ", ".join(unknown)},
            expression=unknown[0],
        )
    count = min(_positive_int(request, "_count", DEFAULT_COUNT), MAX_COUNT)
    page = max(_positive_int(request, "_page", 1), 1)
    criteria = {name: request.GET.getlist(name) for name in request.GET if name in declared}

    parts = [(part, rows, rows.count()) for part, rows in filtered_parts(resource_type, user, criteria)]
    total = sum(size for _part, _rows, size in parts)
    # Pages run across the parts in order (Location: sites, then rooms).
    start, remaining = (page - 1) * count, count
    resources = []
    for part, rows, size in parts:
        if remaining <= 0:
            break
        if start >= size:
            start -= size
            continue
        page_rows = list(rows[start : start + remaining])
        if part.prepare is not None:
            part.prepare(page_rows)  # one batch of lookups for the page, not one per row
        for row in page_rows:
            resources.append(part.to_resource(row, user))
        remaining -= min(size - start, remaining)
        start = 0

    links = [{"relation": "self", "url": _search_url(request, page)}]
    if count and page * count < total:
        links.append({"relation": "next", "url": _search_url(request, page + 1)})
    if page > 1:
        links.append({"relation": "previous", "url": _search_url(request, page - 1)})
    base = request.build_absolute_uri(reverse("fhir:metadata")).rsplit("/metadata", 1)[0]
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "timestamp": timezone.now().isoformat(),
            "total": total,
            "link": links,
            "entry": [
                {
                    "fullUrl": f"{base}/{resource.get_resource_type()}/{resource.id}",
                    "resource": resource,
                    "search": {"mode": "match"},
                }
                for resource in resources
            ],
        }
    )
    return fhir_response(bundle)


@fhir_endpoint
def read(request: HttpRequest, resource_type_name: str, resource_id: str) -> HttpResponse:
    resource_type = _resource_type(resource_type_name)
    user = api_user(request)
    found = read_row(resource_type, user, resource_id)
    if found is None:
        # Outside the scope looks exactly like absent: 404, never 403 (no existence leak).
        raise FhirError(
            404,
            "not-found",
            _("%(type)s/%(id)s introuvable.") % {"type": resource_type.name, "id": resource_id},
        )
    part, row = found
    return fhir_response(part.to_resource(row, user))


def mapping_tag() -> str:
    return f"{FICTIONAL_TAG['system']}|{FICTIONAL_TAG['code']}"


@fhir_endpoint
def unknown_path(request: HttpRequest) -> HttpResponse:
    raise FhirError(404, "not-found", _("Aucune interaction FHIR à cette adresse."))
