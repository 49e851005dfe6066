"""One's own supply data: general practitioners per commune with their activity, read from a CSV modelled on
the RPPS extraction, and the accessibility computed from it from scratch (the DREES method) beside the
published APL.

The file (documented in ``docs/data-import.md``) has one row per practitioner and place of practice:
``code_commune`` (INSEE) and ``activite_actes`` (consultations and visits in the year) are required;
``identifiant_rpps`` (11 digits, Luhn key), ``age`` and ``nom`` are optional. Semicolons or commas, UTF-8 (with or
without BOM) or Windows-1252. Every row is checked; one error anywhere and nothing is saved: the report lists
each wrong row with its line, column, value and what is wrong.

Activity counts as the DREES counts it (the "activité" table of the APL parameters loaded with the territory):
under 250 acts, nothing; 251 to 3,600, 3,600; 3,601 to 6,000, the acts; over 6,000, 6,000. Practitioners of 65
and over can be left out, as in the DREES variant "médecins de moins de 65 ans".

The file is taken to list *every* practitioner of the départements it covers (those of its rows). A commune of
the zone whose 20-minute neighbourhood reaches into a département the file does not cover is computed with
part of its supply missing: the page marks it and leaves it out of the comparison's totals.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from maille.core.audit import audit_record
from maille.core.identifiers import InvalidIdentifier, departement_of_commune, normalize_rpps
from maille.core.input_guards import french_decimal
from maille.planning.accessibility import E2SFCA
from maille.territory.models import SOUS_DENSE_APL_THRESHOLD, AplParameter, Commune
from maille.territory.selectors import departements_visible_to

from .figures import TRAVEL_ENGINE, Box, Surroundings
from .models import SupplyImport
from .territory_inputs import TerritoryInputError, distance_decay
from .zones import Zone, zone_communes

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 200_000
MAX_REPORTED_ERRORS = 200
MAX_ACTIVITY = 20_000  # 80 acts a day, 250 days a year: beyond, a typing error
AGE_RANGE = (23, 100)
COLUMNS = {
    "code_commune": ("code_commune", "code commune", "code_insee", "code insee", "commune",
                     "code commune (coord. structure)"),
    "activite_actes": ("activite_actes", "activite", "activité", "actes", "nombre d'actes"),
    "identifiant_rpps": ("identifiant_rpps", "rpps", "identifiant pp", "identification nationale pp"),
    "age": ("age", "âge"),
    "nom": ("nom", "nom d'exercice"),
}  # fmt: skip
REQUIRED = ("code_commune", "activite_actes")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    message: str


class SupplyFileError(ValueError):
    """The file cannot be saved: every error found (the first ``MAX_REPORTED_ERRORS``) and their count."""

    def __init__(self, errors: list[RowError], total: int | None = None) -> None:
        super().__init__(f"{total or len(errors)} erreur(s)")
        self.errors = errors[:MAX_REPORTED_ERRORS]
        self.total = total if total is not None else len(errors)


@dataclass(frozen=True)
class ActivityBand:
    lower: float
    upper: float | None
    counted: float | None  # None: the acts themselves


def activity_bands(year: int | None = None) -> list[ActivityBand]:
    rows = AplParameter.objects.filter(table=AplParameter.Table.ACTIVITY)
    if year is not None and rows.filter(year=year).exists():
        rows = rows.filter(year=year)
    else:
        latest = rows.order_by("-year").values_list("year", flat=True).first()
        if latest is None:
            raise TerritoryInputError(
                _("Aucun paramètre APL (comptabilisation de l'activité) n'est chargé : importez le classeur de "
                  "la DREES (maille import apl) ou lancez maille demo.")
            )  # fmt: skip
        rows = rows.filter(year=latest)
    return [
        ActivityBand(row.lower_bound or 0.0, row.upper_bound, None if row.value is None else row.value)
        for row in rows.order_by("rank")
    ]


def counted_activity(acts: float, bands: list[ActivityBand]) -> float:
    """The activity the APL counts for a practitioner with ``acts`` acts in the year."""
    for band in bands:
        if band.upper is None or acts <= band.upper:
            return acts if band.counted is None else band.counted
    return acts


# --- reading the file ---------------------------------------------------------------------------------------
@dataclass
class ParsedSupply:
    communes: dict[str, dict[str, float]] = field(default_factory=dict)
    practitioners: int = 0
    departements: set[str] = field(default_factory=set)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SupplyFileError([RowError(0, "", "", _("Encodage illisible : enregistrez le fichier en UTF-8."))])


def _header_map(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    normalised = [cell.strip().lower() for cell in header]
    found: dict[str, int] = {}
    for name, aliases in COLUMNS.items():
        for position, cell in enumerate(normalised):
            if cell in aliases:
                found.setdefault(name, position)
    missing = [name for name in REQUIRED if name not in found]
    errors = [
        RowError(1, name, "", _("Colonne obligatoire absente : %(name)s (en-tête lu : %(header)s).")
                 % {"name": name, "header": ", ".join(header)[:200]})
        for name in missing
    ]  # fmt: skip
    return found, errors


def parse_supply_file(data: bytes, *, bands: list[ActivityBand], exclude_65_and_over: bool) -> ParsedSupply:
    """Read and check every row; raise :class:`SupplyFileError` with the whole report if any is wrong."""
    if len(data) > MAX_BYTES:
        raise SupplyFileError([RowError(0, "", "", _("Fichier trop volumineux (10 Mo au plus)."))])
    text = _decode(data)
    if not text.strip():
        raise SupplyFileError([RowError(0, "", "", _("Le fichier est vide."))])
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader)
    columns, errors = _header_map(header)
    if errors:
        raise SupplyFileError(errors)
    known = set(Commune.objects.values_list("code", flat=True))
    parsed = ParsedSupply()
    seen_rpps: dict[str, int] = {}
    total_errors = 0
    rows = 0
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        rows += 1
        if rows > MAX_ROWS:
            errors.append(
                RowError(line, "", "", _("Plus de %(max)s lignes : découpez le fichier.") % {"max": MAX_ROWS})
            )
            total_errors += 1
            break
        row_errors = []

        def cell(name: str, cells: list[str] = cells) -> str:
            position = columns.get(name)
            return cells[position].strip() if position is not None and position < len(cells) else ""

        code = (
            cell("code_commune").zfill(5) if cell("code_commune").isdigit() else cell("code_commune").upper()
        )
        if not code:
            row_errors.append(RowError(line, "code_commune", "", _("Code commune manquant.")))
        elif code not in known:
            row_errors.append(
                RowError(line, "code_commune", code, _("Commune inconnue (code INSEE du COG chargé)."))
            )
        raw_acts = cell("activite_actes")
        acts = _number(raw_acts)
        if acts is None:
            row_errors.append(
                RowError(line, "activite_actes", raw_acts, _("Nombre d'actes attendu (entier)."))
            )
        elif not 0 <= acts <= MAX_ACTIVITY or acts != int(acts):
            row_errors.append(RowError(line, "activite_actes", raw_acts, _(
                "Activité impossible : un nombre entier d'actes dans l'année, de 0 à %(max)s."
            ) % {"max": f"{MAX_ACTIVITY:,}".replace(",", "\u202f")}))  # fmt: skip
        raw_age = cell("age")
        age = _number(raw_age) if raw_age else None
        if raw_age and (age is None or not AGE_RANGE[0] <= age <= AGE_RANGE[1]):
            row_errors.append(RowError(line, "age", raw_age, _("Âge impossible (de %(low)s à %(high)s ans).")
                                       % {"low": AGE_RANGE[0], "high": AGE_RANGE[1]}))  # fmt: skip
        raw_rpps = cell("identifiant_rpps")
        if raw_rpps:
            try:
                rpps = normalize_rpps(raw_rpps)
            except InvalidIdentifier as error:
                row_errors.append(RowError(line, "identifiant_rpps", raw_rpps, str(error)))
            else:
                key = f"{rpps}:{code}"
                if key in seen_rpps:
                    row_errors.append(RowError(line, "identifiant_rpps", raw_rpps, _(
                        "Même praticien et même commune qu'à la ligne %(line)s."
                    ) % {"line": seen_rpps[key]}))  # fmt: skip
                seen_rpps.setdefault(key, line)
        if row_errors:
            total_errors += len(row_errors)
            if len(errors) < MAX_REPORTED_ERRORS:
                errors.extend(row_errors)
            continue
        assert acts is not None
        parsed.practitioners += 1
        parsed.departements.add(departement_of_commune(code))
        if exclude_65_and_over and age is not None and age >= 65:
            continue
        entry = parsed.communes.setdefault(code, {"gps": 0, "activity": 0.0})
        entry["gps"] += 1
        entry["activity"] += counted_activity(acts, bands)
    if total_errors:
        raise SupplyFileError(errors, total_errors)
    if not parsed.practitioners:
        raise SupplyFileError([RowError(2, "", "", _("Aucune ligne de praticien dans le fichier."))])
    return parsed


def _number(raw: str) -> float | None:
    value = french_decimal(raw)
    return None if value is None else float(value)


# --- saving and reading back ----------------------------------------------------------------------------
def supply_imports_visible_to(user: Any) -> QuerySet[SupplyImport]:
    """Imports covering at least one of the user's départements (their figures stay within the zone asked)."""
    visible = set(departements_visible_to(user).values_list("code", flat=True))
    # (a JSON list's "contains" lookup is not portable to SQLite: the few imports are checked here)
    ids = [pk for pk, codes in SupplyImport.objects.values_list("pk", "departements") if set(codes) & visible]
    return SupplyImport.objects.filter(pk__in=ids)


def supply_import_create(
    user: Any, *, name: str, data: bytes, file_name: str, exclude_65_and_over: bool
) -> SupplyImport:
    name = (name or "").strip()
    if not name:
        raise SupplyFileError([RowError(0, "nom", "", _("Donnez un nom à cette offre de soins."))])
    try:
        bands = activity_bands()
    except TerritoryInputError as error:
        raise SupplyFileError([RowError(0, "", "", str(error))]) from error
    parsed = parse_supply_file(data, bands=bands, exclude_65_and_over=exclude_65_and_over)
    visible = set(departements_visible_to(user).values_list("code", flat=True))
    outside = sorted(parsed.departements - visible)
    if outside:
        raise SupplyFileError([RowError(0, "code_commune", ", ".join(outside), _(
            "Le fichier couvre des départements hors de votre territoire : %(codes)s."
        ) % {"codes": ", ".join(outside)})])  # fmt: skip
    with transaction.atomic():
        supply = SupplyImport.objects.create(
            name=name[:120],
            file_name=file_name[:200],
            sha256=hashlib.sha256(data).hexdigest(),
            departements=sorted(parsed.departements),
            communes=parsed.communes,
            practitioners=parsed.practitioners,
            exclude_65_and_over=exclude_65_and_over,
            uploaded_by=user,
        )
        audit_record(actor=user, action="supply.import", target=supply,
                     details={"practitioners": parsed.practitioners, "departements": supply.departements})  # fmt: skip
    return supply


def supply_import_delete(user: Any, supply: SupplyImport) -> None:
    with transaction.atomic():
        audit_record(actor=user, action="supply.delete", target=supply)
        supply.delete()


# --- accessibility from the file ---------------------------------------------------------------------
@dataclass(frozen=True)
class ComputedRow:
    code: str
    name: str
    population: int
    published: float | None
    computed: float
    complete: bool  # the whole neighbourhood lies in départements the file covers

    @property
    def difference(self) -> float | None:
        return None if self.published is None else self.computed - self.published


@dataclass
class SupplyComparison:
    rows: list[ComputedRow]
    apl_year: int | None
    incomplete: int = 0
    population: int = 0
    under_published: int = 0
    under_computed: int = 0
    mean_published: float | None = None
    mean_computed: float | None = None


def compare_with_published(user: Any, zone: Zone, supply: SupplyImport) -> SupplyComparison:
    """Accessibility of each commune of the zone computed from the file (E2SFCA, the DREES distance decay),
    beside the published APL; the totals count only the communes the file covers whole."""
    communes = list(
        zone_communes(user, zone).filter(latitude__isnull=False, longitude__isnull=False).order_by("code")
        .values_list("code", "name", "population", "apl_gp", "apl_year", "latitude", "longitude")
    )  # fmt: skip
    years = [r[4] for r in communes if r[4]]
    apl_year = max(years) if years else None
    if not communes:
        return SupplyComparison([], apl_year)
    decay = distance_decay(apl_year)
    reach_km = TRAVEL_ENGINE.radius_km(decay.max_minutes)
    box = Box.around(
        [r[5] or 0.0 for r in communes], [r[6] or 0.0 for r in communes]
    )  # placed: filtered above
    around = Surroundings.within(box.widened(2 * reach_km))
    position = {code: i for i, code in enumerate(around.codes)}
    supply_per_commune = np.zeros(len(around.codes))
    for code, entry in supply.communes.items():
        if code in position:
            supply_per_commune[position[code]] = float(entry["activity"])
    times = TRAVEL_ENGINE.symmetric_travel_times(around.points, decay.max_minutes)
    model = E2SFCA(decay).solve_symmetric(times, around.standardised_population, supply_per_commune)
    covered = set(supply.departements)
    outside = np.array([departement_of_commune(code) not in covered for code in around.codes])
    # a commune is incomplete when a neighbour within reach lies in a département the file does not cover
    incomplete = outside.copy()
    reached = decay.weight(times.minutes) > 0
    incomplete[times.first[reached & outside[times.second]]] = True
    incomplete[times.second[reached & outside[times.first]]] = True
    rows = [
        ComputedRow(code, name, population or 0, apl, round(float(model.accessibility_[position[code]]), 3),
                    not bool(incomplete[position[code]]))
        for code, name, population, apl, _year, _lat, _lon in communes
        if code in position
    ]  # fmt: skip
    comparison = SupplyComparison(rows, apl_year)
    whole = [r for r in rows if r.complete]
    comparison.incomplete = len(rows) - len(whole)
    comparison.population = sum(r.population for r in whole)
    comparison.under_published = sum(
        r.population for r in whole if r.published is not None and r.published < SOUS_DENSE_APL_THRESHOLD
    )
    comparison.under_computed = sum(r.population for r in whole if r.computed < SOUS_DENSE_APL_THRESHOLD)
    comparison.mean_published = _mean([(r.published, r.population) for r in whole if r.published is not None])
    comparison.mean_computed = _mean([(r.computed, r.population) for r in whole])
    return comparison


def _mean(pairs: Iterable[tuple[float, int]]) -> float | None:
    values = [(v, p) for v, p in pairs if p]
    total = sum(p for _v, p in values)
    return sum(v * p for v, p in values) / total if total else None
