"""RFC 9457 problem details for every error of /api/v1 (``application/problem+json``)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from maille.core.errors import DomainError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://maille.example.org/problemes/"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Details of a domain error given as members of the problem document (RFC 9457 extension members).
EXTENSION_MEMBERS = ("alternatives",)


def problem_response(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        **(extensions or {}),
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


def simple_problem(status: int, slug: str, title: str, detail: str) -> HttpResponse:
    return problem_response(status=status, slug=slug, title=title, detail=detail)


def domain_problem(error: DomainError) -> HttpResponse:
    """A refused operation: 409 (conflict, e.g. slot just taken with ``alternatives``), 422 or 403."""
    titles = {403: _("Accès refusé"), 409: _("Conflit"), 422: _("Opération refusée")}
    extensions = {"code": error.code}
    extensions.update({key: error.details[key] for key in EXTENSION_MEMBERS if key in error.details})
    others = [
        {"parameter": key, "detail": str(value)}
        for key, value in error.details.items()
        if key not in EXTENSION_MEMBERS
    ]
    return problem_response(
        status=error.status_code,
        slug=error.code,
        title=titles.get(error.status_code, _("Opération refusée")),
        detail=error.message,
        errors=others or None,
        extensions=extensions,
    )
