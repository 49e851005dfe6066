"""RFC 9457 problem details for every error of /api/v1 (``application/problem+json``)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://maille.example.org/problemes/"


def problem_response(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def unauthenticated(detail: str) -> HttpResponse:
    return problem_response(
        status=401,
        slug="non-authentifie",
        title=_("Authentification requise"),
        detail=detail,
        headers={"WWW-Authenticate": 'Bearer realm="maille"'},
    )


def forbidden(detail: str) -> HttpResponse:
    return problem_response(status=403, slug="acces-refuse", title=_("Accès refusé"), detail=detail)


def not_found(detail: str | None = None) -> HttpResponse:
    return problem_response(
        status=404,
        slug="introuvable",
        title=_("Ressource introuvable"),
        detail=detail or _("Cette ressource n'existe pas ou n'est pas dans votre périmètre."),
    )


def validation_failed(errors: list[dict[str, Any]]) -> HttpResponse:
    return problem_response(
        status=422,
        slug="parametres-invalides",
        title=_("Paramètres invalides"),
        detail=_("Un ou plusieurs paramètres de la requête sont invalides."),
        errors=errors,
    )


def server_error() -> HttpResponse:
    return problem_response(
        status=500,
        slug="erreur-interne",
        title=_("Erreur interne"),
        detail=_("Une erreur inattendue est survenue ; elle a été journalisée."),
    )
