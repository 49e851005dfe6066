"""Which booking channel a staff member's action goes through (recorded in the log and the audit)."""

from __future__ import annotations

from typing import Any

from maille.accounts.models import Role
from maille.accounts.scope import scope_for
from maille.core.models import Channel


def channel_for(user: Any) -> str:
    """Phone operators book by phone, site staff at the site; everyone else through the web pages."""
    scope = scope_for(user)
    if scope.has_role(Role.OPERATOR):
        return Channel.PHONE
    if scope.has_role(Role.SITE_STAFF):
        return Channel.SITE
    return Channel.WEB
