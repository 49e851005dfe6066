"""Links put in messages, built by an app above this one (the public pages) without being imported here.

The public app registers its builders in its ``apps.py``: the link a patient follows to see, cancel or move
their appointment, and the one to take up a slot offered from the waiting list. Without a builder (a
deployment without public pages) the messages carry the booking phone number alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

LinkBuilder = Callable[[Any], str]

MANAGE = "manage"
OFFER = "offer"
_builders: dict[str, LinkBuilder] = {}


def register_link_builder(kind: str, builder: LinkBuilder) -> None:
    if kind not in (MANAGE, OFFER):
        raise ValueError(f"unknown link kind {kind!r}")
    _builders[kind] = builder


def link_for(kind: str, appointment: Any) -> str:
    """The absolute link of this kind for an appointment, or "" when no app provides one."""
    builder = _builders.get(kind)
    return builder(appointment) if builder is not None else ""
