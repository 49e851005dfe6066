"""The network's indicators, each with its written definition, unit, period and scope, computed in the database.

Every figure comes from indicator cells (``cells.py``): grouped queries over the activity ledger (``Act``) and the
appointments of the scope's sites, per month, commune and site — stored for whole past months, computed for the
rest — added up here (counts summed, patients and doctors counted once over the union of the cells' members): a
fixed number of queries whatever the number of acts, no loop over acts in Python. Each figure keeps its numerator
and denominator, and the ledger's filters that list the acts behind it.

The two regional indicators of the ARS roadmap (seed ``004_*``, footnotes 7 and 8) are computed from the ledger's
act-level rows exactly as written there, within what a network's ledger knows (see ``docs/evaluation.md``):

- 7 — appropriation of teleconsultation by doctors: liberal and health-centre doctors who billed at least one
  teleconsultation / those who billed at least one consultation (teleconsultation or in person), in the period;
- 8 — chronic-disease patients benefiting from telehealth: patients of the denominator with at least one
  telehealth act in the six months ending with month M-1 / living patients with an active ALD at the end of month
  M-1 (M: the month of the period's end; the ledger knows a patient's ALD from their acts of the twelve months
  ending with M-1).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from maille.diagnosis.models import SupplyImport
from maille.directory.models import Site
from maille.scheduling.models import AppointmentTransition
from maille.scheduling.selectors import site_room_minutes_per_week

from .cells import (
    APPROPRIATION_PRACTICES,
    LATE_CANCELLATION_HOURS,
    TELEHEALTH,
    Cell,
    CellKey,
    CellSource,
    cells_between,
    commune_code,
    month_start,
    months_back,
    months_from,
    outcomes_between,
    union,
    union_size,
    usable_months,
)
from .distances import kilometres_from_trips
from .models import Act, IndicatorCell, SurveyKind, SurveyResponse
from .surveys import survey_overall

__all__ = [
    "APPROPRIATION_PRACTICES",
    "LATE_CANCELLATION_HOURS",
    "TELEHEALTH",
    "compute_indicators",
    "month_start",
]


@dataclass(frozen=True)
class Definition:
    code: str
    label: Any
    unit: Any
    definition: Any


DEFINITIONS = {d.code: d for d in [
    Definition("teleconsultations", _("Téléconsultations"), _("téléconsultations"),
               _("Actes de téléconsultation réalisés dans la période (rendez-vous terminés et actes importés).")),
    Definition("teleconsultations_per_month", _("Téléconsultations par mois"), _("par mois"),
               _("Téléconsultations de la période divisées par le nombre de mois de la période (30,44 jours).")),
    Definition("patients", _("Patients distincts"), _("patients"),
               _("Patients différents (pseudonymes) ayant eu au moins un acte de télésanté dans la période.")),
    Definition("occupancy", _("Occupation du temps offert"), "%",
               _("Minutes de rendez-vous tenues (terminés, en cours, absents) dans les salles des sites / minutes "
                 "de salle offertes (semaine type actuelle des salles × semaines de la période).")),
    Definition("delay_median", _("Délai médian de rendez-vous"), _("jours"),
               _("Médiane du nombre de jours entre la prise du rendez-vous et l'acte, sur les actes dont la date "
                 "de prise est connue.")),
    Definition("delay_p90", _("Délai au 90e centile"), _("jours"),
               _("Délai (en jours) que 90 % des actes ne dépassent pas, même champ que la médiane.")),
    Definition("no_show_rate", _("Taux d'absence"), "%",
               _("Rendez-vous notés « patient absent » / rendez-vous dus dans la période (terminés, absents, "
                 "annulés), rendez-vous pris dans Maille.")),
    Definition("late_cancellation_rate", _("Taux d'annulation tardive"), "%",
               _("Rendez-vous annulés moins de 24 heures avant leur début / rendez-vous dus dans la "
                 "période (terminés, absents, annulés), rendez-vous pris dans Maille.")),
    Definition("without_gp_share", _("Part des patients sans médecin traitant"), "%",
               _("Actes de télésanté de patients sans médecin traitant / actes de télésanté dont on sait si le "
                 "patient a un médecin traitant.")),
    Definition("ald_share", _("Part des actes de patients en ALD"), "%",
               _("Actes de télésanté de patients en affection de longue durée / actes de télésanté.")),
    Definition("report_sent_share", _("Comptes rendus envoyés au médecin traitant"), "%",
               _("Actes de télésanté dont le compte rendu a été envoyé au médecin traitant / actes de télésanté "
                 "de patients ayant un médecin traitant.")),
    Definition("appropriation_rate", _("Taux d'appropriation de la téléconsultation par les médecins"), "%",
               _("Médecins libéraux et de centres de santé ayant facturé au moins une téléconsultation / médecins "
                 "libéraux et de centres de santé ayant facturé au moins une consultation (téléconsultation ou "
                 "présentiel), dans la période (note 7 du plan régional)."),),
    Definition("chronic_telehealth_share",
               _("Patients en ALD bénéficiant d'actes de télésanté"), "%",
               _("Patients du dénominateur ayant eu au moins un acte de télésanté dans les 6 derniers mois (jusqu'à "
                 "la fin du mois M-1) / patients ayant une ALD active à la fin du mois M-1, connus du registre par "
                 "leurs actes des 12 mois précédents (note 8 du plan régional ; M : le mois de la fin de la "
                 "période).")),
    Definition("km_avoided", _("Kilomètres évités (estimation)"), "km",
               _("Somme, sur les téléconsultations dont la commune du patient est connue, de l'aller-retour vers le "
                 "médecin généraliste le plus proche (commune comptant au moins un médecin dans l'offre de soins "
                 "importée du territoire) moins l'aller-retour vers le site ; distances routières estimées (vol "
                 "d'oiseau × 1,3) ; un site plus loin que le médecin compte en négatif. Numérateur : téléconsultations "
                 "comptées ; dénominateur : téléconsultations dont la commune du patient est connue.")),
    Definition("patient_satisfaction", _("Satisfaction des patients"), _("sur 10"),
               _("Note moyenne (0 à 10) donnée par les patients au questionnaire envoyé après leur téléconsultation, "
                 "pour les téléconsultations des mois de la période dans les sites de la zone ; masquée sous le "
                 "nombre minimal de réponses. Numérateur : réponses ; dénominateur : invitations reçues.")),
]}  # fmt: skip


@dataclass
class Figure:
    code: str
    value: float | None
    numerator: int | None = None
    denominator: int | None = None
    ledger_query: str = ""  # the ledger's filters that list the acts behind the figure ("" : not traceable)
    note: str = ""
    survey_query: str = ""  # the survey results' filters that show the answers behind the figure

    @property
    def definition(self) -> Definition:
        return DEFINITIONS[self.code]


@dataclass
class IndicatorReport:
    start: dt.date
    end: dt.date
    figures: list[Figure]
    months: list[tuple[dt.date, int]]  # teleconsultations per month
    per_site: list[dict[str, Any]]

    def figure(self, code: str) -> Figure:
        return next(f for f in self.figures if f.code == code)


def _share(numerator: int, denominator: int) -> float | None:
    return round(100 * numerator / denominator, 1) if denominator else None


def percentiles(histogram: dict[int, int], fractions: tuple[float, ...]) -> tuple[float | None, ...]:
    """Nearest-rank percentiles of a histogram (value → count) the database grouped."""
    total = sum(histogram.values())
    if not total:
        return tuple(None for _ in fractions)
    results = []
    for fraction in fractions:
        rank = max(
            1, -(-int(round(fraction * total * 1000)) // 1000)
        )  # ceil(fraction × total), no float noise
        seen = 0
        for value in sorted(histogram):
            seen += histogram[value]
            if seen >= rank:
                results.append(float(value))
                break
    return tuple(results)


def _months_between(start: dt.date, end: dt.date) -> float:
    return ((end - start).days + 1) / 30.44


def _ledger_query(start: dt.date, end: dt.date, extra: str = "") -> str:
    query = f"du={start.isoformat()}&au={end.isoformat()}"
    return f"{query}&{extra}" if extra else query


def compute_indicators(
    acts: QuerySet[Act],
    site_ids: list[int],
    start: dt.date,
    end: dt.date,
    *,
    scope_query: str = "",
    supply: SupplyImport | None = None,
    cells: QuerySet[IndicatorCell] | None = None,
    today: dt.date | None = None,
) -> IndicatorReport:
    """Every indicator of ``acts`` (already restricted to the user's scope and zone) and of ``site_ids`` (the
    zone's sites the user may see) between ``start`` and ``end`` (both included); ``supply``: the territory's GPs
    per commune, for the kilometres avoided; ``cells``: the stored indicator cells of the same scope and zone
    (whole past months are read there; None: everything is computed from ``acts``)."""  # fmt: skip
    source = CellSource(acts, cells)
    chronic_end = month_start(end) - dt.timedelta(days=1)  # end of M-1 (note 8)
    chronic_start = months_back(end, 12)
    usable = usable_months(source, months_from(min(start, chronic_start), end), today)
    read: dict[Any, list[tuple[CellKey, Cell]]] = {}  # months read or computed once for both calls
    summary = _summary(cells_between(source, start, end, usable, read=read))
    counts = summary.counts

    def trace(extra: str = "") -> str:
        return "&".join(part for part in (_ledger_query(start, end, extra), scope_query) if part)

    figures = [
        Figure("teleconsultations", counts["teleconsultations"], ledger_query=trace("type=teleconsultation")),
        Figure("teleconsultations_per_month", round(counts["teleconsultations"] / _months_between(start, end), 1),
               counts["teleconsultations"], ledger_query=trace("type=teleconsultation")),
        Figure("patients", summary.patients, ledger_query=trace()),
    ]  # fmt: skip
    outcomes = outcomes_between(site_ids, start, end, usable)
    figures.append(_occupancy(site_ids, outcomes, start, end))
    median, p90 = percentiles(summary.delays, (0.5, 0.9))
    known = sum(summary.delays.values())
    figures += [
        Figure("delay_median", median, denominator=known, ledger_query=trace()),
        Figure("delay_p90", p90, denominator=known, ledger_query=trace()),
    ]
    figures += _outcomes(outcomes)
    appropriation_note = "" if counts["in_person"] else str(_(
        "Aucune consultation en présentiel importée : le dénominateur ne compte que les téléconsultants."))  # fmt: skip
    kilometres = kilometres_from_trips(summary.trips, supply)
    figures += [
        Figure("without_gp_share", _share(counts["without_gp"], counts["gp_known"]), counts["without_gp"],
               counts["gp_known"], ledger_query=trace("mt=non")),
        Figure("ald_share", _share(counts["ald"], counts["acts"]), counts["ald"], counts["acts"],
               ledger_query=trace("ald=oui")),
        Figure("report_sent_share", _share(counts["report_sent"], counts["with_gp"]), counts["report_sent"],
               counts["with_gp"], ledger_query=trace("mt=oui")),
        Figure("appropriation_rate", _share(summary.teleconsulting_doctors, summary.doctors),
               summary.teleconsulting_doctors, summary.doctors, note=appropriation_note),
        _chronic_telehealth(cells_between(source, chronic_start, chronic_end, usable, read=read), end),
        Figure("km_avoided", kilometres["km"], kilometres["acts"], kilometres["known"],
               ledger_query=trace("type=teleconsultation"), note=str(kilometres["note"])),
        _patient_satisfaction(site_ids, start, end, trace()),
    ]  # fmt: skip
    names = dict(Site.objects.filter(pk__in=list(summary.per_site)).values_list("pk", "name"))
    per_site = sorted(
        (
            {
                "site_id": site_id,
                "site__name": names.get(site_id, ""),
                "acts": row["acts"],
                "patients": union_size(row["patients"]),
                "amount": Decimal(row["amount_cents"]).scaleb(-2),
            }  # fmt: skip
            for site_id, row in summary.per_site.items()
            if row["acts"]
        ),
        key=lambda row: (-row["acts"], row["site__name"]),
    )
    return IndicatorReport(
        start, end, figures, [(month, summary.months[month]) for month in months_from(start, end)], per_site
    )


@dataclass
class _Summary:
    counts: Counter[str]
    patients: int  # distinct
    doctors: int  # distinct, and those of them who teleconsulted
    teleconsulting_doctors: int
    delays: Counter[int]
    months: Counter[dt.date]  # teleconsultations
    per_site: dict[int, dict[str, Any]]  # telehealth acts, amount in cents, patients' arrays
    trips: list[tuple[str, int, int]]  # (patient's commune, site, teleconsultations)


def _summary(cells: list[tuple[CellKey, Cell]]) -> _Summary:
    """The union of cells: counts added, members counted once (sorted NumPy arrays, no loop over members)."""
    counts: Counter[str] = Counter()
    delays: Counter[int] = Counter()
    months: Counter[dt.date] = Counter()
    per_site: dict[int, dict[str, Any]] = {}
    patients, doctors, by_video, trips, trip_sites = [], [], [], [], []
    for (month, _commune, site_id), cell in cells:
        counts.update(cell.counts)
        patients.append(cell.patients)
        doctors.append(cell.doctors)
        by_video.append(cell.teleconsulting_doctors)
        delays.update(cell.delays)
        months[month] += cell.counts["teleconsultations"]
        if site_id is not None:
            row = per_site.setdefault(site_id, {"acts": 0, "amount_cents": 0, "patients": []})
            row["acts"] += cell.counts["acts"]
            row["amount_cents"] += cell.counts["amount_cents"]
            if cell.patients.size:
                row["patients"].append(cell.patients)
            if cell.trips.size:
                trips.append(cell.trips)
                trip_sites.append(np.full(len(cell.trips), site_id, dtype=np.int64))
    return _Summary(counts, union_size(patients), union_size(doctors), union_size(by_video), delays, months,
                    per_site, _trips_by_pair(trips, trip_sites))  # fmt: skip


def _trips_by_pair(trips: list[np.ndarray], sites: list[np.ndarray]) -> list[tuple[str, int, int]]:
    """Teleconsultations per (patient's commune, site), added up over the cells in one sort."""
    if not trips:
        return []
    pairs = np.concatenate(trips)
    site = np.concatenate(sites)
    key = site * (36**5) + pairs[:, 0]  # a commune number is below 36^5
    order = np.argsort(key, kind="stable")
    key, counts = key[order], pairs[order, 1]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    totals = np.add.reduceat(counts, starts)
    firsts = key[starts]
    origins, sites = firsts % 36**5, firsts // 36**5
    codes = {number: commune_code(number) for number in np.unique(origins).tolist()}  # a few hundred communes
    return list(zip(map(codes.__getitem__, origins.tolist()), sites.tolist(), totals.tolist(), strict=True))


def _occupancy(site_ids: list[int], outcomes: dict[str, int], start: dt.date, end: dt.date) -> Figure:
    weekly = site_room_minutes_per_week(site_ids, end)
    offered = sum(weekly.values()) * ((end - start).days + 1) / 7
    held = outcomes["held_minutes"]
    value = round(min(100.0, 100 * held / offered), 1) if offered else None
    return Figure("occupancy", value, held, round(offered))


def _outcomes(outcomes: dict[str, int]) -> list[Figure]:
    due = outcomes["completed"] + outcomes["no_show"] + outcomes["cancelled"]
    return [
        Figure("no_show_rate", _share(outcomes["no_show"], due), outcomes["no_show"], due),
        Figure(
            "late_cancellation_rate", _share(outcomes["cancelled_late"], due), outcomes["cancelled_late"], due
        ),
    ]


def _chronic_telehealth(cells: list[tuple[CellKey, Cell]], end: dt.date) -> Figure:
    """Footnote 8, at the end of month M-1 (M: the month of ``end``), from the cells of the twelve months ending
    with M-1: patients with an act in ALD, and those of them with a telehealth act in the last six."""
    last_day = month_start(end) - dt.timedelta(days=1)  # end of M-1
    recent_since = months_back(end, 6)  # the 6 months ending with M-1
    ald_patients = union([cell.ald_patients for _key, cell in cells])
    recent_patients = union([cell.patients for (month, _c, _s), cell in cells if month >= recent_since])
    denominator = int(ald_patients.size)
    numerator = int(np.intersect1d(ald_patients, recent_patients, assume_unique=True).size)
    return Figure("chronic_telehealth_share", _share(numerator, denominator), numerator, denominator,
                  note=str(_("Situation à la fin de %(month)s.") % {"month": last_day.strftime("%m/%Y")}))  # fmt: skip


def _patient_satisfaction(site_ids: list[int], start: dt.date, end: dt.date, query: str) -> Figure:
    overall = survey_overall(SurveyKind.PATIENT, site_ids, start, end)
    note = "" if not overall.hidden else str(_("Moins de %(n)s réponses : note masquée.")
                                             % {"n": settings.EVALUATION_SURVEY_MIN_ANSWERS})  # fmt: skip
    return Figure("patient_satisfaction", overall.score_mean, overall.answered, overall.delivered, note=note,
                  survey_query=query)  # fmt: skip


def ledger_version() -> tuple[int, ...]:
    """What the indicators depend on that changes most, read in one statement: the last act written, the last
    appointment transition logged, the number of survey answers and the last supply import (index lookups and a
    small table's count). A report kept under another version is stale."""
    tables = [Act._meta.db_table, AppointmentTransition._meta.db_table, SupplyImport._meta.db_table]
    answers = SurveyResponse._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT "
            + ", ".join(f"(SELECT MAX(id) FROM {table})" for table in tables)
            + f", (SELECT COUNT(*) FROM {answers})"
        )
        row = cursor.fetchone()
    return tuple(int(value or 0) for value in row)
