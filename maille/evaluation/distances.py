"""The estimated kilometres avoided by teleconsultations: for each teleconsultation whose patient's commune is
known, the round trip from that commune to the nearest general practitioner (a commune with at least one GP in the
territory's supply data) minus the round trip to the site where it took place.

The territory data on GPs is the diagnosis's supply import (``diagnosis.SupplyImport``: GPs per commune, the whole
of each département it covers): the latest one the reader may see that covers the zone's départements. Distances
are those of the planning library's travel model (great circle × the road detour factor): an estimate, about ±25 %
a trip (docs/planning.md). A site farther than the nearest GP counts negatively: the teleconsultation gave access
(a slot sooner, no médecin traitant needed), not a shorter trip. Teleconsultations are counted per (patient's commune,
site) by the indicator cells (``cells.py``) — a few thousand pairs for a region's year —, distances per pair.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from django.utils import formats
from django.utils.translation import gettext as _

from maille.diagnosis.figures import TRAVEL_ENGINE
from maille.diagnosis.models import SupplyImport
from maille.diagnosis.supply import supply_imports_visible_to
from maille.directory.models import Site
from maille.planning.points import Points
from maille.territory.models import Commune


def supply_for(user: Any, departement_codes: set[str]) -> SupplyImport | None:
    """The latest supply import the user may see that covers one of ``departement_codes``."""
    for supply in supply_imports_visible_to(user).order_by("-created_at", "-pk"):
        if set(supply.departements) & departement_codes:
            return supply
    return None


# Distances per dense block (origins × GP communes, or origins × sites): the origins of a block are as many as
# keep it this size (about 6 MB of coordinates), whatever the number of GP communes the supply data has.
_PAIRS_PER_BLOCK = 250_000


def _road_km(origins: Points, destinations: Points) -> np.ndarray:
    """Road kilometres, origins × destinations (the travel model's great circle × detour)."""
    return TRAVEL_ENGINE.distances_between(origins, destinations) * TRAVEL_ENGINE.detour_factor


def kilometres_from_trips(pairs: list[tuple[str, int, int]], supply: SupplyImport | None) -> dict[str, Any]:
    """{"km": round-trip kilometres avoided (None without supply data), "acts": teleconsultations counted,
    "known": teleconsultations whose patient's commune is known, "note": what the figure rests on}, from the
    teleconsultations counted per (patient's commune, site) (the indicator cells' trips)."""
    known = sum(n for _commune, _site, n in pairs)
    if supply is None:
        return {"km": None, "acts": 0, "known": known, "note": _(
            "Aucune offre de soins importée pour ce territoire (Diagnostic → Offre de soins) : la distance au "
            "médecin généraliste le plus proche n'est pas connue.")}  # fmt: skip
    gp_codes = [code for code, row in supply.communes.items() if (row or {}).get("gps", 0) > 0]
    origins = {commune for commune, _site, _n in pairs}
    places = {
        code: (lat, lon)
        for code, lat, lon in Commune.objects.filter(code__in=origins | set(gp_codes)).values_list(
            "code", "latitude", "longitude"
        )
        if lat is not None and lon is not None
    }
    sites = {}
    for pk, lat, lon, commune_lat, commune_lon in Site.objects.filter(
        pk__in={s for _c, s, _n in pairs}
    ).values_list("pk", "latitude", "longitude", "commune__latitude", "commune__longitude"):
        point = (lat, lon) if lat is not None and lon is not None else (commune_lat, commune_lon)
        if point[0] is not None and point[1] is not None:
            sites[pk] = point
    gps = [places[code] for code in gp_codes if code in places]
    if not gps:
        return {"km": None, "acts": 0, "known": known,
                "note": _("L'offre de soins « %(name)s » ne compte aucun médecin localisé.") % {"name": supply.name}}  # fmt: skip
    by_origin: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for commune, site, n in pairs:
        if commune in places and site in sites:
            by_origin[commune].append((site, n))
    # The points once, the distances by blocks of origins: a point per call cost a region's page 0.1 s.
    gp_points = Points([p[0] for p in gps], [p[1] for p in gps])
    site_ids = sorted({site for visits in by_origin.values() for site, _n in visits})
    site_column = {site: column for column, site in enumerate(site_ids)}
    site_points = Points([sites[s][0] for s in site_ids], [sites[s][1] for s in site_ids])
    origins = list(by_origin)
    per_block = max(1, _PAIRS_PER_BLOCK // max(len(gps), len(site_ids)))
    total, counted = 0.0, 0
    for first in range(0, len(origins), per_block):
        block = origins[first : first + per_block]
        origin_points = Points([places[c][0] for c in block], [places[c][1] for c in block])
        nearest_gp = _road_km(origin_points, gp_points).min(axis=1)
        to_sites = _road_km(origin_points, site_points)
        for row, commune in enumerate(block):
            for site, n in by_origin[commune]:
                total += 2 * (float(nearest_gp[row]) - float(to_sites[row, site_column[site]])) * n
                counted += n
    note = _("Offre de soins « %(name)s » du %(date)s ; allers-retours, distances routières estimées.") % {
        "name": supply.name, "date": formats.date_format(supply.created_at, "j F Y")}  # fmt: skip
    return {"km": round(total), "acts": counted, "known": known, "note": note}
