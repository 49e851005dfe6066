"""Rate limits of the public pages: ``PUBLIC_RATE_LIMITS`` maps a scope to (count, seconds); the counting is
``maille.core.ratelimits`` (in the database, keys hashed)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _

from maille.core.ratelimits import RateLimited, rate_counters_forget
from maille.core.ratelimits import rate_hit as count_hit

__all__ = ["RateLimited", "rate_counters_forget", "rate_hit"]


def rate_hit(scope: str, value: str, *, now: dt.datetime | None = None) -> None:
    """Count one request of ``scope`` for ``value``; RateLimited when it is over the limit.

    Called before the transaction of the request it guards: a refused request still counts."""
    limit, seconds = settings.PUBLIC_RATE_LIMITS[scope]
    count_hit(
        scope,
        value,
        limit=limit,
        seconds=seconds,
        message=_("Trop de demandes en peu de temps : réessayez dans %(minutes)s minutes, ou appelez-nous."),
        now=now,
    )
