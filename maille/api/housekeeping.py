"""The API's periodic job: purge the idempotency keys past their time (registered with ``core.housekeeping``)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from maille.core.housekeeping import Job

from .models import IdempotencyKey


def expired_idempotency_keys_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the idempotency keys past their time (they are already ignored by the API)."""
    return IdempotencyKey.objects.purge_expired(now or timezone.now())


def purge_idempotency_keys() -> int:
    with transaction.atomic(durable=True):
        return expired_idempotency_keys_purge()


JOBS = (Job("idempotency_keys_purge", gettext_lazy("clés d'idempotence purgées"), purge_idempotency_keys),)
