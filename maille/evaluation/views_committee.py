"""The committee report's pages: choose a territory (département, CPTS…) and a quarter or a year; read the report;
download it as PDF or XLSX."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from maille.accounts.permissions import require_permission
from maille.core.pdf import PdfUnavailable, render_pdf
from maille.diagnosis.zones import zone_for
from maille.quality.models import LabelStatus
from maille.quality.views import FieldErrors
from maille.territory.selectors import APL_CLASSES

from .committee import (
    CommitteeReport,
    PeriodError,
    build_committee_report,
    last_full_quarter,
    parse_period,
    recent_periods,
)
from .downloads import xlsx_download
from .views_indicators import add_month_and_site_sheets, zone_groups


def _report(request: HttpRequest) -> tuple[dict[str, Any], CommitteeReport | None]:
    """The chooser's context, and the report when a zone and a period are given and right."""
    errors = FieldErrors()
    today = timezone.localdate()
    raw_zone = request.GET.get("zone", "")[:600]
    raw_period = request.GET.get("periode", "")[:20]
    period = last_full_quarter(today)
    if raw_period:
        try:
            period = parse_period(raw_period)
        except PeriodError as error:
            errors["periode"] = str(error)
        else:
            if period.start > today:
                errors["periode"] = _("Cette période n'a pas commencé.")
    zone = zone_for(request.user, raw_zone) if raw_zone else None
    if raw_zone and zone is None:
        errors["zone"] = _("Territoire inconnu ou hors de votre périmètre.")
    context = {
        "errors": errors,
        # a committee is a département's or a CPTS's (several départements for a regional review)
        "zone_groups": zone_groups(request.user, ("departement", "departements", "cpts")),
        "periods": recent_periods(today),
        "chosen_zone": raw_zone,
        "chosen_period": period.key,
        "query": request.GET.urlencode(),
    }
    if errors or zone is None:
        return context, None
    return context, build_committee_report(request.user, zone, period)


def _content(report: CommitteeReport) -> dict[str, Any]:
    return {
        "report": report,
        "months_chart": mark_safe(report.months_chart),
        "periods_chart": mark_safe(report.periods_chart),
        "map_svg": mark_safe(report.map_svg),
        "apl_classes": APL_CLASSES,
        "label_names": dict(LabelStatus.choices),
    }


@require_GET
@require_permission("evaluation.view_reports")
def committee(request: HttpRequest) -> HttpResponse:
    context, report = _report(request)
    if report is None:
        return _chooser(request, context)
    return render(request, "evaluation/committee.html", {**context, **_content(report)})


def _chooser(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """Nothing chosen yet (the chooser, 200), or a wrong choice (named, 400)."""
    return render(request, "evaluation/committee.html", {**context, "report": None},
                  status=400 if context["errors"] else 200)  # fmt: skip


def _file_name(report: CommitteeReport, extension: str) -> str:
    return f"rapport-comite-{report.zone.kind}-{report.zone.code.replace(',', '-')}-{report.period.key}.{extension}"


@require_GET
@require_permission("evaluation.view_reports")
def committee_pdf(request: HttpRequest) -> HttpResponse:
    context, report = _report(request)
    if report is None:
        return _chooser(request, context)
    html = render_to_string("evaluation/committee_pdf.html", _content(report), request=request)
    try:
        pdf = render_pdf(html)
    except PdfUnavailable as error:
        return render(request, "evaluation/committee.html",
                      {**context, **_content(report), "pdf_error": error.message}, status=503)  # fmt: skip
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(report, "pdf")}"'
    return response


def _value(figure: Any) -> Any:
    return None if figure.value is None else float(figure.value)


@require_GET
@require_permission("evaluation.view_reports")
def committee_xlsx(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook

    context, report = _report(request)
    if report is None:
        return _chooser(request, context)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Indicateurs")
    # the periods oldest first, as on the page; the change is the last period's against the one before
    sheet.append([_("indicateur"), *(p.label for p in report.history_periods), _("évolution"), _("unité"),
                  _("numérateur"), _("dénominateur"), _("définition")])  # fmt: skip
    for trend in report.trends:
        d = trend.current.definition
        sheet.append([str(d.label), *(_value(figure) for figure in trend.history), trend.change, str(d.unit),
                      trend.current.numerator, trend.current.denominator, str(d.definition)])  # fmt: skip
    add_month_and_site_sheets(workbook, report.indicators)
    quality = workbook.create_sheet(_("Qualité"))
    quality.append([_("site"), _("commune"), _("niveau"), _("score"), _("label"), _("label valable jusqu'au"),
                    _("actions ouvertes"), _("actions en retard")])  # fmt: skip
    for site in report.maturity.sites:
        quality.append([site.name, site.commune, site.level_label, None if site.score is None else float(site.score),
                        site.label_status, site.label_expires, site.open_actions, site.overdue_actions])  # fmt: skip
    actions = workbook.create_sheet(_("Actions ouvertes"))
    actions.append([_("site"), _("action"), _("échéance"), _("état")])
    for action in report.open_actions:
        actions.append([action.site.name, action.title, action.due_date, action.get_status_display()])
    if report.costs is not None:
        costs = workbook.create_sheet(_("Coûts et financements"))
        costs.append([report.costs.scenario.name])
        costs.append([_("ligne"), *report.costs.years])
        for label, values in ((_("téléconsultations"), report.costs.teleconsultations),
                              (_("coûts totaux"), report.costs.total_costs),
                              (_("financements totaux"), report.costs.total_funding),
                              (_("solde"), report.costs.balance),
                              (_("coût par téléconsultation"), report.costs.cost_per_teleconsultation)):  # fmt: skip
            costs.append([label, *[None if v is None else float(v) for v in values]])
    return xlsx_download(workbook, _file_name(report, "xlsx"))
