"""CPTS perimeters from a CSV ``nom;departement;communes`` (communes: INSEE codes separated by spaces/commas).

A CPTS is identified by its name; re-importing replaces its département, its fictional flag and its
perimeter. Every commune of a perimeter must already be in the database (a hand-written list: a typo
must not silently shrink a perimeter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maille.territory.models import Commune, Cpts, Departement

from .base import (
    Counts,
    ImportFileError,
    ImportResult,
    Reject,
    check_insee,
    csv_rows,
    ensure_no_rejects,
    line_at,
    read_text,
)

EXPECTED_CPTS = gettext_lazy("un CSV « nom;departement;communes » avec en-tête")
COLUMNS = ("nom", "departement", "communes")
_SEPARATORS = re.compile(r"[\s,]+")


@dataclass
class CptsRow:
    name: str
    departement: str
    communes: list[str]


@dataclass
class ParsedCpts:
    rows: list[CptsRow] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def parse_cpts(path: Path | str) -> ParsedCpts:
    """Read and check every row against the départements and communes of the database."""
    path = Path(path)
    reader = csv_rows(path, read_text(path, EXPECTED_CPTS), EXPECTED_CPTS)
    fieldnames = [name.strip().lower() for name in reader.fieldnames or []]
    if any(column not in fieldnames for column in COLUMNS):
        raise ImportFileError(
            path,
            _("en-tête « %(found)s » au lieu de « nom;departement;communes »")
            % {"found": ";".join(fieldnames)},
            EXPECTED_CPTS,
        )
    reader.fieldnames = fieldnames
    departements = set(Departement.objects.values_list("code", flat=True))
    communes = set(Commune.objects.values_list("code", flat=True))
    parsed = ParsedCpts()
    seen: dict[str, str] = {}
    for row in reader:
        where = line_at(reader.line_num)
        values = {column: (row.get(column) or "").strip() for column in COLUMNS}
        problem = _row_problem(values, departements, seen)
        codes: list[str] = []
        for raw in _SEPARATORS.split(values["communes"]) if problem is None else []:
            if not raw:
                continue
            code, problem = check_insee(raw)
            if code is not None and code not in communes:
                problem = _("commune inconnue « %(code)s » (absente de la base)") % {"code": code}
            if problem is not None:
                break
            assert code is not None
            codes.append(code)
        if problem is None and not codes:
            problem = _("périmètre vide : aucune commune")
        if problem is not None:
            parsed.rejects.append(Reject(path.name, where, problem))
            continue
        seen[values["nom"].casefold()] = where
        parsed.rows.append(CptsRow(values["nom"], values["departement"], sorted(set(codes))))
    return parsed


def _row_problem(values: dict[str, str], departements: set[str], seen: dict[str, str]) -> str | None:
    if not values["nom"]:
        return _("nom de CPTS manquant")
    if len(values["nom"]) > Cpts._meta.get_field("name").max_length:
        return _("nom de CPTS trop long")
    if values["nom"].casefold() in seen:
        return _("CPTS « %(name)s » en double (déjà vue : %(where)s)") % {
            "name": values["nom"],
            "where": seen[values["nom"].casefold()],
        }
    if values["departement"] not in departements:
        return _("département inconnu « %(code)s »") % {"code": values["departement"]}
    return None


@transaction.atomic
def save_cpts(rows: list[CptsRow], *, fictional: bool) -> Counts:
    """Upsert CPTS by name, then replace the perimeters that changed (bulk, whatever the number of rows)."""
    counts = Counts(label=_("CPTS"))
    names = [row.name for row in rows]
    existing = {cpts.name: cpts for cpts in Cpts.objects.filter(name__in=names)}
    through = Cpts.communes.through
    perimeters: dict[int, set[str]] = {}
    for cpts_id, commune_id in through.objects.filter(cpts__name__in=names).values_list(
        "cpts_id", "commune_id"
    ):
        perimeters.setdefault(cpts_id, set()).add(commune_id)
    changed: list[CptsRow] = []
    for row in rows:
        current = existing.get(row.name)
        if current is None:
            counts.created += 1
        elif (
            current.departement_id == row.departement
            and current.is_fictional == fictional
            and perimeters.get(current.pk, set()) == set(row.communes)
        ):
            counts.unchanged += 1
            continue
        else:
            counts.updated += 1
        changed.append(row)
    if not changed:
        return counts
    Cpts.objects.bulk_create(
        [Cpts(name=row.name, departement_id=row.departement, is_fictional=fictional) for row in changed],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["departement", "is_fictional"],
    )
    ids: dict[str, Any] = dict(
        Cpts.objects.filter(name__in=[row.name for row in changed]).values_list("name", "pk")
    )
    through.objects.filter(cpts_id__in=ids.values()).delete()
    through.objects.bulk_create(
        [through(cpts_id=ids[row.name], commune_id=code) for row in changed for code in row.communes],
        batch_size=500,
    )
    return counts


def import_cpts(path: Path | str, *, fictional: bool = False, skip_invalid: bool = False) -> ImportResult:
    parsed = parse_cpts(path)
    ensure_no_rejects(parsed.rejects, skip_invalid=skip_invalid)
    counts = save_cpts(parsed.rows, fictional=fictional)
    counts.rejected = len(parsed.rejects)
    return ImportResult(counts=[counts], rejects=parsed.rejects)
