"""The maturity dashboard of a territory (coordinators, evaluators): its sites by maturity level on a map and
in a table, the most frequent gaps with their trend; both as CSV."""

from __future__ import annotations

import csv
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from maille.accounts.permissions import require_permission
from maille.territory.models import Departement
from maille.territory.views import map_labels

from .maturity import LEVELS, Dashboard, territory_maturity
from .selectors import quality_sites_visible_to


def _scoped(request: HttpRequest) -> tuple[Any, str, list[Any]]:
    sites = quality_sites_visible_to(request.user).filter(is_active=True)
    departements = list(
        Departement.objects.filter(pk__in=sites.values("commune__departement_id")).order_by("code")
    )
    chosen = request.GET.get("departement", "")
    if chosen and chosen in {d.code for d in departements}:
        sites = sites.filter(commune__departement_id=chosen)
    else:
        chosen = ""
    return sites, chosen, departements


@require_GET
@require_permission("quality.view_maturity")
def maturity(request: HttpRequest) -> HttpResponse:
    sites, chosen, departements = _scoped(request)
    dashboard = territory_maturity(sites)
    plan_url = _url_pattern("quality:site_plan")
    level_labels = {level: str(label) for level, label in LEVELS}
    markers = [
        {
            "name": site.name,
            "commune": site.commune,
            "lat": site.latitude,
            "lon": site.longitude,
            "level": site.level,
            "levelLabel": level_labels[site.level],
            "score": None if site.score is None else float(site.score),
            "url": plan_url.format(site.site_id),
        }
        for site in dashboard.sites
    ]
    context = {
        "gap_rows": [
            {"gap": gap, "trend": _sparkline(gap.trend, dashboard.quarters)} for gap in dashboard.gaps
        ],
        "quarter_totals": list(zip(dashboard.quarters, dashboard.quarter_assessments, strict=True)),
        "site_rows": _site_rows(dashboard),
        "dashboard": dashboard,
        "departements": departements,
        "chosen": chosen,
        "levels": LEVELS,
        "markers": markers,
        "map_labels": map_labels(),
        "map_config": {"tilesUrl": settings.MAILLE_MAP_TILES_URL},
        "query": f"?departement={chosen}" if chosen else "",
    }
    return render(request, "quality/maturity.html", context)


def _sparkline(trend: list[float | None], quarters: list[Any]) -> str:
    """A gap's trend as a small SVG line (quarters without a closed assessment leave a hole), with the same
    figures in words for screen readers and as its tooltip."""
    width, height, step = 128, 28, 128 / max(1, len(trend) - 1)
    words = "; ".join(
        f"{date_format(quarter, 'M Y')} : {'—' if share is None else f'{round(share * 100)} %'}"
        for quarter, share in zip(quarters, trend, strict=True)
    )
    segments: list[list[str]] = [[]]
    dots = []
    for index, share in enumerate(trend):
        if share is None:
            segments.append([])
            continue
        x, y = round(index * step, 1), round(height - 3 - share * (height - 6), 1)
        segments[-1].append(f"{x},{y}")
        dots.append(format_html('<circle cx="{}" cy="{}" r="2.2" fill="#b00020"></circle>', x, y))
    lines = [
        format_html(
            '<polyline points="{}" fill="none" stroke="#b00020" stroke-width="1.5"></polyline>',
            " ".join(points),
        )
        for points in segments
        if len(points) > 1
    ]
    return format_html(
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>'
        '<line x1="0" y1="{}" x2="{}" y2="{}" stroke="#ccc"></line>{}{}</svg>',
        width, height, width, height, words, words, height - 3, width, height - 3,
        mark_safe("".join(lines)), mark_safe("".join(dots)),
    )  # fmt: skip


def _url_pattern(name: str) -> str:
    """A URL with one id, as a pattern to format: one reverse() for a thousand links."""
    return reverse(name, args=[0]).replace("/0/", "/{}/")


def _site_rows(dashboard: Dashboard) -> str:
    """The table's rows, written here rather than by a template loop: a region has a thousand sites, and the
    page must answer in under 300 ms (``make bench``). Every value is escaped by ``format_html``."""
    plan_url, assessment_url = _url_pattern("quality:site_plan"), _url_pattern("quality:assessment")
    suspended, until = _("suspendu"), _("jusqu'au %(date)s")
    level_labels = {level: str(label) for level, label in LEVELS}
    rows = []
    for site in dashboard.sites:
        if site.score is None:
            score = "—"
        else:
            score = format_html(
                '<a href="{}">{} %</a>', assessment_url.format(site.assessment_id), site.score
            )
        if site.label_status == "granted" and site.label_expires:
            label = until % {"date": date_format(site.label_expires, "j M Y")}
        elif site.label_status == "suspended":
            label = format_html('<strong class="late">{}</strong>', suspended)
        else:
            label = "—"
        overdue = (
            format_html(' <strong class="late">({})</strong>', site.overdue_actions)
            if site.overdue_actions
            else ""
        )
        rows.append(
            format_html(
                '<tr data-testid="maturity-site"><th scope="row"><a href="{}">{}</a></th><td>{} ({})</td>'
                '<td><span class="swatch maturity-{}" aria-hidden="true"></span>{} — {}</td><td class="num">{}</td>'
                '<td class="nowrap">{}</td><td>{}</td><td class="num">{}{}</td></tr>',
                plan_url.format(site.site_id),
                site.name,
                site.commune,
                site.departement,
                site.level,
                site.level,
                level_labels[site.level],
                score,
                date_format(timezone.localtime(site.closed_at), "j M Y") if site.closed_at else "—",
                label,
                site.open_actions,
                overdue,
            )  # fmt: skip
        )
    return mark_safe("".join(rows))


def _csv_response(name: str) -> tuple[HttpResponse, Any]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # so that spreadsheet software reads the accents
    return response, csv.writer(response, delimiter=";")


def _decimal(value: Any) -> str:
    return "" if value is None else f"{value}".replace(".", ",")


@require_GET
@require_permission("quality.view_maturity")
def maturity_csv(request: HttpRequest) -> HttpResponse:
    sites, chosen, _departements = _scoped(request)
    dashboard: Dashboard = territory_maturity(sites)
    response, writer = _csv_response(f"maturite-sites{'-' + chosen if chosen else ''}.csv")
    writer.writerow([
        _("site"), _("commune"), _("département"), _("niveau"), _("niveau (libellé)"), _("score (%)"),
        _("obligatoires atteints"), _("dernière auto-évaluation close"), _("label"), _("label valable jusqu'au"),
        _("actions ouvertes"), _("actions en retard"),
    ])  # fmt: skip
    for site in dashboard.sites:
        writer.writerow([
            site.name, site.commune, site.departement, site.level, site.level_label, _decimal(site.score),
            (_("oui") if site.mandatory_met else _("non")) if site.score is not None else "",
            site.closed_at.date().isoformat() if site.closed_at else "", site.label_status,
            site.label_expires.isoformat() if site.label_expires else "", site.open_actions, site.overdue_actions,
        ])  # fmt: skip
    return response


@require_GET
@require_permission("quality.view_maturity")
def maturity_gaps_csv(request: HttpRequest) -> HttpResponse:
    sites, chosen, _departements = _scoped(request)
    dashboard = territory_maturity(sites)
    response, writer = _csv_response(f"maturite-ecarts{'-' + chosen if chosen else ''}.csv")
    writer.writerow(
        [_("critère"), _("exigence"), _("obligatoire"), _("sites concernés"), _("part des sites évalués")]
        + [
            _("part au trimestre du %(date)s") % {"date": quarter.isoformat()}
            for quarter in dashboard.quarters
        ]
    )
    for gap in dashboard.gaps:
        writer.writerow(
            [gap.code, gap.title, _("oui") if gap.mandatory else _("non"), gap.sites, _decimal(gap.share)]
            + ["" if share is None else _decimal(share) for share in gap.trend]
        )
    return response
