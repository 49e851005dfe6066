"""Exponential back-off between attempts of outgoing deliveries (webhooks, messages to patients)."""

from __future__ import annotations

import datetime as dt


def backoff_delay(attempts: int, *, first_seconds: int, max_seconds: int) -> dt.timedelta:
    """Delay after the ``attempts``-th failed attempt: ``first_seconds``, twice that, four times… capped."""
    return dt.timedelta(seconds=min(first_seconds * 2 ** max(attempts - 1, 0), max_seconds))
