"""Security headers."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    """Add a strict Content-Security-Policy to every response (all assets are vendored)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy: str = settings.CONTENT_SECURITY_POLICY
        tiles = getattr(settings, "MAILLE_MAP_TILES_URL", "")
        if tiles:
            origin = "/".join(tiles.split("/")[:3])
            policy = policy.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        return response


class NulCharacterMiddleware:
    """A NUL character in a page's query or form field is a 400 naming the field, before any view runs.

    PostgreSQL stores no NUL in text and refuses it even as a query parameter: without this, a name typed with
    one becomes a server error at the first write or lookup. /api/v1 and /fhir answer it themselves, as problem
    documents (``core.input_guards.find_nul_character``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(("/api/", "/fhir/")):
            field = _field_with_nul(request)
            if field is not None:
                from django.shortcuts import render
                from django.utils.translation import gettext as _

                from .input_guards import nul_character_message

                message = _("Champ « %(field)s » : %(problem)s") % {
                    "field": field.replace(NUL, "\\0")[:60], "problem": nul_character_message()
                }  # fmt: skip
                return render(request, "core/400.html", {"message": message}, status=400)
        return self.get_response(request)


NUL = "\x00"


def _field_with_nul(request: HttpRequest) -> str | None:
    sources = [request.GET]
    if request.method == "POST":
        sources.append(request.POST)
    for source in sources:
        for name, values in source.lists():
            if NUL in name or any(NUL in value for value in values):
                return name
    if request.method == "POST":
        for name, uploads in request.FILES.lists():
            if any(NUL in (upload.name or "") for upload in uploads):
                return name
    return None
