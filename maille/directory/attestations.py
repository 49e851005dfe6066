"""What other apps attest about a site (the quality label, for now), shown wherever the directory shows a site:
its pages, /api/v1 and FHIR.

The directory sits below the apps that grant such attestations, so it imports none of them: an app above
registers a provider in its ``AppConfig.ready()`` (``register_site_attestations``), and the directory asks the
providers for a batch of sites. A provider answers site id → its attestations in force.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SiteAttestation:
    code: str  # stable code, e.g. "quality-label" (FHIR: in the directory's site-attestation code system)
    display: str  # what a page shows, in French
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None


Provider = Callable[[Sequence[int]], dict[int, list[SiteAttestation]]]
_providers: dict[str, Provider] = {}
_CACHE_ATTRIBUTE = "attestations_in_force"  # read by the templates too


def register_site_attestations(name: str, provider: Provider) -> None:
    """Idempotent (``ready()`` may run twice in tests)."""
    _providers[name] = provider


def attestations_for(site_ids: Sequence[int]) -> dict[int, list[SiteAttestation]]:
    result: dict[int, list[SiteAttestation]] = {site_id: [] for site_id in site_ids}
    if not site_ids:
        return result
    for provider in _providers.values():
        for site_id, items in provider(site_ids).items():
            result.setdefault(site_id, []).extend(items)
    return result


def attach_attestations(sites: Sequence[Any]) -> None:
    """One query per provider for a page of sites; ``site_attestations`` then reads them from each site."""
    found = attestations_for([site.pk for site in sites])
    for site in sites:
        setattr(site, _CACHE_ATTRIBUTE, found.get(site.pk, []))


def site_attestations(site: Any) -> list[SiteAttestation]:
    cached = getattr(site, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = attestations_for([site.pk]).get(site.pk, [])
        setattr(site, _CACHE_ATTRIBUTE, cached)
    return list(cached)
