"""Importing acts done outside Maille (before it, or by partners' own tools) from a CSV file.

The format is documented in ``docs/evaluation.md``: one row per act, semicolons or commas, UTF-8 (with or without
BOM) or Windows-1252, a header row naming the columns. Every row is checked; one error anywhere and nothing is
saved: the report lists each wrong row with its line, column, value and what is wrong. A row whose
``identifiant`` was already imported with the same date, place and codes is counted as already present, never
twice (a file can be sent again); the same identifier with other values is an error.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.core.audit import audit_record
from maille.core.identifiers import InvalidIdentifier, normalize_rpps
from maille.core.input_guards import row_number
from maille.directory.models import Profession, Sex, Use
from maille.directory.selectors import sites_managed_by
from maille.territory.models import Commune
from maille.territory.selectors import communes_visible_to

from .ledger import priced_lines, pseudonym
from .models import Act, ActCategory, ActImport, ActSource, BillingLine, BillingRole, DoctorPractice
from .tariffs import TariffBook

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_REPORTED_ERRORS = 200
COLUMNS = {
    "identifiant": ("identifiant", "id", "identifiant_acte"),
    "date_acte": ("date_acte", "date", "date de l'acte"),
    "heure": ("heure", "heure_acte"),
    "codes": ("codes", "code", "code_acte", "codes_actes"),
    "patient": ("patient", "identifiant_patient", "patient_id"),
    "site": ("site", "numero_site", "site_maille"),
    "commune_acte": ("commune_acte", "lieu", "code_commune_acte"),
    "usage": ("usage", "code_usage"),
    "rpps_medecin": ("rpps_medecin", "rpps", "medecin_rpps"),
    "exercice_medecin": ("exercice_medecin", "exercice"),
    "rpps_accompagnant": ("rpps_accompagnant", "accompagnant_rpps"),
    "duree_minutes": ("duree_minutes", "duree", "durée"),
    "date_rdv": ("date_rdv", "date_prise_rdv"),
    "sexe": ("sexe",),
    "age": ("age", "âge"),
    "commune_patient": ("commune_patient", "code_commune_patient"),
    "medecin_traitant": ("medecin_traitant", "médecin_traitant"),
    "ald": ("ald",),
    "compte_rendu_mt": ("compte_rendu_mt", "cr_mt"),
}
REQUIRED = ("identifiant", "date_acte", "codes", "patient")
YES = {"oui", "o", "1", "vrai", "true", "yes", "y"}
NO = {"non", "n", "0", "faux", "false", "no"}
PRACTICES = {
    "liberal": DoctorPractice.LIBERAL, "libéral": DoctorPractice.LIBERAL,
    "centre_sante": DoctorPractice.HEALTH_CENTRE, "cds": DoctorPractice.HEALTH_CENTRE,
    "centre de santé": DoctorPractice.HEALTH_CENTRE, "salarie": DoctorPractice.SALARIED,
    "salarié": DoctorPractice.SALARIED,
}  # fmt: skip


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    message: str


class ActFileError(ValueError):
    """The file cannot be imported: every error found (the first ``MAX_REPORTED_ERRORS``) and their count."""

    def __init__(self, errors: list[RowError], total: int | None = None) -> None:
        super().__init__(f"{total or len(errors)} erreur(s)")
        self.errors = errors[:MAX_REPORTED_ERRORS]
        self.total = total if total is not None else len(errors)


@dataclass
class ParsedRow:
    line: int
    act: Act
    codes: list[str]
    professionals: list[str]


@dataclass
class ParsedFile:
    rows: list[ParsedRow] = field(default_factory=list)
    already_present: int = 0


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ActFileError([RowError(0, "", "", _("Encodage illisible : enregistrez le fichier en UTF-8."))])


def _parse_date(raw: str) -> dt.date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    return None


def _parse_time(raw: str) -> dt.time | None:
    for pattern in ("%H:%M", "%Hh%M", "%H:%M:%S"):
        try:
            return dt.datetime.strptime(raw, pattern).time()
        except ValueError:
            continue
    return None


def _boolean(raw: str) -> bool | None:
    value = raw.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    return None


class _Checker:
    """The reference data a file is checked against, read once."""

    def __init__(self, user: Any, today: dt.date) -> None:
        self.today = today
        self.book = TariffBook()
        self.sites = {site.pk: site for site in sites_managed_by(user).only("pk", "commune_id", "name")}
        self.communes = set(Commune.objects.values_list("code", flat=True))
        self.communes_in_scope = set(communes_visible_to(user).values_list("code", flat=True))
        self.uses = {use.code: use for use in Use.objects.all()}


def _header_map(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    normalised = [cell.strip().lower() for cell in header]
    found: dict[str, int] = {}
    for name, aliases in COLUMNS.items():
        for position, cell in enumerate(normalised):
            if cell in aliases:
                found.setdefault(name, position)
    errors = [
        RowError(1, name, "", _("Colonne obligatoire absente : %(name)s (en-tête lu : %(header)s).")
                 % {"name": name, "header": ", ".join(header)[:200]})
        for name in REQUIRED if name not in found
    ]  # fmt: skip
    return found, errors


def _check_row(line: int, cell: Any, checker: _Checker) -> tuple[ParsedRow | None, list[RowError]]:
    errors: list[RowError] = []

    def error(column: str, value: str, message: str) -> None:
        errors.append(RowError(line, column, value[:80], message))

    external_id = cell("identifiant")
    if not external_id:
        error("identifiant", "", _("Identifiant de l'acte manquant."))
    elif len(external_id) > 64:
        error("identifiant", external_id, _("Identifiant trop long (64 caractères au plus)."))
    raw_day = cell("date_acte")
    day = _parse_date(raw_day)
    if day is None:
        error("date_acte", raw_day, _("Date attendue au format JJ/MM/AAAA ou AAAA-MM-JJ."))
    elif day > checker.today:
        error("date_acte", raw_day, _("Un acte réalisé ne peut pas être daté dans le futur."))
    raw_time = cell("heure")
    moment = None
    if raw_time:
        clock = _parse_time(raw_time)
        if clock is None:
            error("heure", raw_time, _("Heure attendue au format HH:MM."))
        elif day is not None:
            moment = timezone.make_aware(dt.datetime.combine(day, clock))

    raw_codes = cell("codes")
    codes = [code for code in raw_codes.upper().replace(" ", "+").replace(",", "+").split("+") if code]
    known = []
    if not codes:
        error("codes", "", _("Au moins un code d'acte (ex. TCG, TCG+TLL)."))
    for code in codes:
        billing_code = checker.book.codes.get(code)
        if billing_code is None:
            error("codes", code, _("Code d'acte inconnu : %(code)s (codes connus : %(known)s).")
                  % {"code": code, "known": ", ".join(sorted(checker.book.codes))})  # fmt: skip
            continue
        if billing_code.is_forfait:
            error("codes", code, _("%(code)s est un forfait annuel de l'officine, pas le code d'un acte.")
                  % {"code": code})  # fmt: skip
            continue
        if codes.count(code) > 1:
            error("codes", code, _("Le code %(code)s figure deux fois.") % {"code": code})
            continue
        known.append(billing_code)
        if day is not None and checker.book.in_force(code, day) is None:
            first = checker.book.first_day(code)
            if first is not None and day < first:
                message = _("Acte daté du %(day)s, avant le premier tarif connu de %(code)s (du %(first)s).") % {
                    "day": day.strftime("%d/%m/%Y"), "code": code, "first": first.strftime("%d/%m/%Y")}  # fmt: skip
            else:
                message = _("Aucun tarif de %(code)s n'est en vigueur le %(day)s.") % {
                    "code": code, "day": day.strftime("%d/%m/%Y")}  # fmt: skip
            error("date_acte", raw_day, message)
    in_person = [c for c in known if c.category == ActCategory.IN_PERSON]
    remote = [c for c in known if c.role in (BillingRole.REMOTE, BillingRole.IN_PERSON)]
    assisting = [c for c in known if c.role in (BillingRole.ASSISTANT, BillingRole.REQUESTER)]
    if in_person and len(in_person) != len(known):
        error(
            "codes",
            raw_codes,
            _("Une consultation en présentiel ne se combine pas avec un code de télésanté."),
        )
    if len(remote) > 1:
        error(
            "codes",
            raw_codes,
            _("Un seul code du médecin par acte (ligne : %(codes)s).") % {"codes": raw_codes},
        )
    if len(assisting) > 1:
        error("codes", raw_codes, _("Un seul code d'accompagnement ou de requérant par acte."))
    category = (remote or known or [None])[0]
    category_value = category.category if category is not None else ActCategory.TELECONSULTATION

    site = None
    raw_site = cell("site")
    commune_code = ""
    if raw_site:
        site = checker.sites.get(row_number(raw_site) or 0)
        if site is None:
            error(
                "site",
                raw_site,
                _("Site inconnu ou hors de votre périmètre (numéro du site dans l'annuaire)."),
            )
        else:
            commune_code = site.commune_id
    raw_place = cell("commune_acte").upper()
    if raw_place and not site:
        raw_place = raw_place.zfill(5) if row_number(raw_place) is not None else raw_place
        if raw_place not in checker.communes:
            error("commune_acte", raw_place, _("Commune inconnue (code INSEE du COG chargé)."))
        elif raw_place not in checker.communes_in_scope:
            error("commune_acte", raw_place, _("Commune hors de votre périmètre."))
        else:
            commune_code = raw_place
    if not raw_site and not raw_place:
        if in_person:
            error("commune_acte", "", _("Commune du cabinet manquante pour une consultation en présentiel."))
        else:
            error("site", "", _("Numéro du site manquant pour un acte de télésanté."))
    elif not in_person and not raw_site:
        error("site", "", _("Numéro du site manquant pour un acte de télésanté."))

    use = None
    raw_use = cell("usage")
    if raw_use:
        use = checker.uses.get(raw_use)
        if use is None:
            error("usage", raw_use, _("Usage inconnu (code de l'usage dans le catalogue)."))

    doctor_rpps = ""
    raw_rpps = cell("rpps_medecin")
    if raw_rpps:
        try:
            doctor_rpps = normalize_rpps(raw_rpps)
        except InvalidIdentifier as invalid:
            error("rpps_medecin", raw_rpps, str(invalid))
    elif remote:
        error(
            "rpps_medecin",
            "",
            _("RPPS du médecin manquant (il facture %(code)s).") % {"code": remote[0].code},
        )
    assistant_rpps = ""
    raw_assistant = cell("rpps_accompagnant")
    if raw_assistant:
        try:
            assistant_rpps = normalize_rpps(raw_assistant)
        except InvalidIdentifier as invalid:
            error("rpps_accompagnant", raw_assistant, str(invalid))
    raw_practice = cell("exercice_medecin").lower()
    practice = PRACTICES.get(raw_practice, DoctorPractice.LIBERAL if not raw_practice else "")
    if not practice:
        error("exercice_medecin", raw_practice, _("Exercice attendu : liberal, centre_sante ou salarie."))

    raw_duration = cell("duree_minutes")
    duration = row_number(raw_duration) if raw_duration else None
    if raw_duration and not 1 <= (duration or 0) <= 240:
        error("duree_minutes", raw_duration, _("Durée impossible : un nombre entier de minutes, de 1 à 240."))
        duration = None
    booked_at = None
    booking_delay = None
    raw_booked = cell("date_rdv")
    if raw_booked:
        booked_day = _parse_date(raw_booked)
        if booked_day is None:
            error("date_rdv", raw_booked, _("Date attendue au format JJ/MM/AAAA ou AAAA-MM-JJ."))
        elif day is not None and booked_day > day:
            error("date_rdv", raw_booked, _("Le rendez-vous ne peut pas avoir été pris après l'acte."))
        else:
            booked_at = timezone.make_aware(dt.datetime.combine(booked_day, dt.time(12)))
            booking_delay = (day - booked_day).days if day is not None else None

    patient_ref = cell("patient")
    if not patient_ref:
        error("patient", "", _("Référence du patient manquante (identifiant du patient dans votre outil)."))
    sex = cell("sexe").upper() or Sex.OTHER
    if sex not in Sex.values:
        error("sexe", sex, _("Sexe attendu : F, M ou X."))
    raw_age = cell("age")
    age = row_number(raw_age) if raw_age else None
    if raw_age and (age is None or age > 120):
        error("age", raw_age, _("Âge attendu : un nombre entier d'années, de 0 à 120."))
        age = None
    patient_commune = cell("commune_patient").upper()
    if patient_commune:
        patient_commune = (
            patient_commune.zfill(5) if row_number(patient_commune) is not None else patient_commune
        )
        if patient_commune not in checker.communes:
            error("commune_patient", patient_commune, _("Commune inconnue (code INSEE du COG chargé)."))
    flags: dict[str, bool | None] = {}
    for column in ("medecin_traitant", "ald", "compte_rendu_mt"):
        raw = cell(column)
        flags[column] = _boolean(raw) if raw else None
        if raw and flags[column] is None:
            error(column, raw, _("Valeur attendue : oui ou non."))
    if errors or day is None:
        return None, errors
    assistant_profession = ""
    if assisting and len(assisting[0].professions) == 1:
        assistant_profession = assisting[0].professions[0]
    elif assisting and assistant_rpps == "":
        assistant_profession = Profession.OTHER
    act = Act(
        source=ActSource.IMPORT,
        external_id=external_id,
        performed_on=day,
        performed_at=moment,
        category=category_value,
        site=site,
        commune_id=commune_code,
        use=use,
        doctor_rpps=doctor_rpps,
        doctor_practice=practice,
        assistant_profession=assistant_profession,
        duration_minutes=duration,
        booked_at=booked_at,
        booking_delay_days=booking_delay,
        declared_code="+".join(codes)[:40],
        patient_pseudonym=pseudonym("import", patient_ref),
        patient_commune_id=patient_commune or None,
        patient_sex=sex,
        patient_age=age,
        has_medecin_traitant=flags["medecin_traitant"],
        is_ald=bool(flags["ald"]),
        report_sent_to_medecin_traitant=bool(flags["compte_rendu_mt"]),
    )
    professionals = [assistant_rpps if c.role in (BillingRole.ASSISTANT, BillingRole.REQUESTER) else doctor_rpps
                     for c in known]  # fmt: skip
    return ParsedRow(line, act, [c.code for c in known], professionals), []


def parse_act_file(user: Any, data: bytes, *, today: dt.date | None = None) -> ParsedFile:
    """Read and check every row; raise :class:`ActFileError` with the whole report if any is wrong."""
    if len(data) > MAX_BYTES:
        raise ActFileError([RowError(0, "", "", _("Fichier trop volumineux (20 Mo au plus)."))])
    text = _decode(data)
    if not text.strip():
        raise ActFileError([RowError(0, "", "", _("Le fichier est vide."))])
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    columns, errors = _header_map(next(reader))
    if errors:
        raise ActFileError(errors)
    checker = _Checker(user, today or timezone.localdate())
    parsed = ParsedFile()
    first_line_of: dict[str, int] = {}
    total_errors = 0
    count = 0
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            errors.append(
                RowError(line, "", "", _("Plus de %(max)s lignes : découpez le fichier.") % {"max": MAX_ROWS})
            )
            total_errors += 1
            break

        def cell(name: str, cells: list[str] = cells) -> str:
            position = columns.get(name)
            return cells[position].strip() if position is not None and position < len(cells) else ""

        row, row_errors = _check_row(line, cell, checker)
        external_id = cell("identifiant")
        if external_id and external_id in first_line_of:
            row_errors.append(RowError(line, "identifiant", external_id[:80], _(
                "Identifiant déjà présent à la ligne %(line)s du fichier : un acte ne compte qu'une fois."
            ) % {"line": first_line_of[external_id]}))  # fmt: skip
        elif external_id:
            first_line_of[external_id] = line
        total_errors += len(row_errors)
        if len(errors) < MAX_REPORTED_ERRORS:
            errors += row_errors
        if row is not None and not row_errors:
            parsed.rows.append(row)
    if count == 0 and not errors:
        raise ActFileError(
            [RowError(0, "", "", _("Le fichier ne contient aucun acte (seulement l'en-tête)."))]
        )
    imported_before = _check_already_imported(parsed)
    total_errors += len(imported_before)
    errors += imported_before
    if total_errors:
        raise ActFileError(errors, total=total_errors)
    return parsed


def _check_already_imported(parsed: ParsedFile) -> list[RowError]:
    """Rows imported before: the same values count as already present; other values are an error."""
    by_id = {row.act.external_id: row for row in parsed.rows}
    errors: list[RowError] = []
    present: set[str] = set()
    ids = list(by_id)
    existing_codes: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        existing = list(
            Act.objects.filter(external_id__in=chunk).values("pk", "external_id", "performed_on", "commune_id",
                                                            "site_id", "batch__created_at")
        )  # fmt: skip
        for act_id, code in BillingLine.objects.filter(act_id__in=[e["pk"] for e in existing]).values_list(
            "act_id", "code_id"
        ):
            existing_codes[act_id].append(code)
        for old in existing:
            row = by_id[old["external_id"]]
            same = (
                old["performed_on"] == row.act.performed_on
                and old["commune_id"] == row.act.commune_id
                and old["site_id"] == (row.act.site.pk if row.act.site else None)
                and sorted(existing_codes[old["pk"]]) == sorted(row.codes)
            )
            if same:
                present.add(old["external_id"])
            else:
                imported = old["batch__created_at"]
                errors.append(RowError(row.line, "identifiant", old["external_id"][:80], _(
                    "Cet identifiant a déjà été importé (le %(day)s) avec une autre date, un autre lieu ou "
                    "d'autres codes : corrigez le fichier ou l'identifiant."
                ) % {"day": timezone.localtime(imported).strftime("%d/%m/%Y") if imported else "?"}))  # fmt: skip
    parsed.already_present = len(present)
    parsed.rows = [row for row in parsed.rows if row.act.external_id not in present]
    return errors


@transaction.atomic(durable=True)
def act_import_create(user: Any, *, data: bytes, file_name: str, today: dt.date | None = None) -> ActImport:
    """Check the whole file, then write its new acts and their billing lines (or raise, writing nothing)."""
    parsed = parse_act_file(user, data, today=today)
    days = [row.act.performed_on for row in parsed.rows]
    batch = ActImport.objects.create(
        file_name=file_name[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        rows_created=len(parsed.rows),
        rows_already_present=parsed.already_present,
        first_day=min(days) if days else None,
        last_day=max(days) if days else None,
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    book = TariffBook()
    lines_of_row = []
    for row in parsed.rows:
        row.act.batch = batch
        lines_of_row.append(priced_lines(row.act, zip(row.codes, row.professionals, strict=True), book))
    created = Act.objects.bulk_create([row.act for row in parsed.rows], batch_size=2000)
    lines = []
    for act, act_lines in zip(created, lines_of_row, strict=True):
        for line in act_lines:
            line.act = act
            lines.append(line)
    BillingLine.objects.bulk_create(lines, batch_size=2000)
    audit_record(
        actor=user,
        action="acts.import",
        target=batch,
        details={"created": batch.rows_created, "already_present": batch.rows_already_present},
    )
    return batch
