"""Reads of the territory for maps, with the caller's scope applied.

The map shows one département at a time: its communes inside the user's scope, coloured by the official
APL baseline, served as a compact GeoJSON FeatureCollection built from the stored simplified outlines.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from maille.accounts.scope import scope_for

from .models import SOUS_DENSE_APL_THRESHOLD, Commune, CommuneGeometry, Departement


@dataclass(frozen=True)
class AplClass:
    """One class of the APL legend; ``css_class`` carries the colour (maille.css is its only source)."""

    lower: float | None
    upper: float | None
    label: Any  # lazily translated
    css_class: str
    sous_dense: bool


APL_CLASSES: list[AplClass] = [
    AplClass(None, 1.5, _("moins de 1,5"), "apl-0", True),
    AplClass(1.5, SOUS_DENSE_APL_THRESHOLD, _("de 1,5 à 2,5"), "apl-1", True),
    AplClass(SOUS_DENSE_APL_THRESHOLD, 3.5, _("de 2,5 à 3,5"), "apl-2", False),
    AplClass(3.5, 4.5, _("de 3,5 à 4,5"), "apl-3", False),
    AplClass(4.5, 5.5, _("de 4,5 à 5,5"), "apl-4", False),
    AplClass(5.5, None, _("5,5 et plus"), "apl-5", False),
]


def apl_class_for(apl: float | None) -> str:
    """CSS class of an APL value ("apl-none" when DREES published none)."""
    if apl is None:
        return "apl-none"
    for apl_class in APL_CLASSES:
        if apl_class.upper is None or apl < apl_class.upper:
            return apl_class.css_class
    return APL_CLASSES[-1].css_class


def communes_visible_to(user: Any) -> Any:
    return Commune.objects.filter(scope_for(user).communes_q())


def departements_visible_to(user: Any) -> Any:
    """Départements holding at least one commune of the user's scope (a CPTS or EPCI grant counts)."""
    scope = scope_for(user)
    if scope.everywhere:
        return Departement.objects.order_by("code")
    return Departement.objects.filter(
        code__in=communes_visible_to(user).values("departement_id").distinct()
    ).order_by("code")


def communes_most_in_need(user: Any, departement_code: str, *, limit: int = 15) -> list[Commune]:
    """The département's inhabited communes with the lowest APL: the accessible companion of the map."""
    return list(
        communes_visible_to(user)
        .filter(departement_id=departement_code, apl_gp__isnull=False, population__gt=0)
        .order_by("apl_gp", "-population", "code")
        .only("code", "name", "population", "apl_gp")[:limit]
    )


def departement_communes_geojson(user: Any, departement_code: str) -> bytes:
    """A compact FeatureCollection of the département's communes in scope (properties: code, name,
    population, apl), as UTF-8 bytes ready to send.

    Outlines are sent as stored: the importer already simplified them and rounded their coordinates
    (rounding 30,000 points again here would cost a third of a second per request).
    """
    geometries = (
        CommuneGeometry.objects.filter(
            commune__in=communes_visible_to(user).filter(departement_id=departement_code)
        )
        .order_by("commune_id")
        .values_list("commune_id", "commune__name", "commune__population", "commune__apl_gp", "geojson")
    )
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name, "population": population, "apl": apl},
            "geometry": geometry,
        }
        for code, name, population, apl, geometry in geometries
    ]
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()


def payload_etag(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()[:32]
