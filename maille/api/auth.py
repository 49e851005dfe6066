"""Who is calling /api/v1 and /fhir: a bearer token (external systems) or the browser's session.

One resolution shared by the JSON API and FHIR, so both answer the same 401/403 for the same caller.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.accounts.models import ApiToken, User, token_hash
from maille.accounts.permissions import has_permission
from maille.accounts.scope import Grants, attach_scope, grants_of
from maille.core.stamps import StampedCache

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


_USER_FIELDS = tuple(field.attname for field in User._meta.concrete_fields)
TokenRow = tuple[int, datetime | None, tuple[Any, ...], Grants]


def _active_token(key_hash: str) -> TokenRow | None:
    """(token id, last use, the user's columns, the user's grants) of an unrevoked token."""
    rows = list(
        ApiToken.objects.filter(key_hash=key_hash, revoked_at__isnull=True)
        .order_by()
        .values_list("pk", "last_used_at", *(f"user__{name}" for name in _USER_FIELDS))[:1]
    )
    if not rows:
        return None
    token_id, last_used_at, *user_values = rows[0]
    return token_id, last_used_at, tuple(user_values), grants_of(user_values[_USER_FIELDS.index("id")])


# Every call reads its token: kept per process while the "access" stamp (tokens, users, grants) does not move, so a
# revoked token or a deactivated user is refused at the next call. Keyed by the hash, never the secret.
_tokens: StampedCache[str, TokenRow | None] = StampedCache("access", _active_token)


def user_from_token(raw: str) -> Any | None:
    row = _tokens.get(token_hash(raw)) if raw else None
    if row is None:
        return None
    token_id, last_used_at, user_values, grants = row
    user = User.from_db("default", _USER_FIELDS, user_values)  # a fresh instance for each request
    if not user.is_active:
        return None
    attach_scope(user, grants)
    now = timezone.now()
    if last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION:
        # A conditional UPDATE: concurrent calls in the same minute write at most once (and the stamp moves).
        ApiToken.objects.filter(pk=token_id).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
            last_used_at=now
        )
    return user


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
