"""Who is calling /api/v1 and /fhir: a bearer token (external systems) or the browser's session.

One resolution shared by the JSON API and FHIR, so both answer the same 401/403 for the same caller.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.accounts.models import ApiToken
from maille.accounts.permissions import has_permission

API_PERMISSION = "api.read"
# Writing last_used_at on every call would turn each read into a write; once a minute is enough to audit.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class NotAuthenticated(Exception):
    """No valid credentials (HTTP 401)."""

    def __init__(self, message: str | None = None):
        super().__init__(message or _("Authentification requise : session ou jeton « Bearer » valide."))
        self.message = str(self)


class RoleWithoutApiAccess(Exception):
    """Authenticated, but the user's roles give no access to the API (HTTP 403)."""

    def __init__(self) -> None:
        super().__init__(
            _("Votre rôle ne donne pas accès à l'API de lecture du territoire et de l'annuaire.")
        )
        self.message = str(self)


def bearer_token_of(request: HttpRequest) -> str | None:
    """The raw token of an ``Authorization: Bearer …`` header, or None when there is no such header."""
    header = request.headers.get("Authorization", "")
    scheme, _space, raw = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return raw.strip()


def user_from_token(raw: str) -> Any | None:
    token = ApiToken.objects.find_active(raw) if raw else None
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A conditional UPDATE: concurrent calls in the same minute write at most once.
        ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
            last_used_at=now
        )
    return token.user


def api_user(request: HttpRequest) -> Any:
    """The calling user, allowed to read the API, or raise ``NotAuthenticated`` / ``RoleWithoutApiAccess``.

    A bearer header wins over the session: an invalid token is a 401 even in a logged-in browser, so a
    client never silently reads with someone else's rights.
    """
    # Resolved once per request (the idempotency layer and the endpoint's auth both ask).
    resolved = getattr(request, "_maille_api_user", None)
    if resolved is not None:
        return resolved
    raw = bearer_token_of(request)
    if raw is not None:
        user = user_from_token(raw)
        if user is None:
            raise NotAuthenticated(_("Jeton d'API invalide, révoqué ou expiré."))
    else:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            raise NotAuthenticated()
    if not has_permission(user, API_PERMISSION):
        raise RoleWithoutApiAccess()
    request._maille_api_user = user  # type: ignore[attr-defined]
    return user
