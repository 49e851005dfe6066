"""The loaded territory as planning arrays: communes (demand), APL parameters and directory sites.

The planning library knows nothing of Django; this adapter reads the database once and hands it plain
NumPy arrays. Communes without coordinates cannot be placed on the map: they are left out and listed in
``skipped_communes`` so that the caller says so (never a silent drop).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from maille.directory.models import Site
from maille.planning.accessibility import DistanceDecay
from maille.planning.errors import PlanningError
from maille.planning.points import Points
from maille.planning.travel import GreatCircleEngine, TravelTimeEngine
from maille.territory.models import AplParameter, Commune, Departement, Region


class TerritoryInputError(Exception):
    """The loaded territory cannot answer the question; the message is in French, for the user."""


@dataclass(frozen=True)
class TerritoryInputs:
    """Every placed commune of the loaded territory, and the directory's active sites.

    Arrays are aligned with ``codes``. ``in_study_area`` marks the communes of the requested
    départements or région; the others are kept because a site near a border serves them too.
    """

    codes: list[str]
    names: list[str]
    departements: list[str]
    points: Points
    population: NDArray[np.float64]
    standardised_population: NDArray[np.float64]
    apl: NDArray[np.float64]
    apl_year: int | None
    in_study_area: NDArray[np.bool_]
    site_ids: list[int]
    site_names: list[str]
    site_communes: list[str]
    site_points: Points
    skipped_communes: list[str] = field(default_factory=list)
    missing_standardised: list[str] = field(default_factory=list)

    @property
    def position_of(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}

    def most_populous(self, count: int) -> NDArray[np.int64]:
        """Positions of the ``count`` most populous communes of the study area (ties by code)."""
        area = np.flatnonzero(self.in_study_area)
        order = np.lexsort((np.asarray(self.codes)[area], -self.population[area]))
        result: NDArray[np.int64] = area[order[:count]].astype(np.int64)
        return result

    def commune_positions(self, codes: list[str]) -> NDArray[np.int64]:
        """Positions of the given INSEE codes; unknown or unplaced codes raise a French error."""
        position = self.position_of
        unknown = [code for code in codes if code not in position]
        if unknown:
            raise TerritoryInputError(
                _("Commune(s) inconnue(s) ou sans coordonnées : %(codes)s") % {"codes": ", ".join(unknown)}
            )
        return np.asarray([position[code] for code in codes], dtype=np.int64)


def study_area_codes(*, departements: list[str] | None, region: str | None) -> set[str] | None:
    """The département codes of the study area (None: the whole loaded territory), checked against the base."""
    if region:
        if not Region.objects.filter(code=region).exists():
            raise TerritoryInputError(_("Région inconnue : %(code)s") % {"code": region})
        codes = set(Departement.objects.filter(region_id=region).values_list("code", flat=True))
    else:
        codes = set()
    if departements:
        known = set(Departement.objects.filter(code__in=departements).values_list("code", flat=True))
        unknown = [code for code in departements if code not in known]
        if unknown:
            raise TerritoryInputError(_("Département inconnu : %(codes)s") % {"codes": ", ".join(unknown)})
        codes |= known
    return codes if (region or departements) else None


def distance_decay(year: int | None = None) -> DistanceDecay:
    """The DREES distance-decay bands for the APL year loaded (the latest year present when omitted)."""
    rows = AplParameter.objects.filter(table=AplParameter.Table.DISTANCE)
    if year is not None and rows.filter(year=year).exists():
        rows = rows.filter(year=year)
    else:
        latest = rows.order_by("-year").values_list("year", flat=True).first()
        if latest is None:
            raise TerritoryInputError(
                _(
                    "Aucun paramètre APL (décroissance avec la distance) n'est chargé : "
                    "importez le classeur de la DREES (maille import apl) ou lancez maille demo."
                )
            )
        rows = rows.filter(year=latest)
    try:
        return DistanceDecay.from_labels(
            [(row.label, row.value, row.upper_bound) for row in rows.order_by("rank")]
        )
    except PlanningError as error:
        raise TerritoryInputError(
            _("Paramètres APL illisibles : %(detail)s") % {"detail": str(error)}
        ) from error


def load_territory(*, departements: list[str] | None = None, region: str | None = None) -> TerritoryInputs:
    """Read the loaded communes and active sites; the study area is the given départements and/or région."""
    area = study_area_codes(departements=departements, region=region)
    rows = list(
        Commune.objects.order_by("code").values_list(
            "code",
            "name",
            "departement_id",
            "latitude",
            "longitude",
            "population",
            "population_standardised",
            "apl_gp",
            "apl_year",
        )
    )
    if not rows:
        raise TerritoryInputError(
            _(
                "Aucune commune n'est chargée : lancez maille demo ou importez le territoire (maille import cog)."
            )
        )
    placed = [r for r in rows if r[3] is not None and r[4] is not None]
    skipped = [r[0] for r in rows if r[3] is None or r[4] is None]
    if area is not None and not any(r[2] in area for r in placed):
        raise TerritoryInputError(_("Aucune commune placée sur la carte dans la zone demandée."))
    codes = [r[0] for r in placed]
    population = np.array([r[5] if r[5] is not None else 0 for r in placed], dtype=np.float64)
    standardised = np.array([np.nan if r[6] is None else r[6] for r in placed], dtype=np.float64)
    # Without the DREES standardised population, the municipal population stands in (said to the user).
    missing_standardised = [codes[i] for i in np.flatnonzero(np.isnan(standardised))]
    standardised = np.where(np.isnan(standardised), population, standardised)
    years = [r[8] for r in placed if r[8] is not None]
    sites = list(
        Site.objects.active().order_by("pk").values_list("pk", "name", "commune_id", "latitude", "longitude")
    )
    return TerritoryInputs(
        codes=codes,
        names=[r[1] for r in placed],
        departements=[r[2] for r in placed],
        points=Points(
            np.array([r[3] for r in placed], dtype=np.float64),
            np.array([r[4] for r in placed], dtype=np.float64),
            codes,
        ),
        population=population,
        standardised_population=standardised,
        apl=np.array([np.nan if r[7] is None else r[7] for r in placed], dtype=np.float64),
        apl_year=max(years) if years else None,
        in_study_area=np.array([area is None or r[2] in area for r in placed], dtype=bool),
        site_ids=[s[0] for s in sites],
        site_names=[s[1] for s in sites],
        site_communes=[s[2] for s in sites],
        site_points=Points([s[3] for s in sites], [s[4] for s in sites], [f"site {s[0]}" for s in sites]),
        skipped_communes=skipped,
        missing_standardised=missing_standardised,
    )


def travel_time_engine() -> tuple[TravelTimeEngine, str]:
    """The engine the settings ask for, and its name for the output (OSRM falls back to great circle)."""
    if settings.MAILLE_OSRM_URL:
        from maille.planning.osrm import OsrmTableEngine

        return (
            OsrmTableEngine(
                settings.MAILLE_OSRM_URL,
                cache_dir=settings.MAILLE_OSRM_CACHE_DIR,
                fallback=GreatCircleEngine(),
            ),
            "osrm",
        )
    return GreatCircleEngine(), "great_circle"
