"""The maturity of a territory's sites: each site's level on a documented scale, the most frequent gaps and
their trend over time. A handful of grouped queries whatever the number of sites (the dashboard of a region:
a thousand sites, twenty thousand answers, measured by ``make bench``).

The scale (``LEVELS``), from the site's last closed assessment and its label:

0. *Non évalué* — no closed assessment yet;
1. *En construction* — overall score under 60 %;
2. *En progression* — 60 % or more, but a mandatory criterion is not met;
3. *Conforme* — every mandatory criterion met (the label may be requested);
4. *Labellisé* — a label in force.

A suspended label does not count (the site is placed by its assessment, and flagged).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncQuarter
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import (
    LIVE_LABEL_STATUSES,
    OPEN_ACTION_STATUSES,
    Action,
    Answer,
    Assessment,
    AssessmentStatus,
    Compliance,
    Criterion,
    Label,
    Requirement,
    Verdict,
)

LEVELS = [
    (0, _("Non évalué")),
    (1, _("En construction")),
    (2, _("En progression")),
    (3, _("Conforme")),
    (4, _("Labellisé")),
]
LEVEL_LABELS = dict(LEVELS)
PROGRESSING_SCORE = Decimal(60)
TREND_QUARTERS = 8
TOP_GAPS = 10
# An answer is a gap when it is not fully met, or when the reviewer left it challenged.
GAP_ANSWER = Q(compliance__in=[Compliance.PARTIAL, Compliance.NOT_MET]) | Q(verdict=Verdict.CHALLENGED)


def maturity_level(*, score: Decimal | None, mandatory_met: bool, label_in_force: bool) -> int:
    if label_in_force:
        return 4
    if score is None:
        return 0
    if mandatory_met:
        return 3
    return 2 if score >= PROGRESSING_SCORE else 1


@dataclass
class SiteMaturity:
    site_id: int
    name: str
    commune: str
    departement: str
    latitude: float
    longitude: float
    level: int = 0
    score: Decimal | None = None
    mandatory_met: bool = False
    closed_at: datetime.datetime | None = None
    assessment_id: int | None = None
    label_status: str = ""
    label_expires: datetime.date | None = None
    open_actions: int = 0
    overdue_actions: int = 0

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS[self.level])


@dataclass
class FrequentGap:
    code: str
    title: str
    mandatory: bool
    sites: int  # sites whose last closed assessment has this gap
    share: float  # of the assessed sites
    trend: list[float | None] = field(
        default_factory=list
    )  # per quarter: share of the assessments closed then


@dataclass
class Dashboard:
    sites: list[SiteMaturity]
    level_counts: list[tuple[int, str, int]]
    assessed: int
    gaps: list[FrequentGap]
    quarters: list[datetime.date]
    quarter_assessments: list[int]


def territory_maturity(sites: QuerySet[Any], *, today: datetime.date | None = None) -> Dashboard:
    """The dashboard of ``sites`` (a queryset already scoped by the caller)."""
    today = today or timezone.localdate()
    site_ids = sites.values("pk")
    rows = {
        row["pk"]: SiteMaturity(
            site_id=row["pk"],
            name=row["name"],
            commune=row["commune__name"],
            departement=row["commune__departement_id"],
            latitude=row["latitude"],
            longitude=row["longitude"],
        )  # fmt: skip
        for row in sites.order_by("name", "pk").values(
            "pk", "name", "commune__name", "commune__departement_id", "latitude", "longitude"
        )
    }
    # Each site's last closed assessment (ordered so that the first row of a site is its last).
    latest: dict[int, dict[str, Any]] = {}
    for row in (
        Assessment.objects.filter(site__in=site_ids, status=AssessmentStatus.CLOSED)
        .order_by("site_id", "-closed_at", "-pk")
        .values("pk", "site_id", "closed_at", "score", "mandatory_met")
    ):
        latest.setdefault(row["site_id"], row)
    labels = {
        label.site_id: label
        for label in Label.objects.filter(site__in=site_ids, status__in=LIVE_LABEL_STATUSES).only(
            "site_id", "status", "expires_on"
        )
    }
    actions = {
        row["site_id"]: row
        for row in Action.objects.filter(site__in=site_ids)
        .values("site_id")
        .annotate(
            open=Count("pk", filter=Q(status__in=OPEN_ACTION_STATUSES)),
            overdue=Count("pk", filter=Q(status__in=OPEN_ACTION_STATUSES, due_date__lt=today)),
        )
    }
    for site_id, site in rows.items():
        assessment = latest.get(site_id)
        label = labels.get(site_id)
        if assessment is not None:
            site.score, site.mandatory_met = assessment["score"], assessment["mandatory_met"]
            site.closed_at, site.assessment_id = assessment["closed_at"], assessment["pk"]
        if label is not None:
            site.label_status, site.label_expires = label.status, label.expires_on
        in_force = label is not None and label.is_in_force(today)
        site.level = maturity_level(
            score=site.score, mandatory_met=site.mandatory_met, label_in_force=in_force
        )
        if site_id in actions:
            site.open_actions, site.overdue_actions = actions[site_id]["open"], actions[site_id]["overdue"]
    counts = Counter(site.level for site in rows.values())
    gaps, quarters, quarter_totals = _frequent_gaps([row["pk"] for row in latest.values()], site_ids, today)
    return Dashboard(
        sites=list(rows.values()),
        level_counts=[(level, str(label), counts.get(level, 0)) for level, label in LEVELS],
        assessed=len(latest),
        gaps=gaps,
        quarters=quarters,
        quarter_assessments=quarter_totals,
    )


def _quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _frequent_gaps(
    latest_ids: list[int], site_ids: Any, today: datetime.date
) -> tuple[list[FrequentGap], list[datetime.date], list[int]]:
    """The criteria most often not met in the sites' last closed assessments (by code, so that carried-over
    criteria of several versions add up), and for each the share of the assessments closed each quarter of the
    last two years that had it."""
    if not latest_ids:
        return [], [], []
    counts = list(
        Answer.objects.filter(assessment_id__in=latest_ids)
        .filter(GAP_ANSWER)
        .values("criterion__code")
        .annotate(sites=Count("assessment_id", distinct=True))
        .order_by("-sites", "criterion__code")[:TOP_GAPS]
    )
    codes = [row["criterion__code"] for row in counts]
    # The wording of each code: its latest version's.
    wording: dict[str, tuple[str, bool]] = {}
    for code, title, requirement in (
        Criterion.objects.filter(code__in=codes)
        .order_by("code", "-version__number")
        .values_list("code", "title", "requirement")
    ):
        wording.setdefault(code, (title, requirement == Requirement.MANDATORY))
    first_quarter = _quarter_start(today)
    for _step in range(TREND_QUARTERS - 1):
        first_quarter = _quarter_start(first_quarter - datetime.timedelta(days=1))
    quarters = [first_quarter]
    while len(quarters) < TREND_QUARTERS:
        quarters.append(_quarter_start(quarters[-1] + datetime.timedelta(days=95)))
    since = timezone.make_aware(datetime.datetime.combine(first_quarter, datetime.time.min))
    closed = Assessment.objects.filter(
        site__in=site_ids, status=AssessmentStatus.CLOSED, closed_at__gte=since
    )
    totals: dict[datetime.date, int] = {
        _as_date(row["quarter"]): row["n"]
        for row in closed.annotate(quarter=TruncQuarter("closed_at"))
        .values("quarter")
        .annotate(n=Count("pk"))
    }
    per_quarter: dict[str, dict[datetime.date, int]] = defaultdict(dict)
    for row in (
        Answer.objects.filter(assessment__in=closed.values("pk"), criterion__code__in=codes)
        .filter(GAP_ANSWER)
        .annotate(quarter=TruncQuarter("assessment__closed_at"))
        .values("criterion__code", "quarter")
        .annotate(n=Count("assessment_id", distinct=True))
    ):
        per_quarter[row["criterion__code"]][_as_date(row["quarter"])] = row["n"]
    assessed = len(latest_ids)
    gaps = []
    for row in counts:
        code = row["criterion__code"]
        title, mandatory = wording.get(code, ("", False))
        trend = [
            round(per_quarter[code].get(quarter, 0) / totals[quarter], 3) if totals.get(quarter) else None
            for quarter in quarters
        ]
        gaps.append(
            FrequentGap(code, title, mandatory, row["sites"], round(row["sites"] / assessed, 3), trend)
        )
    return gaps, quarters, [totals.get(quarter, 0) for quarter in quarters]


def _as_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value
