"""Survey pages: the light public page a patient or a professional answers on (no login, a link that answers
once), the results of the scope (anonymous, small groups hidden, CSV and XLSX), and the professionals' campaigns.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from maille.accounts.permissions import has_permission, require_permission
from maille.accounts.throttle import client_address
from maille.core.models import Channel
from maille.core.ratelimits import RateLimited, rate_hit
from maille.directory.selectors import sites_visible_to
from maille.quality.views import FieldErrors
from maille.scheduling.selectors import appointments_run_by
from maille.scheduling.wallclock import PARIS
from maille.territory.selectors import departements_visible_to

from .charts import svg_value_bars
from .downloads import csv_download, french_row, xlsx_download
from .models import SurveyKind
from .selectors import site_choices
from .survey_forms import CampaignForm, PatientSurveyForm, ProfessionalSurveyForm
from .surveys import (
    PATIENT_REASONS,
    PROFESSIONAL_SCALES,
    SurveyRefused,
    SurveyResults,
    at_site_refusal,
    campaign_launch,
    campaigns_visible_to,
    invitation_from_token,
    patient_invite_at_site,
    survey_answer,
    survey_message_due_at,
    survey_results,
)
from .views_indicators import indicator_scope, zone_groups

SURVEY_FORMS = {SurveyKind.PATIENT: PatientSurveyForm, SurveyKind.PROFESSIONAL: ProfessionalSurveyForm}


# --- the public page --------------------------------------------------------------------------------------
def _refused(request: HttpRequest, error: SurveyRefused) -> HttpResponse:
    status = 409 if error.code == "survey_answered" else 410 if error.code == "survey_expired" else 404
    return render(request, "evaluation/survey_refused.html", {"error": error}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The survey of one invitation: its questions, then thanks. A second answer is refused, the first kept."""
    limit, seconds = settings.EVALUATION_SURVEY_RATE_LIMIT
    try:
        rate_hit("survey", client_address(request), limit=limit, seconds=seconds)
    except RateLimited as error:
        return render(request, "evaluation/survey_refused.html", {"error": error}, status=429)
    try:
        invitation = invitation_from_token(token)
    except SurveyRefused as error:
        return _refused(request, error)
    form_class = SURVEY_FORMS[SurveyKind(invitation.kind)]
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            survey_answer(token, form.answers())
        except SurveyRefused as error:
            return _refused(request, error)
        return render(request, "evaluation/survey_thanks.html", {"invitation": invitation})
    return render(
        request,
        "evaluation/survey_answer.html",
        {"invitation": invitation, "form": form, "is_patient": invitation.kind == SurveyKind.PATIENT},
        status=422 if form.errors else 200,
    )


# --- results ------------------------------------------------------------------------------------------------
def _results(request: HttpRequest) -> tuple[dict[str, Any], SurveyResults, SurveyResults]:
    scope = indicator_scope(request)
    patients = survey_results(SurveyKind.PATIENT, scope["site_ids"], scope["start"], scope["end"])
    professionals = survey_results(SurveyKind.PROFESSIONAL, scope["site_ids"], scope["start"], scope["end"])
    return scope, patients, professionals


@require_GET
@require_permission("evaluation.view_activity")
def results(request: HttpRequest) -> HttpResponse:
    scope, patients, professionals = _results(request)
    reasons = [(label, patients.overall.shares.get(name)) for name, label in PATIENT_REASONS]
    scales = [
        (question, professionals.overall.shares.get(name)) for name, question, _c in PROFESSIONAL_SCALES
    ]
    context = {
        **scope,
        "zone_groups": zone_groups(request.user),
        "sites": site_choices(request.user),
        "patients": patients,
        "professionals": professionals,
        "reasons": reasons,
        "scales": scales,
        "score_chart": mark_safe(
            svg_value_bars(
                _("Notes données par les patients (nombre de réponses)"),
                [(str(s), n) for s, n in patients.score_histogram],
            )
        ),  # fmt: skip
        "can_launch": has_permission(request.user, "evaluation.manage_surveys"),
        "download_query": request.GET.urlencode(),
    }
    return render(request, "evaluation/survey_results.html", context, status=400 if scope["errors"] else 200)


def _percent(value: float | None) -> Any:
    return "" if value is None else value


def _result_rows(
    scope: dict[str, Any], patients: SurveyResults, professionals: SurveyResults
) -> list[list[Any]]:
    period = f"{scope['start'].isoformat()} / {scope['end'].isoformat()}"
    zone = (
        scope["site"].name
        if scope["site"]
        else scope["zone"].label
        if scope["zone"]
        else _("tout le périmètre")
    )
    header = [_("enquête"), _("groupe"), _("invitations"), _("invitations reçues"), _("réponses"),
              _("taux de réponse (%)"), _("note moyenne /10")]  # fmt: skip
    header += [f"{label} (%)" for _name, label in PATIENT_REASONS]
    header += [f"{question} — {_('réponses favorables')} (%)" for _name, question, _c in PROFESSIONAL_SCALES]
    header += [_("période"), _("zone"), _("note")]
    rows: list[list[Any]] = [header]
    for results, survey in ((patients, _("patients")), (professionals, _("professionnels assistants"))):
        for group in [results.overall, *results.groups]:
            row = [survey, group.label, group.invited, group.delivered, group.answered, _percent(group.response_rate),
                   _percent(group.score_mean)]  # fmt: skip
            row += [_percent(group.shares.get(name)) for name, _label in PATIENT_REASONS]
            row += [_percent(group.shares.get(name)) for name, _q, _c in PROFESSIONAL_SCALES]
            note = (
                (_("moins de %(n)s réponses : résultats masqués") % {"n": results.minimum})
                if group.hidden
                else ""
            )
            rows.append([*row, period, zone, note])
    return rows


@require_GET
@require_permission("evaluation.view_activity")
def results_csv(request: HttpRequest) -> HttpResponse:
    scope, patients, professionals = _results(request)
    response, writer = csv_download(f"enquetes-{scope['start'].isoformat()}-{scope['end'].isoformat()}.csv")
    for row in _result_rows(scope, patients, professionals):
        writer.writerow(french_row(row))
    if patients.score_histogram:
        writer.writerow([])
        writer.writerow([_("note des patients"), _("réponses")])
        writer.writerows(patients.score_histogram)
    return response


@require_GET
@require_permission("evaluation.view_activity")
def results_xlsx(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook

    scope, patients, professionals = _results(request)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Résultats")
    for row in _result_rows(scope, patients, professionals):
        sheet.append(row)
    if patients.score_histogram:
        scores = workbook.create_sheet(_("Notes des patients"))
        scores.append([_("note"), _("réponses")])
        for score, n in patients.score_histogram:
            scores.append([score, n])
        ease = workbook.create_sheet(_("Prise de rendez-vous"))
        ease.append([_("réponse"), _("réponses")])
        for label, n in patients.booking_ease:
            ease.append([label, n])
    return xlsx_download(workbook, f"enquetes-{scope['start'].isoformat()}-{scope['end'].isoformat()}.xlsx")


# --- the professionals' campaigns ---------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@require_permission("evaluation.manage_surveys")
def campaigns(request: HttpRequest) -> HttpResponse:
    departements = list(departements_visible_to(request.user).order_by("pk"))
    form = CampaignForm(request.POST if request.method == "POST" else None, departements=departements)
    errors = FieldErrors()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            launch = campaign_launch(user=request.user, title=data["title"], departement_code=data["departement"] or None,
                                     closes_on=data["closes_on"])  # fmt: skip
        except ValidationError as error:
            for name, field_messages in error.message_dict.items():
                errors[name] = " ".join(str(m) for m in field_messages)
        else:
            text = _("Enquête lancée : %(n)s professionnel(s) invité(s).") % {"n": launch.invited}
            if launch.unreachable:
                text += " " + _("Sans courriel ni mobile, non invité(s) : %(names)s.") % {
                    "names": ", ".join(launch.unreachable)}  # fmt: skip
            messages.success(request, text)
            return redirect(reverse("evaluation:survey_campaigns"))
    for name, field_errors in form.errors.items():
        errors.setdefault(name, " ".join(str(e) for e in field_errors))
    visible_sites = sites_visible_to(request.user).values("pk")
    in_scope = Q(invitations__site__in=visible_sites)
    rows = (
        campaigns_visible_to(request.user)
        .select_related("departement")
        .annotate(
            invited=Count("invitations", filter=in_scope),
            answered=Count("invitations", filter=in_scope & Q(invitations__answered_on__isnull=False)),
        )
        .order_by("-opens_on", "-pk")[:50]
    )
    context = {"form": form, "errors": errors, "campaigns": rows, "today": timezone.localdate()}
    return render(request, "evaluation/survey_campaigns.html", context, status=422 if errors else 200)


# --- at the site --------------------------------------------------------------------------------------------
def qr_code_svg(url: str) -> str:
    """The link as a QR code (SVG, black on white, with its quiet zone) that a phone's camera opens."""
    import segno  # only this page draws QR codes

    return str(
        segno.make(url, error="m").svg_inline(
            scale=5, omitsize=True, light="#fff", title=_("Code QR du questionnaire")
        )
    )


@require_http_methods(["GET", "POST"])
@require_permission("evaluation.hand_survey")
def survey_at_site(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The patients' survey handed over at the site after a teleconsultation, for patients the outbox cannot reach
    (no mobile, no email) or who prefer to answer now: GET says whether it can be, POST makes the link (a QR code to
    scan, a slip to print, or the room's device). The page shows no patient identity; the link is shown once."""
    appointment = get_object_or_404(
        appointments_run_by(request.user).select_related("site", "use", "doctor"), pk=appointment_id
    )
    handed, refusal = None, None
    if request.method == "POST":
        try:
            handed = patient_invite_at_site(request.user, appointment, channel=Channel.SITE)
        except SurveyRefused as error:
            refusal = error
    else:
        refusal = at_site_refusal(appointment)
    day = appointment.starts_at.astimezone(PARIS).date()
    context = {
        "appointment": appointment,
        "handed": handed,
        "qr_svg": mark_safe(qr_code_svg(handed.url)) if handed else "",
        "refusal": refusal,
        "message_due_at": survey_message_due_at(appointment) if handed is None and refusal is None else None,
        "back": f"{reverse('scheduling:site_day', args=[appointment.site_id])}?jour={day.isoformat()}",
    }
    response = render(request, "evaluation/survey_at_site.html", context, status=409 if handed is None and
                      request.method == "POST" else 200)  # fmt: skip
    response["Cache-Control"] = "no-store"  # the link opens the patient's survey: never kept by a cache
    return response
