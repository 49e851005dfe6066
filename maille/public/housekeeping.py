"""The public pages' periodic jobs: requests left half-way are forgotten, old rate counters deleted."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from maille.core.housekeeping import Job

from .ratelimits import rate_counters_forget
from .services import public_bookings_forget

JOBS = (
    Job(
        "public_bookings_forget",
        gettext_lazy("réservations en ligne inachevées oubliées"),
        lambda: public_bookings_forget(),
    ),  # fmt: skip
    Job(
        "rate_counters_forget",
        gettext_lazy("compteurs de demandes effacés"),
        lambda: rate_counters_forget(),
    ),
)
