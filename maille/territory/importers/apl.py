"""The DREES workbook "APL aux médecins généralistes", read exactly as DREES publishes it.

Sheets ``APL AAAA`` (title and notes rows, a header row starting with « Code commune INSEE », a units row,
then one row per commune) and ``Paramètres`` (three titled tables: activity caps, distance decay, age
weights per year). The workbook covers all of France while a deployment loads one region: communes of the
workbook absent from the database are either former codes of a loaded commune (merged since the workbook's
geography: their published value is kept on the ``FormerCommune`` row, and the report names each mapping) or
counted "hors territoire chargé", or rejected with ``strict_communes``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import openpyxl
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils.exceptions import InvalidFileException

from maille.territory.models import AplParameter, Commune, FormerCommune

from .base import (
    Counts,
    ImportFileError,
    ImportResult,
    Reject,
    check_insee,
    check_number,
    ensure_no_rejects,
    progress,
    read_bytes,
    upsert,
)

EXPECTED_WORKBOOK = gettext_lazy("le classeur .xlsx de la DREES (feuilles « Paramètres » et « APL AAAA »)")
PARAMETERS_SHEET = "Paramètres"
_YEAR_SHEET = re.compile(r"^APL (\d{4})$")
_CODE_HEADER = "code commune insee"
HEADER_SEARCH_ROWS = 30
_SECTIONS = {
    AplParameter.Table.ACTIVITY: "comptabilisation de l'activité",
    AplParameter.Table.DISTANCE: "décroissance de l'accessibilité",
    AplParameter.Table.AGE: "pondération de la population",
}
_AGE_YEAR = re.compile(r"(\d{4})\s*$")
_NUMBER = re.compile(r"\d[\d\s\u202f\xa0]*")


@dataclass
class AplData:
    year: int
    sheet: str
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    has_under65: bool = False
    locations: dict[str, str] = field(default_factory=dict)
    parameters: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def open_workbook(path: Path | str) -> Any:
    data = read_bytes(path, EXPECTED_WORKBOOK)
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, ParseError):
        raise ImportFileError(
            path,
            _("pas un classeur .xlsx lisible (fichier tronqué ou d'un autre format ?)"),
            EXPECTED_WORKBOOK,
        ) from None


def workbook_years(workbook: Any) -> list[int]:
    return sorted(int(m.group(1)) for name in workbook.sheetnames if (m := _YEAR_SHEET.match(name)))


def _rows(path: Path, sheet: Any) -> list[tuple[Any, ...]]:
    """All rows of a sheet; a truncated sheet inside a valid zip fails here, not halfway through writing."""
    try:
        return list(sheet.iter_rows(values_only=True))
    except (zipfile.BadZipFile, ParseError, KeyError, OSError, ValueError, EOFError):
        raise ImportFileError(
            path, _("feuille « %(sheet)s » illisible ou tronquée") % {"sheet": sheet.title}, EXPECTED_WORKBOOK
        ) from None


def _label(value: Any) -> str:
    return " ".join(str(value).split()).lower() if value is not None else ""


def parse_apl(path: Path | str, *, year: int | None = None, show_progress: bool = False) -> AplData:
    path = Path(path)
    workbook = open_workbook(path)
    try:
        years = workbook_years(workbook)
        if not years:
            raise ImportFileError(
                path,
                _("aucune feuille « APL AAAA » (feuilles présentes : %(sheets)s)")
                % {"sheets": ", ".join(workbook.sheetnames)},
                EXPECTED_WORKBOOK,
            )
        if year is None:
            year = years[-1]
        elif year not in years:
            raise ImportFileError(
                path,
                _("pas de feuille « APL %(year)d » (années présentes : %(years)s)")
                % {"year": year, "years": ", ".join(map(str, years))},
                EXPECTED_WORKBOOK,
            )
        if PARAMETERS_SHEET not in workbook.sheetnames:
            raise ImportFileError(
                path, _("feuille « %(sheet)s » absente") % {"sheet": PARAMETERS_SHEET}, EXPECTED_WORKBOOK
            )
        sheet_name = f"APL {year}"
        data = AplData(year=year, sheet=sheet_name)
        _parse_year_sheet(path, _rows(path, workbook[sheet_name]), data, show_progress)
        data.parameters = parse_parameters(path, _rows(path, workbook[PARAMETERS_SHEET]), default_year=year)
        return data
    finally:
        workbook.close()


def _parse_year_sheet(path: Path, rows: list[tuple[Any, ...]], data: AplData, show_progress: bool) -> None:
    header_index = next(
        (i for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]) if row and _label(row[0]) == _CODE_HEADER), None
    )
    if header_index is None:
        raise ImportFileError(
            path,
            _(
                "en-tête « Code commune INSEE » introuvable dans les %(count)d premières lignes de « %(sheet)s »"
            )
            % {"count": HEADER_SEARCH_ROWS, "sheet": data.sheet},
            EXPECTED_WORKBOOK,
        )
    columns = _columns(path, rows[header_index], data.sheet)
    data.has_under65 = "apl_gp_under65" in columns
    first_data = header_index + 1
    body = rows[first_data:]
    for offset, row in progress(
        enumerate(body), total=len(body), desc=_("APL %(year)d") % {"year": data.year}, enabled=show_progress
    ):
        line = first_data + offset + 1  # spreadsheet rows are numbered from 1
        if all(value is None for value in row) or (
            row[0] is None and all(v is None or isinstance(v, str) for v in row)
        ):
            continue  # blank rows, and the units row under the header
        where = _("feuille « %(sheet)s », ligne %(line)d") % {"sheet": data.sheet, "line": line}
        code, problem = check_insee(row[0])
        values: dict[str, Any] = {"apl_year": data.year}
        for attname, index in columns.items():
            if problem is not None:
                break
            value = row[index] if index < len(row) else None
            if value is None and attname == "apl_gp_under65":
                values[attname] = None
                continue
            values[attname], problem = check_number(value, _header_name(attname))
        if problem is None and code in data.rows:
            problem = _("code commune en double")
        if problem is not None:
            data.rejects.append(Reject(path.name, where, problem))
            continue
        assert code is not None
        data.rows[code] = values
        data.locations[code] = where


def _header_name(attname: str) -> str:
    return {
        "apl_gp": _("APL aux médecins généralistes"),
        "apl_gp_under65": _("APL aux médecins généralistes de moins de 65 ans"),
        "population_standardised": _("population standardisée"),
    }[attname]


def _columns(path: Path, header: tuple[Any, ...], sheet: str) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, value in enumerate(header):
        label = _label(value)
        if label == "apl aux médecins généralistes":
            columns["apl_gp"] = index
        elif label == "apl aux médecins généralistes de moins de 65 ans":
            columns["apl_gp_under65"] = index
        elif label.startswith("population standardisée"):
            columns["population_standardised"] = index
    missing = [
        name
        for attname, name in (
            ("apl_gp", "APL aux médecins généralistes"),
            ("population_standardised", "Population standardisée…"),
        )
        if attname not in columns
    ]
    if missing:
        raise ImportFileError(
            path,
            _("colonne(s) absente(s) de l'en-tête de « %(sheet)s » : %(names)s")
            % {"sheet": sheet, "names": ", ".join(f"« {m} »" for m in missing)},
            EXPECTED_WORKBOOK,
        )
    return columns


def label_bounds(label: str, table: str) -> tuple[float | None, float | None]:
    """Bounds of a class label: « Moins de 10 minutes » → (0, 10), « Plus de 20 minutes » → (20, None).

    Age bands are half-open intervals in years: « de 5 à 9 ans » → (5, 10), so that age a is in the band
    when lower <= a < upper. Activity and distance bounds are the published numbers.
    """
    numbers = [float(re.sub(r"\D", "", n)) for n in _NUMBER.findall(label)]
    text = _label(label)
    if not numbers:
        return None, None
    if text.startswith("moins"):
        return 0.0, numbers[0]
    if text.startswith("plus"):
        return numbers[0], None
    upper = numbers[-1] + 1 if table == AplParameter.Table.AGE else numbers[-1]
    return numbers[0], upper


def parse_parameters(path: Path, rows: list[tuple[Any, ...]], *, default_year: int) -> list[dict[str, Any]]:
    """The three tables of the ``Paramètres`` sheet, as AplParameter values for each year of the sheet.

    Activity caps and distance weights have a single column (they hold for every year); age weights have
    one column per year (« Poids de la tranche d'âge en 2023 »).
    """
    starts: dict[str, int] = {}
    for index, row in enumerate(rows):
        for table, title in _SECTIONS.items():
            if row and _label(row[0]).startswith(title):
                starts[table] = index
    missing = [title for table, title in _SECTIONS.items() if table not in starts]
    if missing:
        raise ImportFileError(
            path,
            _("tableau(x) introuvable(s) dans la feuille « %(sheet)s » : %(titles)s")
            % {"sheet": PARAMETERS_SHEET, "titles": ", ".join(f"« {t}… »" for t in missing)},
            EXPECTED_WORKBOOK,
        )
    age_header = rows[starts[AplParameter.Table.AGE] + 1]
    age_columns = {
        int(m.group(1)): index
        for index, value in enumerate(age_header)
        if index > 0 and (m := _AGE_YEAR.search(_label(value)))
    }
    years = sorted(age_columns) or [default_year]
    parameters: list[dict[str, Any]] = []
    for table, start in starts.items():
        for rank, row in enumerate(_table_rows(rows[start + 2 :]), start=1):
            label = " ".join(str(row[0]).split())
            lower, upper = label_bounds(label, table)
            for year in years:
                column = age_columns.get(year, 1) if table == AplParameter.Table.AGE else 1
                value = row[column] if column < len(row) else None
                number, _problem = check_number(value, label)
                parameters.append(
                    {
                        "year": year,
                        "table": table,
                        "rank": rank,
                        "label": label[:80],
                        "value": number,
                        "value_text": "" if number is not None else _value_text(value),
                        "lower_bound": lower,
                        "upper_bound": upper,
                    }
                )
    return parameters


def _table_rows(rows: Iterable[tuple[Any, ...]]) -> Iterable[tuple[Any, ...]]:
    """Rows of one titled table: they stop at the first blank row or note (Exceptions, Sources…)."""
    for row in rows:
        first = _label(row[0]) if row else ""
        if not first or first.startswith(("exceptions", "sources", "champ", "note")):
            return
        yield row


def _value_text(value: Any) -> str:
    text = _label(value)
    # "Nombre de consultations et visites effectués dans l'année…": the actual activity, uncapped.
    return "actes_reels" if text.startswith("nombre de consultations") else text[:40]


def communes_in_database() -> set[str]:
    return set(Commune.objects.values_list("code", flat=True))


@transaction.atomic
def save_apl(data: AplData, codes: Iterable[str], *, show_progress: bool = False) -> list[Counts]:
    """Write the APL of ``codes`` (communes known to the database) and the parameters of the sheet."""
    fields = ["apl_gp", "population_standardised", "apl_year"]
    if data.has_under65:
        fields.insert(1, "apl_gp_under65")
    rows = {code: {f: data.rows[code][f] for f in fields} for code in codes}
    communes = upsert(
        Commune, rows, update_fields=fields, label=_("Communes (APL)"), show_progress=show_progress
    )
    communes.rejected = len(data.rejects)
    return [communes, save_parameters(data.parameters)]


def save_former_apl(data: AplData, former: dict[str, FormerCommune]) -> Counts:
    """The published values of rows whose code has since merged into a loaded commune."""
    fields = ["apl_gp", "population_standardised", "apl_year", "apl_gp_under65"]
    rows = {
        code: {f: data.rows[code].get(f) for f in fields} | {"commune_id": former[code].commune_id}
        for code in former
    }
    return upsert(FormerCommune, rows, update_fields=fields, label=_("Anciennes communes (APL publiée)"))


def save_parameters(parameters: list[dict[str, Any]]) -> Counts:
    counts = Counts(label=_("Paramètres APL"))
    fields = ["label", "value", "value_text", "lower_bound", "upper_bound"]
    years = {p["year"] for p in parameters}
    existing = {
        (p.year, p.table, p.rank): p for p in AplParameter.objects.filter(year__in=years).order_by("pk")
    }
    to_write = []
    for values in parameters:
        current = existing.get((values["year"], values["table"], values["rank"]))
        if current is None:
            counts.created += 1
        elif all(getattr(current, f) == values[f] for f in fields):
            counts.unchanged += 1
            continue
        else:
            counts.updated += 1
        to_write.append(AplParameter(**values))
    if to_write:
        AplParameter.objects.bulk_create(
            to_write, update_conflicts=True, unique_fields=["year", "table", "rank"], update_fields=fields
        )
    return counts


def import_apl(
    path: Path | str,
    *,
    year: int | None = None,
    strict_communes: bool = False,
    skip_invalid: bool = False,
    show_progress: bool = False,
) -> ImportResult:
    data = parse_apl(path, year=year, show_progress=show_progress)
    known = communes_in_database()
    former = {
        row.code: row
        for row in FormerCommune.objects.filter(
            code__in=[c for c in data.rows if c not in known]
        ).select_related("commune")
    }
    outside = [code for code in data.rows if code not in known and code not in former]
    if strict_communes:
        data.rejects.extend(
            Reject(
                Path(path).name,
                data.locations[code],
                _("commune inconnue « %(code)s » (absente de la base)") % {"code": code},
            )
            for code in outside
        )
    ensure_no_rejects(data.rejects, skip_invalid=skip_invalid)
    matched = [code for code in data.rows if code in known]
    with transaction.atomic():
        counts = save_apl(data, matched, show_progress=show_progress)
        counts.append(save_former_apl(data, former))
    result = ImportResult(counts=counts, rejects=data.rejects)
    result.notes.append(_("Feuille lue : « %(sheet)s ».") % {"sheet": data.sheet})
    for code, row in sorted(former.items()):
        result.notes.append(
            _(
                "Commune %(former)s du classeur fusionnée depuis dans %(name)s (%(code)s), d'après le code "
                "officiel géographique : valeur publiée (APL %(apl)s) conservée à part."
            )
            % {
                "former": code,
                "name": row.commune.name,
                "code": row.commune_id,
                "apl": data.rows[code]["apl_gp"],
            }
        )
    if outside and not strict_communes:
        result.notes.append(
            _(
                "%(count)d commune(s) du classeur hors territoire chargé (ignorées ; "
                "--strict-communes pour les rejeter)."
            )
            % {"count": len(outside)}
        )
    without = len(known) - len(matched)
    if without:
        result.notes.append(
            _("%(count)d commune(s) chargée(s) absente(s) du classeur (APL inchangé).") % {"count": without}
        )
    return result
