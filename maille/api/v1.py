"""The /api/v1 NinjaAPI: authentication, problem-details errors, and the apps' routers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from maille.core.errors import DomainError
from maille.core.input_guards import (
    find_nul_character,
    find_oversized_integer,
    nul_character_message,
    oversized_integer_message,
)
from maille.diagnosis.api import router as diagnosis_router
from maille.directory.api import router as directory_router
from maille.scheduling.api import router as scheduling_router
from maille.territory.api import router as territory_router

from . import problems
from .auth import NotAuthenticated, RoleWithoutApiAccess, api_user, bearer_token_of
from .docs import StrictCspSwagger
from .idempotency import run_idempotently

logger = logging.getLogger(__name__)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class TokenOrSession(HttpBearer):
    """``Authorization: Bearer <token>`` or the Django session (with its CSRF check on unsafe methods)."""

    csrf = True  # tells the docs page to send the CSRF token with session calls

    def __call__(self, request: HttpRequest) -> Any:
        if bearer_token_of(request) is None and request.method not in SAFE_METHODS:
            refusal = check_csrf(request)
            if refusal is not None:
                raise HttpError(403, _("Jeton CSRF absent ou invalide pour cette requête de session."))
        user = api_user(request)
        # Endpoints read ``request.user`` whatever the credentials: a token acts as its user.
        request.user = user
        return user

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover - __call__ decides
        return api_user(request)


# The problem document of RFC 9457 as every error of /api/v1 carries it.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Code de la règle métier refusée"},
        "errors": {
            "type": "array",
            "description": "Paramètres en cause",
            "items": {
                "type": "object",
                "properties": {
                    "parameter": {"type": "string"},
                    "in": {"type": "string"},
                    "detail": {"type": "string"},
                },
                "required": ["parameter", "detail"],
            },
        },
        "alternatives": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "title", "status", "detail"],
}
ERROR_DESCRIPTIONS = {
    400: "Corps de requête illisible (JSON invalide)",
    401: "Authentification requise (session ou jeton Bearer)",
    403: "Rôle sans accès à cette opération, ou jeton CSRF absent",
    404: "Objet inconnu ou hors du périmètre de l'appelant, ou page au-delà de la dernière",
    409: "Conflit : créneau pris entre-temps (avec alternatives), ou même Idempotency-Key en cours",
    422: "Paramètre ou corps invalide (chaque paramètre en cause est nommé), ou règle métier refusée",
}


def error_statuses(method: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation can answer: every operation needs authentication and a role,
    validates its input and may not find its object (or the page asked); a body may be unreadable; a
    write may conflict."""
    statuses = [401, 403, 404, 422]
    if "requestBody" in operation:
        statuses.append(400)
    if method.upper() in {"POST", "DELETE"}:
        statuses.append(409)
    return sorted(statuses)


class MailleNinjaAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Declare the problem document and every error status of each operation, so that generated
        clients handle them (the suite's API fuzz checks that no other status is answered)."""
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                for status in error_statuses(method, operation):
                    operation["responses"].setdefault(
                        status, {"description": ERROR_DESCRIPTIONS[status], "content": problem}
                    )
        return schema

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _refuse_nul_characters(
                    _idempotent_posts(_problem_for_wrong_method(pattern.callback))
                )
        # Unknown paths under /api/v1 answer a problem document too, not the HTML 404 page.
        return [*patterns, re_path(r"^.*$", _unknown_path, name="unknown-path")]


def _problem_for_wrong_method(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a wrong method with a bare text 405; give it the problem format like every error."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            problem = problems.problem_response(
                status=405,
                slug="methode-non-autorisee",
                title=_("Méthode non autorisée"),
                detail=(
                    _("Cette adresse est en lecture seule : méthodes acceptées %(allow)s.")
                    if "POST" not in response["Allow"]
                    else _("Méthode non acceptée à cette adresse : méthodes acceptées %(allow)s.")
                )
                % {"allow": response["Allow"]},
                headers={"Allow": response["Allow"]},
            )
            return problem
        return response

    return wrapped


def _refuse_nul_characters(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A NUL character in a parameter or a JSON body is refused (422 naming it) before any query runs:
    PostgreSQL cannot store it in text and would answer a server error."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        oversized = find_oversized_integer(request, kwargs)
        if oversized is not None:  # SQLite cannot even compare such a number with a column
            where, parameter = oversized
            return problems.validation_failed(
                [{"parameter": parameter, "in": where, "detail": oversized_integer_message()}]
            )
        found = find_nul_character(request)
        if found is not None:
            where, parameter = found
            return problems.validation_failed(
                [{"parameter": parameter, "in": where, "detail": nul_character_message()}]
            )
        return view(request, *args, **kwargs)

    return wrapped


def _idempotent_posts(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``Idempotency-Key`` on every POST: keys belong to the authenticated caller, so an unauthenticated
    request goes straight to the view (and its 401/403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST" or problems.IDEMPOTENCY_HEADER not in request.headers:
            return view(request, *args, **kwargs)
        try:
            user = api_user(request)
        except (NotAuthenticated, RoleWithoutApiAccess):
            return view(request, *args, **kwargs)
        return run_idempotently(
            request, user, lambda: view(request, *args, **kwargs), problems.simple_problem
        )

    return wrapped


def _unknown_path(request: HttpRequest) -> HttpResponse:
    return problems.not_found(_("Aucun point d'accès de l'API à cette adresse."))


api = MailleNinjaAPI(
    title="Maille API",
    version="1",
    urls_namespace="api",
    description=(
        "API du réseau territorial de téléconsultation assistée (territoire, annuaire, agendas et "
        "réservations). Toute requête POST accepte l'en-tête « Idempotency-Key » (réponse rejouée 24 h). "
        "Authentification par session ou par jeton « Authorization: Bearer … » ; "
        "erreurs au format RFC 9457 (application/problem+json)."
    ),
    auth=TokenOrSession(),
    docs=StrictCspSwagger(),
)
api.add_router("", territory_router)
api.add_router("", directory_router)
api.add_router("", scheduling_router)
api.add_router("", diagnosis_router)


@api.exception_handler(ValidationError)
def _on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", [])]
        source = location[0] if location else ""
        # ninja nests query schemas under their argument name; the client knows only the parameter.
        parameter = location[-1] if location else ""
        errors.append({"parameter": parameter, "in": source, "detail": error.get("msg", "")})
    return problems.validation_failed(errors)


@api.exception_handler(NotAuthenticated)
def _on_not_authenticated(request: HttpRequest, exc: NotAuthenticated) -> HttpResponse:
    return problems.unauthenticated(exc.message)


@api.exception_handler(AuthenticationError)
def _on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problems.unauthenticated(str(NotAuthenticated()))


@api.exception_handler(RoleWithoutApiAccess)
def _on_role_without_access(request: HttpRequest, exc: RoleWithoutApiAccess) -> HttpResponse:
    return problems.forbidden(exc.message)


@api.exception_handler(AuthorizationError)
def _on_authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return problems.forbidden(str(exc))


@api.exception_handler(Http404)
def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problems.not_found()


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 404:
        return problems.not_found(exc.message)
    if exc.status_code == 403:
        return problems.forbidden(exc.message)
    return problems.problem_response(
        status=exc.status_code, slug="erreur", title=_("Requête refusée"), detail=exc.message
    )


@api.exception_handler(DomainError)
def _on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return problems.domain_problem(exc)


@api.exception_handler(Exception)
def _on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unexpected error on %s %s", request.method, request.path)
    return problems.server_error()
