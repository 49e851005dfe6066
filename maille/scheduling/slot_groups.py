"""The earliest slots of a search, grouped by site for a person choosing one: nearest sites first, each with
its next free times. The operator console and the public booking pages show the same grouping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from maille.directory.models import Site

from .engine import Slot

SITES_SHOWN = 6
TIMES_PER_SITE = 4


@dataclass(frozen=True)
class SlotChoice:
    site_id: int
    site_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    travel_minutes: float | None
    doctor_count: int


@dataclass(frozen=True)
class SiteSlots:
    site_id: int
    site_name: str
    travel_minutes: float | None
    times: list[SlotChoice]


def site_names(site_ids: set[int]) -> dict[int, str]:
    return dict(Site.objects.filter(pk__in=site_ids).values_list("pk", "name"))


def slot_choices(slots: Iterable[Slot]) -> list[SlotChoice]:
    """The engine's slots with their site's name (one query)."""
    slots = list(slots)
    names = site_names({slot.site_id for slot in slots})
    return [
        SlotChoice(
            slot.site_id,
            names[slot.site_id],
            slot.starts_at,
            slot.ends_at,
            slot.travel_minutes,
            len(slot.doctor_ids),
        )
        for slot in slots
    ]


def by_site(
    slots: list[SlotChoice], *, sites_shown: int = SITES_SHOWN, times_per_site: int = TIMES_PER_SITE
) -> list[SiteSlots]:
    """The slots grouped by site, nearest first (then earliest), each site's first ``times_per_site``."""
    groups: dict[int, list[SlotChoice]] = {}
    for slot in slots:
        groups.setdefault(slot.site_id, []).append(slot)
    ordered = sorted(
        groups.values(),
        key=lambda times: (
            times[0].travel_minutes if times[0].travel_minutes is not None else 0.0,
            times[0].starts_at,
        ),
    )
    return [
        SiteSlots(times[0].site_id, times[0].site_name, times[0].travel_minutes, times[:times_per_site])
        for times in ordered[:sites_shown]
    ]


def numbered(groups: list[SiteSlots]) -> list[tuple[SiteSlots, list[tuple[int, SlotChoice]]]]:
    """Each group with its times numbered across the page (keys 1–9 choose them)."""
    out, number = [], 0
    for group in groups:
        times = []
        for slot in group.times:
            number += 1
            times.append((number, slot))
        out.append((group, times))
    return out
