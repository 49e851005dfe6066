"""Rate limits counted in the database (every server process sees the same counts), for the pages anyone may
open without an account: the public booking pages, the quality documents' verification page.

A fixed window per scope and key: the key is an HMAC of the client address or of the phone number or email
address, so the table holds no personal data. A refused request still counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import DomainError
from .models import RateCounter


class RateLimited(DomainError):
    status_code = 429

    def __init__(self, message: str, *, retry_after_seconds: int):
        super().__init__(message, code="rate_limited", details={"retry_after_seconds": retry_after_seconds})
        self.retry_after_seconds = retry_after_seconds


def hashed(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"rate:{value}".encode(), hashlib.sha256).hexdigest()


def _window(now: dt.datetime, seconds: int) -> dt.datetime:
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)


def rate_hit(
    scope: str, value: str, *, limit: int, seconds: int, message: str = "", now: dt.datetime | None = None
) -> None:
    """Count one request of ``scope`` for ``value``; ``RateLimited`` past ``limit`` in the window of ``seconds``.
    ``message`` may name ``%(minutes)s``, the minutes to wait."""
    now = now or timezone.now()
    window = _window(now, seconds)
    key = hashed(value)
    with transaction.atomic():
        counter, created = RateCounter.objects.get_or_create(
            scope=scope, key=key, window_start=window, defaults={"count": 1}
        )
        if not created:
            RateCounter.objects.filter(pk=counter.pk).update(count=F("count") + 1)
            counter.refresh_from_db(fields=["count"])
    if counter.count > limit:
        retry = int((window + dt.timedelta(seconds=seconds) - now).total_seconds()) + 1
        minutes = max(1, (retry + 59) // 60)
        text = message or _("Trop de demandes en peu de temps : réessayez dans %(minutes)s minutes.")
        raise RateLimited(text % {"minutes": minutes}, retry_after_seconds=retry)


def rate_counters_forget(*, now: dt.datetime | None = None) -> int:
    """Counters of windows long closed (the longest window is a day)."""
    limit = (now or timezone.now()) - dt.timedelta(days=2)
    deleted, _details = RateCounter.objects.filter(window_start__lt=limit).delete()
    return deleted
