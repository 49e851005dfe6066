"""Reads of the directory, with the caller's scope applied (one implementation for pages, API and FHIR)."""

from __future__ import annotations

from typing import Any

from maille.accounts.scope import scope_for

from .models import Site, SiteQuerySet


def sites_visible_to(user: Any) -> SiteQuerySet:
    return Site.objects.filter(scope_for(user).sites_q())
