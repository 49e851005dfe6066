"""The slot engine: the one answer to "when and where can this use be booked?".

``search`` finds and validates slots; ``intervals`` is its interval arithmetic over NumPy arrays;
``resource_cache`` and ``rule_table`` hold the resources and weekly rules as arrays, cached per process
and invalidated by the database's change stamp. Display, booking, validation and rescheduling all ask
``find_slots``, ``next_free_by_site`` (per site, for pages grouped by site) and ``candidates_at``; nothing
else computes free time.
"""

from .search import (
    DEFAULT_POLICY,
    Slot,
    SlotCandidates,
    SlotQuery,
    candidates_at,
    eligible_sites,
    find_slots,
    next_free_by_site,
    policy_for,
    travel_minutes_from,
    weekly_occurrences,
)

__all__ = [
    "DEFAULT_POLICY",
    "Slot",
    "SlotCandidates",
    "SlotQuery",
    "candidates_at",
    "eligible_sites",
    "find_slots",
    "next_free_by_site",
    "policy_for",
    "travel_minutes_from",
    "weekly_occurrences",
]
