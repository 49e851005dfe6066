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
