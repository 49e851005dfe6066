"""The quality documents: an assessment's report and a label's certificate as PDF (WeasyPrint), each with a
verification code that anyone — a funder, a patient, a town hall — checks on a public page, without an
account; the page says what the code certifies today and nothing personal, and is rate-limited per address.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from maille.accounts.permissions import require_permission
from maille.accounts.throttle import client_address
from maille.core.pdf import PdfUnavailable, render_pdf
from maille.core.ratelimits import RateLimited, rate_hit

from .assessments import applicable_criteria, assessment_scores
from .codes import normalise_code
from .models import Assessment, AssessmentStatus, Label, LabelStatus
from .selectors import assessments_visible_to, labels_visible_to

VERIFY_SCOPE = "quality_verify"


def _pdf_response(
    request: HttpRequest, template: str, context: dict[str, Any], filename: str
) -> HttpResponse:
    html = render_to_string(template, context, request=request)
    try:
        pdf = render_pdf(html)
    except PdfUnavailable as error:
        return render(request, "quality/document_unavailable.html", {"message": error.message}, status=503)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _verify_url(code: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse('quality:verify')}?code={code}"


@require_GET
@require_permission("quality.view_assessments")
def assessment_report_pdf(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """The report of an assessment; before it is closed, a provisional one (no verification code)."""
    assessment = get_object_or_404(
        assessments_visible_to(request.user).select_related("site__commune", "version", "reviewer"),
        pk=assessment_id,
    )
    criteria = applicable_criteria(assessment)
    answers = {a.criterion_id: a for a in assessment.answers.prefetch_related("evidence_files")}
    context = {
        "assessment": assessment,
        "scores": assessment_scores(assessment, criteria, list(answers.values())),
        "rows": [{"criterion": c, "answer": answers.get(c.pk)} for c in criteria],
        "verify_url": _verify_url(assessment.verification_code) if assessment.verification_code else "",
        "closed": assessment.status == AssessmentStatus.CLOSED,
        "generated_at": timezone.now(),
    }
    return _pdf_response(
        request,
        "quality/assessment_report.html",
        context,
        f"auto-evaluation-{assessment.site_id}-{assessment.pk}.pdf",
    )


@require_GET
@require_permission("quality.view_assessments")
def label_certificate_pdf(request: HttpRequest, label_id: int) -> HttpResponse:
    label = get_object_or_404(
        labels_visible_to(request.user).select_related("site__commune__departement", "assessment__version"),
        pk=label_id,
        verification_code__isnull=False,
    )
    context = {
        "label": label,
        "in_force": label.is_in_force(),
        "verify_url": _verify_url(label.verification_code or ""),
        "generated_at": timezone.now(),
    }
    return _pdf_response(
        request, "quality/label_certificate.html", context, f"certificat-label-{label.site_id}.pdf"
    )


def _label_state(label: Label) -> str:
    if label.is_in_force():
        return _("en vigueur")
    if label.status == LabelStatus.GRANTED:
        return _("échu")
    return str(label.get_status_display())


@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone checks a code printed on a certificate or a report (no account; rate-limited per address)."""
    typed = request.GET.get("code", "")
    context: dict[str, Any] = {"typed": typed[:40], "label": None, "label_state": "", "assessment": None,
                               "not_found": False, "invalid": False}  # fmt: skip
    if typed:
        try:
            limit, seconds = settings.QUALITY_VERIFY_RATE_LIMIT
            rate_hit(VERIFY_SCOPE, client_address(request), limit=limit, seconds=seconds)
        except RateLimited as error:
            response = render(
                request, "quality/verify.html", {**context, "rate_limited": error.message}, status=429
            )
            response["Retry-After"] = str(error.retry_after_seconds)
            return response
        code = normalise_code(typed)
        if code is None:
            context["invalid"] = True
        else:
            label = Label.objects.filter(verification_code=code).select_related("site__commune").first()
            assessment = (
                None
                if label
                else Assessment.objects.filter(verification_code=code)
                .select_related("site__commune", "version")
                .first()
            )
            if label is not None:
                context["label"], context["label_state"] = label, _label_state(label)
            elif assessment is not None:
                context["assessment"] = assessment
            else:
                context["not_found"] = True
    status = 404 if context["not_found"] else 400 if context["invalid"] else 200
    return render(request, "quality/verify.html", {**context, "rate_limited": ""}, status=status)
