"""Self-assessment pages: the list of a user's sites' assessments, one assessment criterion by criterion (the
site's answers, evidence and comments; the reviewer's verdicts), its scores and gaps, and the evidence files.

Each page reads its assessment through the selectors (outside the scope: 404); a refused action comes back as
a message, a wrong answer as its form with each field's error and what was typed (nothing saved).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from maille.accounts.permissions import require_permission
from maille.core.errors import DomainError

from . import evidence as evidence_files
from .assessments import (
    FILLABLE_STATUSES,
    answer_review,
    answer_save,
    applicable_criteria,
    assessment_close,
    assessment_return,
    assessment_scores,
    assessment_start,
    assessment_submit,
    evidence_remove,
    is_own_site,
    missing_items,
)
from .charter import site_signature
from .models import OPEN_ASSESSMENT_STATUSES, AssessmentStatus, Compliance, Evidence, Verdict
from .selectors import (
    assessments_fillable_by,
    assessments_label_requestable_by,
    assessments_reviewable_by,
    assessments_visible_to,
    evidence_visible_to,
    labels_visible_to,
    sites_assessable_by,
)
from .views import FieldErrors

GAP_LABELS = {
    "partial": gettext_lazy("partiellement atteint"),
    "not_met": gettext_lazy("non atteint"),
    "challenged": gettext_lazy("contesté par le relecteur"),
    "unanswered": gettext_lazy("sans réponse"),
}
BLANK_VALUES = {"reponse": "", "chiffre": "", "commentaire": ""}


@require_GET
@require_permission("quality.view_assessments")
def assessment_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("etat", "")
    status = status if status in AssessmentStatus.values else ""
    assessments = assessments_visible_to(request.user).select_related("site", "site__commune", "version")
    if status:
        assessments = assessments.filter(status=status)
    open_sites = set(
        assessments_visible_to(request.user)
        .filter(status__in=OPEN_ASSESSMENT_STATUSES)
        .values_list("site_id", flat=True)
    )
    startable = [
        site for site in sites_assessable_by(request.user).order_by("name") if site.pk not in open_sites
    ]
    context = {
        "assessments": list(assessments[:500]),
        "status": status,
        "statuses": AssessmentStatus.choices,
        "startable_sites": startable,
    }
    return render(request, "quality/assessment_list.html", context)


@require_permission("quality.assess")
@require_POST
def assessment_new(request: HttpRequest) -> HttpResponse:
    site = sites_assessable_by(request.user).filter(pk=_int(request.POST.get("site"))).first()
    if site is None:
        messages.error(request, _("Choisissez un des sites dont vous avez la charge."))
        return redirect("quality:assessments")
    try:
        assessment = assessment_start(request.user, site=site)
    except DomainError as error:
        messages.error(request, error.message)
        existing = (
            assessments_visible_to(request.user).filter(site=site, status__in=FILLABLE_STATUSES).first()
        )
        return (
            redirect("quality:assessment", assessment_id=existing.pk)
            if existing
            else redirect("quality:assessments")
        )
    messages.success(
        request,
        _("Auto-évaluation commencée : répondez critère par critère, vous pouvez vous arrêter et reprendre."),
    )
    return redirect("quality:assessment", assessment_id=assessment.pk)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _saved_values(answer_row: Any) -> dict[str, str]:
    if answer_row is None:
        return BLANK_VALUES
    figure = "" if answer_row.figure is None else f"{answer_row.figure.normalize():f}".replace(".", ",")
    return {"reponse": answer_row.compliance, "chiffre": figure, "commentaire": answer_row.comment}


def _context(request: HttpRequest, assessment: Any, **given: Any) -> dict[str, Any]:
    extra = {
        "form_errors": FieldErrors(),
        "editing_id": 0,
        "values": BLANK_VALUES,
        "review_errors": FieldErrors(),
        "reviewing_id": 0,
        "review_values": {"avis": "", "commentaire": ""},
        **given,
    }
    criteria = applicable_criteria(assessment)
    answers = {
        answer.criterion_id: answer
        for answer in assessment.answers.select_related("answered_by", "reviewed_by").prefetch_related(
            "evidence_files"
        )
    }
    scores = assessment_scores(assessment, criteria, list(answers.values()))
    missing = missing_items(assessment, criteria, list(answers.values()))
    can_fill = (
        assessment.status in FILLABLE_STATUSES
        and assessments_fillable_by(request.user).filter(pk=assessment.pk).exists()
    )
    may_review = assessments_reviewable_by(request.user).filter(pk=assessment.pk).exists()
    own_site = may_review and is_own_site(request.user, assessment)
    can_review = may_review and not own_site and assessment.status == AssessmentStatus.SUBMITTED
    section_scores = {section.code: section for section in scores.sections}
    charter_signature = (
        site_signature(assessment.site) if any(c.checks == "charter" for c in criteria) else None
    )
    sections: list[dict[str, Any]] = []
    for criterion in criteria:
        if not sections or sections[-1]["section"].pk != criterion.section_id:
            sections.append(
                {"section": criterion.section, "score": section_scores[criterion.section.code], "items": []}
            )
        answer_row = answers.get(criterion.pk)
        editing = extra.get("editing_id") == criterion.pk
        reviewing = extra.get("reviewing_id") == criterion.pk
        sections[-1]["items"].append(
            {
                "criterion": criterion,
                "answer": answer_row,
                # The form shows what was just typed (refused) or what is saved.
                "form": extra["values"] if editing else _saved_values(answer_row),
                "errors": extra["form_errors"] if editing else FieldErrors(),
                "review": extra["review_values"]
                if reviewing
                else {
                    "avis": answer_row.verdict if answer_row else "",
                    "commentaire": answer_row.review_comment if answer_row else "",
                },
                "review_errors": extra["review_errors"] if reviewing else FieldErrors(),
                "missing_evidence": criterion.code in missing["without_evidence"],
                "needs_file": criterion.evidence in (Evidence.DOCUMENT, Evidence.PHOTO),
                "needs_figure": criterion.evidence == Evidence.FIGURE,
                "checks_charter": criterion.checks == "charter",
            }
        )
    return {
        "assessment": assessment,
        "charter_signature": charter_signature,
        "can_request_label": assessment.status == AssessmentStatus.CLOSED
        and assessments_label_requestable_by(request.user).filter(pk=assessment.pk).exists(),
        "labels": list(labels_visible_to(request.user).filter(assessment=assessment)),
        "sections": sections,
        "scores": scores,
        "gaps": [{"gap": gap, "label": GAP_LABELS[gap.state]} for gap in scores.gaps],
        "missing": missing,
        "can_fill": can_fill,
        "can_review": can_review,
        "own_site": own_site and assessment.status == AssessmentStatus.SUBMITTED,
        "compliances": Compliance.choices,
        "verdicts": Verdict,
        "pending_reviews": sum(1 for a in answers.values() if a.verdict == Verdict.PENDING),
        "challenged": sum(1 for a in answers.values() if a.verdict == Verdict.CHALLENGED),
        "max_megabytes": evidence_files.max_megabytes(),
        "accepted_types": evidence_files.ACCEPTED_LABEL,
        **extra,
    }


@require_GET
@require_permission("quality.view_assessments")
def assessment_detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = get_object_or_404(
        assessments_visible_to(request.user).select_related("site", "site__commune", "version", "reviewer"),
        pk=assessment_id,
    )
    return render(request, "quality/assessment.html", _context(request, assessment))


def _criterion_anchor(assessment_id: int, criterion_id: Any) -> str:
    return f"{reverse('quality:assessment', args=[assessment_id])}#critere-{_int(criterion_id)}"


@require_permission("quality.assess")
@require_POST
def answer(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = get_object_or_404(
        assessments_fillable_by(request.user).select_related("site", "version"), pk=assessment_id
    )
    values = {
        "reponse": request.POST.get("reponse", ""),
        "chiffre": request.POST.get("chiffre", ""),
        "commentaire": request.POST.get("commentaire", ""),
    }
    criterion_id = request.POST.get("critere", "")
    upload = request.FILES.get("fichier")
    try:
        if upload is not None:
            evidence_files.check_size(upload.name or "", upload.size or 0)  # before reading it
        answer_save(
            request.user,
            assessment=assessment,
            criterion_id=criterion_id,
            compliance=values["reponse"],
            figure=values["chiffre"],
            comment=values["commentaire"],
            upload=(upload.name or "", upload.read()) if upload is not None else None,
        )
    except DomainError as error:
        field = str(error.details.get("field", ""))
        if not field or field == "critere":
            messages.error(request, error.message)
            return redirect(_criterion_anchor(assessment.pk, criterion_id) if field != "critere" else
                            reverse("quality:assessment", args=[assessment.pk]))  # fmt: skip
        if field == "fichier":
            error_message = (
                error.message
                + " "
                + _("Votre réponse n'a pas été enregistrée : choisissez à nouveau le fichier.")
            )
        else:
            error_message = error.message
        context = _context(
            request,
            assessment,
            form_errors=FieldErrors({field: error_message}),
            editing_id=_int(criterion_id),
            values=values,
        )
        return render(request, "quality/assessment.html", context, status=422)
    messages.success(request, _("Réponse enregistrée."))
    return redirect(_criterion_anchor(assessment.pk, criterion_id))


@require_permission("quality.assess")
@require_POST
def assessment_submit_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = get_object_or_404(assessments_fillable_by(request.user), pk=assessment_id)
    try:
        assessment_submit(request.user, assessment=assessment)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Auto-évaluation soumise : un coordinateur ou un évaluateur va la relire.")
        )
    return redirect("quality:assessment", assessment_id=assessment.pk)


@require_permission("quality.review")
@require_POST
def review(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = get_object_or_404(
        assessments_reviewable_by(request.user).select_related("site", "version"), pk=assessment_id
    )
    criterion_id = request.POST.get("critere", "")
    review_values = {"avis": request.POST.get("avis", ""), "commentaire": request.POST.get("commentaire", "")}
    try:
        answer_review(
            request.user,
            assessment=assessment,
            criterion_id=criterion_id,
            verdict=review_values["avis"],
            comment=review_values["commentaire"],
        )
    except DomainError as error:
        field = str(error.details.get("field", ""))
        if field in ("avis", "commentaire"):
            context = _context(
                request,
                assessment,
                review_errors=FieldErrors({field: error.message}),
                reviewing_id=_int(criterion_id),
                review_values=review_values,
            )
            return render(request, "quality/assessment.html", context, status=422)
        messages.error(request, error.message)
        return redirect("quality:assessment", assessment_id=assessment.pk)
    messages.success(request, _("Avis enregistré."))
    return redirect(_criterion_anchor(assessment.pk, criterion_id))


@require_permission("quality.review")
@require_POST
def assessment_decision(request: HttpRequest, assessment_id: int, decision: str) -> HttpResponse:
    assessment = get_object_or_404(assessments_reviewable_by(request.user), pk=assessment_id)
    summary = request.POST.get("conclusion", "")
    try:
        if decision == "renvoyer":
            assessment_return(request.user, assessment=assessment, summary=summary)
            messages.success(request, _("Auto-évaluation renvoyée au site avec les réponses contestées."))
        elif decision == "clore":
            assessment_close(request.user, assessment=assessment, summary=summary)
            messages.success(request, _("Auto-évaluation close : ses scores sont arrêtés."))
        else:
            raise Http404
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("quality:assessment", assessment_id=assessment.pk)


@require_GET
@require_permission("quality.view_assessments")
def evidence_download(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = get_object_or_404(evidence_visible_to(request.user), pk=evidence_id)
    try:
        # At most QUALITY_EVIDENCE_MAX_BYTES: read whole, so no file handle outlives the response.
        data = evidence_files.stored_path(evidence.stored_name).read_bytes()
    except FileNotFoundError:
        raise Http404(_("Ce fichier n'est plus disponible.")) from None
    response = HttpResponse(data, content_type=evidence.content_type)
    response["Content-Disposition"] = content_disposition_header(True, evidence.original_name)
    # Never rendered by the browser as a page of ours, never cached by a shared proxy.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@require_permission("quality.assess")
@require_POST
def evidence_delete(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = get_object_or_404(
        evidence_visible_to(request.user)
        .filter(answer__assessment__in=assessments_fillable_by(request.user).values("pk"))
        .select_related("answer", "answer__assessment", "answer__criterion"),
        pk=evidence_id,
    )
    assessment_id, criterion_id = evidence.answer.assessment_id, evidence.answer.criterion_id
    try:
        evidence_remove(request.user, evidence=evidence)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Pièce retirée."))
    return redirect(_criterion_anchor(assessment_id, criterion_id))
