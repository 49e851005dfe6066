"""The official geographic code (COG) in the ``@etalab/decoupage-administratif`` JSON format.

Four files: ``regions.json``, ``departements.json``, ``epci.json``, ``communes.json`` (each may be gzipped).
Only ``type == "commune-actuelle"`` entries of ``communes.json`` are communes today (delegated and
associated communes and municipal arrondissements are not). Codes no longer current are kept as
``FormerCommune`` rows pointing at the commune that absorbed them: the ``anciensCodes`` of a current commune,
and the ``chefLieu`` of a delegated or associated commune whose code is not current. EPCI membership comes from ``epci.json``
``membres``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maille.core.identifiers import InvalidIdentifier, departement_of_commune, normalize_siren
from maille.territory.models import Commune, Departement, Epci, FormerCommune, Region

from .base import (
    Counts,
    ImportFileError,
    ImportResult,
    Reject,
    check_insee,
    ensure_no_rejects,
    item_at,
    progress,
    read_json,
    upsert,
)

COG_FILES = ("regions", "departements", "epci", "communes")
EXPECTED = gettext_lazy("une liste d'objets JSON au format @etalab/decoupage-administratif")
_REGION_CODE = re.compile(r"^[0-9]{2,3}$")  # 3 digits: overseas collectivities (975, 988…)
_DEPARTEMENT_CODE = re.compile(r"^(?:[0-9]{2}|2[AB]|9[78][0-9])$")
_POSTAL_CODE = re.compile(r"^[0-9]{5}$")


@dataclass(frozen=True)
class CogFiles:
    regions: Path
    departements: Path
    epci: Path
    communes: Path


def find_cog_files(paths: Sequence[Path | str]) -> CogFiles:
    """The four files, from folders holding them and/or the files themselves (``.json`` or ``.json.gz``)."""
    found: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw)
        candidates = sorted(path.iterdir()) if path.is_dir() else [path]
        for candidate in candidates:
            stem = candidate.name.removesuffix(".gz").removesuffix(".json")
            if stem in COG_FILES:
                found[stem] = candidate
    missing = [name for name in COG_FILES if name not in found]
    if missing:
        raise ImportFileError(
            Path(paths[0]) if paths else Path("."),
            _("fichier(s) COG introuvable(s) : %(names)s")
            % {"names": ", ".join(f"{m}.json" for m in missing)},
            _("regions.json, departements.json, epci.json et communes.json (ou un dossier les contenant)"),
        )
    return CogFiles(**found)


@dataclass
class CogData:
    """Valid rows keyed by code, ready for ``upsert`` (values keyed by model attname)."""

    regions: dict[str, dict[str, Any]] = field(default_factory=dict)
    departements: dict[str, dict[str, Any]] = field(default_factory=dict)
    epcis: dict[str, dict[str, Any]] = field(default_factory=dict)
    communes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Former code → {"commune_id": absorbing commune, "name": …} (see ``_note_former``).
    former: dict[str, dict[str, Any]] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)

    def rejected_in(self, path: Path) -> int:
        return sum(1 for reject in self.rejects if reject.source == path.name)


def _load_list(path: Path) -> list[Any]:
    data = read_json(path, EXPECTED)
    if not isinstance(data, list):
        raise ImportFileError(path, _("le JSON n'est pas une liste"), EXPECTED)
    return data


def _text(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    return value.strip() if isinstance(value, str) else ""


def _population(value: Any) -> tuple[int | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, int):
        return None, _("population : nombre entier attendu, « %(value)s » trouvé") % {"value": value}
    if value < 0:
        return None, _("population négative (%(value)d)") % {"value": value}
    return value, None


class _Reader:
    """Walks one file's entries, recording rejects with the entry's position."""

    def __init__(self, path: Path, data: CogData) -> None:
        self.path = path
        self.data = data

    def reject(self, index: int, code: Any, reason: str) -> None:
        where = item_at(index)
        if code:
            where = f"{where} ({code})"
        self.data.rejects.append(Reject(self.path.name, where, reason))


def parse_cog(
    files: CogFiles, *, regions: Collection[str] | None = None, show_progress: bool = False
) -> CogData:
    """Parse and check the four files; ``regions`` restricts régions, départements, EPCI and communes."""
    data = CogData()
    _parse_regions(files.regions, data)
    if regions:
        unknown = sorted(set(regions) - set(data.regions))
        if unknown:
            raise ImportFileError(
                files.regions,
                _("région(s) demandée(s) absente(s) : %(codes)s") % {"codes": ", ".join(unknown)},
                _("des codes de région du fichier (ex. 44 pour le Grand Est)"),
            )
    all_departements = _parse_departements(files.departements, data)
    selected = (
        {code for code, region in all_departements.items() if region in regions}
        if regions
        else set(all_departements)
    )
    all_communes = _parse_communes(files.communes, data, all_departements, selected, show_progress)
    _parse_epcis(files.epci, data, all_communes, selected)
    if regions:
        data.regions = {code: row for code, row in data.regions.items() if code in regions}
        data.departements = {code: row for code, row in data.departements.items() if code in selected}
    kept_epcis = {row["epci_id"] for row in data.communes.values() if row["epci_id"]}
    data.epcis = {siren: row for siren, row in data.epcis.items() if siren in kept_epcis}
    return data


def _parse_regions(path: Path, data: CogData) -> None:
    reader = _Reader(path, data)
    for index, entry in enumerate(_load_list(path), start=1):
        if not isinstance(entry, dict):
            reader.reject(index, None, _("objet JSON attendu"))
            continue
        code, name = _text(entry, "code"), _text(entry, "nom")
        if not _REGION_CODE.match(code):
            reader.reject(index, code, _("code de région invalide « %(code)s »") % {"code": code})
        elif not name:
            reader.reject(index, code, _("nom manquant"))
        elif code in data.regions:
            reader.reject(index, code, _("code de région en double"))
        else:
            data.regions[code] = {"name": name}


def _parse_departements(path: Path, data: CogData) -> dict[str, str]:
    """Returns every valid département of the file → its région (before any region filter)."""
    reader = _Reader(path, data)
    for index, entry in enumerate(_load_list(path), start=1):
        if not isinstance(entry, dict):
            reader.reject(index, None, _("objet JSON attendu"))
            continue
        code, name, region = _text(entry, "code"), _text(entry, "nom"), _text(entry, "region")
        if not _DEPARTEMENT_CODE.match(code):
            reader.reject(index, code, _("code de département invalide « %(code)s »") % {"code": code})
        elif not name:
            reader.reject(index, code, _("nom manquant"))
        elif region not in data.regions:
            reader.reject(index, code, _("région inconnue « %(code)s »") % {"code": region})
        elif code in data.departements:
            reader.reject(index, code, _("code de département en double"))
        else:
            data.departements[code] = {"name": name, "region_id": region}
    return {code: row["region_id"] for code, row in data.departements.items()}


def _parse_communes(
    path: Path, data: CogData, departements: dict[str, str], selected: set[str], show_progress: bool
) -> set[str]:
    """Returns every current commune code of the file, valid or not (EPCI members are checked on it).

    Communes outside the ``selected`` départements are skipped, not checked: they are not imported.
    """
    reader = _Reader(path, data)
    entries = _load_list(path)
    all_codes: set[str] = set()
    for index, entry in progress(
        enumerate(entries, start=1), total=len(entries), desc=_("Communes (COG)"), enabled=show_progress
    ):
        if not isinstance(entry, dict):
            reader.reject(index, None, _("objet JSON attendu"))
            continue
        if entry.get("type", "commune-actuelle") != "commune-actuelle":
            _note_former(data, entry, absorbed_by=entry.get("chefLieu"))
            continue
        for former in entry.get("anciensCodes") or []:
            _note_former(data, {"code": former}, absorbed_by=entry.get("code"))
        raw_code = entry.get("code")
        code, problem = check_insee(raw_code)
        if code is None:
            reader.reject(index, raw_code, problem or "")
            continue
        all_codes.add(code)
        departement = _text(entry, "departement")
        if departement not in selected and departement_of_commune(code) not in selected:
            continue
        population, population_problem = _population(entry.get("population"))
        postal_codes = entry.get("codesPostaux", [])
        if not _text(entry, "nom"):
            reader.reject(index, code, _("nom manquant"))
        elif departement not in departements:
            reader.reject(index, code, _("département inconnu « %(code)s »") % {"code": departement})
        elif departement != departement_of_commune(code):
            reader.reject(
                index,
                code,
                _("le code commune ne correspond pas au département « %(code)s »") % {"code": departement},
            )
        elif population_problem:
            reader.reject(index, code, population_problem)
        elif not isinstance(postal_codes, list) or not all(
            isinstance(p, str) and _POSTAL_CODE.match(p) for p in postal_codes
        ):
            reader.reject(index, code, _("codes postaux invalides « %(value)s »") % {"value": postal_codes})
        elif code in data.communes:
            reader.reject(index, code, _("code commune en double"))
        else:
            data.communes[code] = {
                "name": _text(entry, "nom"),
                "departement_id": departement,
                "epci_id": None,
                "postal_codes": sorted(postal_codes),
                "population": population,
            }
    return all_codes


def _parse_epcis(path: Path, data: CogData, all_communes: set[str], selected: set[str]) -> None:
    """EPCI with no member in the ``selected`` départements are skipped, not checked."""
    reader = _Reader(path, data)
    member_of: dict[str, str] = {}
    for index, entry in enumerate(_load_list(path), start=1):
        if not isinstance(entry, dict):
            reader.reject(index, None, _("objet JSON attendu"))
            continue
        members = entry.get("membres")
        if (
            isinstance(members, list)
            and members
            and not any(
                isinstance(m, dict) and departement_of_commune(str(m.get("code", ""))) in selected
                for m in members
            )
        ):
            continue
        raw_siren = _text(entry, "code")
        try:
            siren = normalize_siren(raw_siren)
        except InvalidIdentifier as error:
            reader.reject(index, raw_siren, str(error))
            continue
        population, population_problem = _population(entry.get("populationMunicipale"))
        member_codes: list[str] = []
        problem = None
        if not _text(entry, "nom"):
            problem = _("nom manquant")
        elif population_problem:
            problem = population_problem
        elif siren in data.epcis:
            problem = _("SIREN d'EPCI en double")
        elif not isinstance(members, list) or not members:
            problem = _("liste « membres » vide ou absente")
        for member in members if problem is None else []:
            code, code_problem = check_insee(member.get("code") if isinstance(member, dict) else None)
            if code is None:
                problem = _("membre : %(reason)s") % {"reason": code_problem}
            elif code not in all_communes:
                problem = _("commune membre inconnue « %(code)s »") % {"code": code}
            elif code in member_of:
                problem = _("la commune %(code)s est déjà membre de l'EPCI %(siren)s") % {
                    "code": code,
                    "siren": member_of[code],
                }
            if problem:
                break
            member_codes.append(code)
        if problem:
            reader.reject(index, siren, problem)
            continue
        data.epcis[siren] = {
            "name": _text(entry, "nom"),
            "kind": _text(entry, "type")[:8],
            "population": population,
        }
        for code in member_codes:
            member_of[code] = siren
            if code in data.communes:
                data.communes[code]["epci_id"] = siren


def _note_former(data: CogData, entry: dict[str, Any], *, absorbed_by: Any) -> None:
    code, _problem = check_insee(entry.get("code"))
    target, _target_problem = check_insee(absorbed_by)
    if code is None or target is None or code == target:
        return
    current = data.former.setdefault(code, {"commune_id": target, "name": ""})
    if entry.get("nom") and not current["name"]:
        current["name"] = str(entry["nom"])[:200]


@transaction.atomic
def save_cog(data: CogData, files: CogFiles, *, show_progress: bool = False) -> list[Counts]:
    """Upsert régions, départements, EPCI then communes (in that order, for the foreign keys)."""
    steps = [
        (Region, data.regions, ["name"], _("Régions"), files.regions),
        (Departement, data.departements, ["name", "region_id"], _("Départements"), files.departements),
        (Epci, data.epcis, ["name", "kind", "population"], _("EPCI"), files.epci),
        (
            Commune,
            data.communes,
            ["name", "departement_id", "epci_id", "postal_codes", "population"],
            _("Communes"),
            files.communes,
        ),
    ]
    results = []
    for model, rows, fields, label, path in steps:
        counts = upsert(model, rows, update_fields=fields, label=label, show_progress=show_progress)
        counts.rejected = data.rejected_in(path)
        results.append(counts)
    # Former codes of the communes loaded (a code current again, or absorbed outside the selection, is not).
    known = set(Commune.objects.values_list("code", flat=True))
    former = {
        code: values
        for code, values in data.former.items()
        if values["commune_id"] in known and code not in known
    }
    results.append(
        upsert(FormerCommune, former, update_fields=["commune_id", "name"], label=_("Anciennes communes"))
    )
    return results


def import_cog(
    paths: Sequence[Path | str],
    *,
    regions: Collection[str] | None = None,
    skip_invalid: bool = False,
    show_progress: bool = False,
) -> ImportResult:
    """Parse, check, then (strict unless ``skip_invalid``) write, in one transaction."""
    files = find_cog_files(paths)
    data = parse_cog(files, regions=regions, show_progress=show_progress)
    ensure_no_rejects(data.rejects, skip_invalid=skip_invalid)
    return ImportResult(counts=save_cog(data, files, show_progress=show_progress), rejects=data.rejects)
