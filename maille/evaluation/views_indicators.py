"""The indicators dashboard: a period and a zone (département, several, EPCI, CPTS, or the whole scope) and a site;
every indicator with its definition, unit, numerator and denominator and a link to the acts behind it; the
monthly chart; the sites; CSV and XLSX of every figure."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from maille.accounts.permissions import require_permission
from maille.core.input_guards import row_number
from maille.diagnosis.zones import Zone, zone_for, zones_visible_to
from maille.directory.selectors import sites_visible_to
from maille.quality.views import FieldErrors
from maille.territory.selectors import departements_visible_to

from .cells import months_back
from .charts import month_label, svg_month_bars
from .distances import supply_for
from .downloads import csv_download, french_row, xlsx_download
from .indicators import IndicatorReport, compute_indicators, ledger_version
from .models import Act
from .opendata import open_data_rows
from .selectors import acts_visible_to, indicator_cells_visible_to, site_choices, zone_commune_codes

MAX_DAYS = 3 * 366


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last six full months (the demo's history, a half-year committee)."""
    end = today.replace(day=1) - dt.timedelta(days=1)
    return months_back(end, 5), end


def _dates(request: HttpRequest, errors: FieldErrors) -> tuple[dt.date, dt.date]:
    start, end = default_period(timezone.localdate())
    values = {}
    for name, default in (("du", start), ("au", end)):
        raw = request.GET.get(name, "")
        try:
            values[name] = dt.date.fromisoformat(raw) if raw else default
        except ValueError:
            errors[name] = _("Date illisible : AAAA-MM-JJ.")
            values[name] = default
    if "du" in errors or "au" in errors:  # an unreadable date is the error to show, not the order
        return start, end
    if values["du"] > values["au"]:
        errors["du"] = _("Le début de la période doit précéder sa fin.")
        return start, end
    if (values["au"] - values["du"]).days > MAX_DAYS:
        errors["du"] = _("Trois ans au plus à la fois.")
        return start, end
    return values["du"], values["au"]


def indicator_scope(request: HttpRequest) -> dict[str, Any]:
    """The period, zone and site of the query, the acts and sites they cover (within the user's scope)."""
    errors = FieldErrors()
    start, end = _dates(request, errors)
    user = request.user
    acts: QuerySet[Act] = acts_visible_to(user)
    cells = indicator_cells_visible_to(user)
    sites = sites_visible_to(user)
    zone: Zone | None = None
    zone_key = request.GET.get("zone", "")[:600]
    if zone_key:
        zone = zone_for(user, zone_key)
        if zone is None:
            errors["zone"] = _("Zone inconnue ou hors de votre territoire.")
        else:
            codes = zone_commune_codes(user, zone)
            acts = acts.filter(commune_id__in=codes)
            cells = cells.filter(commune_id__in=codes) if cells is not None else None
            sites = sites.filter(commune_id__in=codes)
    site = None
    raw_site = request.GET.get("site", "")
    if raw_site:
        number = row_number(raw_site)
        site = sites.filter(pk=number).first() if number is not None else None
        if site is None:
            errors["site"] = _("Site inconnu, hors de votre périmètre ou hors de la zone choisie.")
        else:
            acts = acts.filter(site=site)
            cells = cells.filter(site=site) if cells is not None else None
            sites = sites.filter(pk=site.pk)
    query = "&".join(
        part for part in (f"zone={zone.key}" if zone else "", f"site={site.pk}" if site else "") if part
    )
    return {"start": start, "end": end, "zone": zone, "site": site, "acts": acts, "cells": cells, "zone_sites": sites,
            "site_ids": list(sites.values_list("pk", flat=True)), "errors": errors, "scope_query": query}  # fmt: skip


ZONE_KINDS = ("departement", "departements", "epci", "cpts")


def zone_groups(user: Any, kinds: tuple[str, ...] = ZONE_KINDS) -> list[tuple[str, list[Zone]]]:
    """The zones of the filters' menu, by kind (``kinds``: which ones the page offers)."""
    zones = zones_visible_to(user)
    labels = {"departement": _("Départements"), "departements": _("Plusieurs départements"), "epci": _("EPCI"),
              "cpts": _("CPTS")}  # fmt: skip
    return [(labels[kind], zones[kind]) for kind in kinds]


# Reports kept per process for a few minutes, under the ledger's version: the page, then its CSV or XLSX, or a
# committee member coming back, do not compute a region's year again. A new act or a new appointment transition
# changes the version; rooms' availability changed since shows after EVALUATION_INDICATORS_CACHE_SECONDS.
_reports: dict[tuple[Any, ...], tuple[float, IndicatorReport]] = {}
_reports_lock = threading.Lock()
REPORTS_KEPT = 32


def forget_indicator_reports() -> None:
    with _reports_lock:
        _reports.clear()


def _report(request: HttpRequest) -> tuple[dict[str, Any], IndicatorReport]:
    scope = indicator_scope(request)
    seconds = settings.EVALUATION_INDICATORS_CACHE_SECONDS
    key: tuple[Any, ...] = ()
    now = time.monotonic()
    if seconds > 0:
        key = (request.user.pk, scope["start"], scope["end"], scope["scope_query"], ledger_version())
        with _reports_lock:
            kept = _reports.get(key)
        if kept is not None and now - kept[0] < seconds:
            return scope, kept[1]
    # the GPs per commune of the zone's départements (the kilometres avoided), looked up only when computing
    departements = set(scope["zone_sites"].values_list("commune__departement_id", flat=True).distinct()) or set(
        departements_visible_to(request.user).values_list("code", flat=True))  # fmt: skip
    report = compute_indicators(scope["acts"], scope["site_ids"], scope["start"], scope["end"],
                                scope_query=scope["scope_query"], supply=supply_for(request.user, departements),
                                cells=scope["cells"])  # fmt: skip
    if seconds > 0 and not scope["errors"]:
        with _reports_lock:
            if len(_reports) >= REPORTS_KEPT:
                _reports.pop(next(iter(_reports)))
            _reports[key] = (now, report)
    return scope, report


@require_GET
@require_permission("evaluation.view_activity")
def indicators(request: HttpRequest) -> HttpResponse:
    scope, report = _report(request)
    context = {
        **scope,
        "report": report,
        "zone_groups": zone_groups(request.user),
        "sites": site_choices(request.user),
        "chart": mark_safe(svg_month_bars(_("Téléconsultations par mois"), report.months)),
        "months": [(month_label(m), n) for m, n in report.months],
        "download_query": request.GET.urlencode(),
    }
    return render(request, "evaluation/indicators.html", context, status=400 if scope["errors"] else 200)


def _number(value: Any) -> Any:
    return "" if value is None else value


def _rows(report: IndicatorReport, scope: dict[str, Any]) -> list[list[Any]]:
    zone = scope["zone"].label if scope["zone"] else _("tout le périmètre")
    site = scope["site"].name if scope["site"] else ""
    rows: list[list[Any]] = [[_("indicateur"), _("valeur"), _("unité"), _("numérateur"), _("dénominateur"),
                              _("période"), _("zone"), _("site"), _("définition"), _("note")]]  # fmt: skip
    period = f"{report.start.isoformat()} / {report.end.isoformat()}"
    for figure in report.figures:
        d = figure.definition
        rows.append([str(d.label), _number(figure.value), str(d.unit), _number(figure.numerator),
                     _number(figure.denominator), period, zone, site, str(d.definition), figure.note])  # fmt: skip
    return rows


@require_GET
@require_permission("evaluation.view_activity")
def indicators_csv(request: HttpRequest) -> HttpResponse:
    scope, report = _report(request)
    response, writer = csv_download(f"indicateurs-{report.start.isoformat()}-{report.end.isoformat()}.csv")
    for row in _rows(report, scope):
        writer.writerow(french_row(row))
    writer.writerow([])
    writer.writerow([_("mois"), _("téléconsultations")])
    for month, n in report.months:
        writer.writerow([month.strftime("%Y-%m"), n])
    return response


def add_month_and_site_sheets(workbook: Any, report: IndicatorReport) -> None:
    """The teleconsultations per month and the acts per site of a report, as two sheets."""
    months = workbook.create_sheet(_("Par mois"))
    months.append([_("mois"), _("téléconsultations")])
    for month, n in report.months:
        months.append([month, n])
        months.cell(row=months.max_row, column=1).number_format = "mmm yyyy"
    sites = workbook.create_sheet(_("Par site"))
    sites.append([_("site"), _("actes de télésanté"), _("patients distincts"), _("montant (€)")])
    for row in report.per_site:
        sites.append([row["site__name"], row["acts"], row["patients"], float(row["amount"] or 0)])


@require_GET
@require_permission("evaluation.view_activity")
def indicators_xlsx(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook

    scope, report = _report(request)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Indicateurs")
    for row in _rows(report, scope):
        sheet.append(row)
    add_month_and_site_sheets(workbook, report)
    return xlsx_download(workbook, f"indicateurs-{report.start.isoformat()}-{report.end.isoformat()}.xlsx")


@require_GET
@require_permission("evaluation.view_activity")
def open_data_csv(request: HttpRequest) -> HttpResponse:
    """The aggregates of the period and zone anyone may publish: every count under 11 suppressed, no totals."""
    scope = indicator_scope(request)
    rows = open_data_rows(scope["acts"], scope["start"], scope["end"])
    name = f"donnees-ouvertes-teleconsultation-{scope['start'].isoformat()}-{scope['end'].isoformat()}.csv"
    response, writer = csv_download(name)
    writer.writerow([_("mois"), _("département"), _("type d'acte"), _("actes"), _("patients distincts"),
                     _("montant facturé (€)")])  # fmt: skip
    for row in rows:
        writer.writerow(
            french_row([row.month, row.departement, row.category, row.acts, row.patients, row.amount])
        )
    return response
