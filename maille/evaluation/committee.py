"""The territorial committee's report (measure 6 of seed ``002_*``: a committee of the CPTS or the département
reviews the service each quarter and each year): activity, indicators and their trend over the last four
quarters (or three years), satisfaction, the map of sites and what they cover, quality and labels, open actions, costs and funding.

Everything comes from the modules that own it — the ledger's indicators, the surveys, the diagnosis (map and
coverage), the quality dashboard, the cost model — computed for one zone and one period within the reader's scope;
this module only assembles them. The same report is a page, a PDF (WeasyPrint) and a workbook.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from maille.core.identifiers import departement_of_commune
from maille.diagnosis.figures import Diagnosis, diagnose
from maille.diagnosis.report import commune_outlines, svg_map
from maille.diagnosis.zones import Zone
from maille.directory.selectors import sites_visible_to
from maille.quality.maturity import Dashboard, territory_maturity
from maille.quality.models import OPEN_ACTION_STATUSES, Action
from maille.quality.selectors import actions_visible_to

from .charts import svg_month_bars, svg_value_bars
from .costs import CostResults, compute_costs, cost_scenarios_visible_to
from .distances import supply_for
from .indicators import Figure, IndicatorReport, compute_indicators
from .models import SurveyKind
from .selectors import acts_visible_to, indicator_cells_visible_to, zone_commune_codes
from .surveys import SurveyResults, survey_results

QUARTER = "trimestre"
YEAR = "annee"
OPEN_ACTIONS_LISTED = 30
# How many periods a trend shows, the report's own last: a year of quarters, or three years.
HISTORY_LENGTH = {QUARTER: 4, YEAR: 3}
PERIOD_SLOT = 72  # px per bar of the periods chart: room for "T3 2026"
FIRST_YEAR, LAST_YEAR = 2000, 2100


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class ReportPeriod:
    kind: str  # QUARTER or YEAR
    year: int
    quarter: int = 0  # 1 to 4 for a quarter

    @property
    def start(self) -> dt.date:
        return (
            dt.date(self.year, 3 * self.quarter - 2, 1) if self.kind == QUARTER else dt.date(self.year, 1, 1)
        )

    @property
    def end(self) -> dt.date:
        if self.kind == YEAR:
            return dt.date(self.year, 12, 31)
        month = 3 * self.quarter
        following = dt.date(self.year + (month == 12), month % 12 + 1, 1)
        return following - dt.timedelta(days=1)

    @property
    def key(self) -> str:
        return f"{self.year}-T{self.quarter}" if self.kind == QUARTER else str(self.year)

    @property
    def label(self) -> str:
        if self.kind == YEAR:
            return _("année %(year)s") % {"year": self.year}
        ordinal = _("1er") if self.quarter == 1 else _("%(n)se") % {"n": self.quarter}
        return _("%(ordinal)s trimestre %(year)s") % {"ordinal": ordinal, "year": self.year}

    @property
    def short_label(self) -> str:
        """For a chart's axis: "T3 2026", "2026"."""
        return f"T{self.quarter} {self.year}" if self.kind == QUARTER else str(self.year)

    def previous(self) -> ReportPeriod:
        if self.kind == YEAR:
            return ReportPeriod(YEAR, self.year - 1)
        return ReportPeriod(
            QUARTER, self.year - (self.quarter == 1), 4 if self.quarter == 1 else self.quarter - 1
        )


def parse_period(raw: str) -> ReportPeriod:
    """ "2026-T3" (a quarter) or "2026" (a year); PeriodError with a French message otherwise."""
    text = raw.strip().upper()
    quarter = re.fullmatch(r"(\d{4})-T([1-4])", text)
    whole_year = re.fullmatch(r"\d{4}", text)
    # years a network reports on (a date of year 0, or past 9999, is not even a date)
    if quarter and FIRST_YEAR <= int(quarter.group(1)) <= LAST_YEAR:
        return ReportPeriod(QUARTER, int(quarter.group(1)), int(quarter.group(2)))
    if whole_year and FIRST_YEAR <= int(text) <= LAST_YEAR:
        return ReportPeriod(YEAR, int(text))
    raise PeriodError(_("Période illisible : un trimestre (2026-T3) ou une année (2026)."))


def last_full_quarter(today: dt.date) -> ReportPeriod:
    current = (today.month - 1) // 3 + 1
    return ReportPeriod(QUARTER, today.year, current).previous()


def recent_periods(today: dt.date) -> list[ReportPeriod]:
    """The periods a committee usually reads: the last eight full quarters and the last three years."""
    periods, quarter = [], last_full_quarter(today)
    for _i in range(8):
        periods.append(quarter)
        quarter = quarter.previous()
    periods += [ReportPeriod(YEAR, today.year - n) for n in (1, 2, 3)]
    return periods


def history_of(period: ReportPeriod) -> list[ReportPeriod]:
    """The periods a trend shows, oldest first, ending with ``period``."""
    periods = [period]
    while len(periods) < HISTORY_LENGTH[period.kind]:
        periods.insert(0, periods[0].previous())
    return periods


@dataclass
class Trend:
    history: list[Figure]  # the indicator in each period of the report's history, oldest first

    @property
    def current(self) -> Figure:
        return self.history[-1]

    @property
    def previous(self) -> Figure:
        return self.history[-2]

    @property
    def change(self) -> float | None:
        if self.current.value is None or self.previous.value is None:
            return None
        return round(float(self.current.value) - float(self.previous.value), 1)


@dataclass
class CommitteeReport:
    zone: Zone
    period: ReportPeriod
    history_periods: list[ReportPeriod]  # oldest first, ``period`` last
    generated_at: dt.datetime
    indicators: IndicatorReport
    previous: IndicatorReport
    trends: list[Trend]
    months_chart: str
    periods_chart: str  # teleconsultations in each period of the history
    patients: SurveyResults
    professionals: SurveyResults
    diagnosis: Diagnosis
    map_svg: str
    maturity: Dashboard
    open_actions: list[Action]
    open_action_count: int
    overdue_action_count: int
    costs: CostResults | None  # the territory's latest cost scenario, when there is one
    cost_year_index: int | None  # the column of the period's year in it

    @property
    def previous_period(self) -> ReportPeriod:
        return self.history_periods[-2]

    @property
    def labels_in_force(self) -> int:
        return sum(1 for site in self.maturity.sites if site.level == 4)


def build_committee_report(user: Any, zone: Zone, period: ReportPeriod) -> CommitteeReport:
    codes = zone_commune_codes(user, zone)
    acts = acts_visible_to(user).filter(commune_id__in=codes)
    cells = indicator_cells_visible_to(user)
    cells = cells.filter(commune_id__in=codes) if cells is not None else None
    sites = sites_visible_to(user).filter(commune_id__in=codes)
    site_ids = list(sites.values_list("pk", flat=True))
    query = f"zone={zone.key}"
    departements = Counter(departement_of_commune(code) for code in codes)
    supply = supply_for(user, set(departements))
    periods = history_of(period)
    reports = [
        compute_indicators(acts, site_ids, p.start, p.end, scope_query=query, supply=supply, cells=cells)
        for p in periods
    ]
    current, previous = reports[-1], reports[-2]
    trends = [Trend([report.figure(figure.code) for report in reports]) for figure in current.figures]
    activity = [
        (p.short_label, int(r.figure("teleconsultations").value or 0))
        for p, r in zip(periods, reports, strict=True)
    ]
    diagnosis = diagnose(user, zone)
    outlines = commune_outlines([row.code for row in diagnosis.rows])
    today = timezone.localdate()
    maturity = territory_maturity(sites, today=today)
    actions = actions_visible_to(user).filter(site__in=site_ids, status__in=OPEN_ACTION_STATUSES)
    open_actions = list(actions.select_related("site").order_by("due_date", "pk")[:OPEN_ACTIONS_LISTED])
    # a CPTS or several départements: the département of most of the zone's communes
    costs, index = _territory_costs(user, departements.most_common(1)[0][0] if codes else None, period)
    return CommitteeReport(
        zone=zone, period=period, history_periods=periods, generated_at=timezone.now(),
        indicators=current, previous=previous, trends=trends,
        months_chart=svg_month_bars(_("Téléconsultations par mois"), current.months),
        periods_chart=svg_value_bars(_("Téléconsultations par période"), activity, slot=PERIOD_SLOT),
        patients=survey_results(SurveyKind.PATIENT, site_ids, period.start, period.end),
        professionals=survey_results(SurveyKind.PROFESSIONAL, site_ids, period.start, period.end),
        diagnosis=diagnosis,
        map_svg=svg_map(diagnosis, outlines, _("APL avec le réseau de téléconsultation et sites du réseau")),
        maturity=maturity, open_actions=open_actions, open_action_count=actions.count(),
        overdue_action_count=actions.filter(due_date__lt=today).count(), costs=costs, cost_year_index=index,
    )  # fmt: skip


def _territory_costs(
    user: Any, departement: str | None, period: ReportPeriod
) -> tuple[CostResults | None, int | None]:
    """The latest cost scenario of the département that covers the period's year, else its latest one."""
    if departement is None:
        return None, None
    scenarios = (
        cost_scenarios_visible_to(user).filter(departement_id=departement).order_by("-updated_at", "-pk")
    )
    covering = [s for s in scenarios[:20] if period.year in s.year_list]
    scenario = covering[0] if covering else scenarios.first()
    if scenario is None:
        return None, None
    results = compute_costs(scenario)
    return results, results.years.index(period.year) if period.year in results.years else None
