"""Self-assessments: a site answers the criteria of the published referential, with evidence and comments,
saves and comes back, then submits; a coordinator or evaluator who is not of that site accepts or challenges
each answer, returns it to the site or closes it. Every write is audited; the lifecycle is an explicit table.

States and who moves them (``TRANSITIONS``):
    in_progress --submit--> submitted --close--> closed
                  returned <--return--/   (the site amends, then submits again)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maille.accounts.scope import scope_for
from maille.core.audit import audit_record
from maille.core.errors import ConflictError, DomainError
from maille.core.input_guards import compact_number, french_decimal

from . import evidence as evidence_files
from .charter import published_charter, site_signature
from .codes import new_verification_code
from .models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Compliance,
    Criterion,
    Evidence,
    EvidenceFile,
    Requirement,
    Verdict,
)
from .scoring import AnswerState, CriterionRow, Scores, score
from .services import published_version

TRANSITIONS: dict[tuple[str, str], str] = {
    (AssessmentStatus.IN_PROGRESS, "submit"): AssessmentStatus.SUBMITTED,
    (AssessmentStatus.RETURNED, "submit"): AssessmentStatus.SUBMITTED,
    (AssessmentStatus.SUBMITTED, "return"): AssessmentStatus.RETURNED,
    (AssessmentStatus.SUBMITTED, "close"): AssessmentStatus.CLOSED,
}
FILLABLE_STATUSES = (AssessmentStatus.IN_PROGRESS, AssessmentStatus.RETURNED)
FIGURE_LIMIT = Decimal("9999999999.99")


def _next_status(assessment: Assessment, action: str) -> str:
    target = TRANSITIONS.get((assessment.status, action))
    if target is None:
        raise ConflictError(
            _("Cette auto-évaluation est %(status)s : impossible de la %(action)s.")
            % {"status": assessment.get_status_display(), "action": ACTION_LABELS[action]},
            code="assessment_transition",
        )
    return target


ACTION_LABELS = {
    "submit": gettext_lazy("soumettre"),
    "return": gettext_lazy("renvoyer au site"),
    "close": gettext_lazy("clore"),
}


def applicable_criteria(assessment: Assessment) -> list[Criterion]:
    criteria = assessment.version.criteria.select_related("section").order_by(
        "section__order", "order", "code"
    )
    return [criterion for criterion in criteria if criterion.applies_to(assessment.site_level)]


def criterion_rows(criteria: list[Criterion]) -> list[CriterionRow]:
    return [
        CriterionRow(
            criterion_id=c.pk,
            code=c.code,
            title=c.title,
            mandatory=c.requirement == Requirement.MANDATORY,
            section_code=c.section.code,
            section_title=c.section.title,
        )
        for c in criteria
    ]


def assessment_scores(
    assessment: Assessment, criteria: list[Criterion] | None = None, answers: list[Answer] | None = None
) -> Scores:
    """Scores and gaps; ``criteria`` and ``answers``, when the caller has already read them, are not read again."""
    criteria = applicable_criteria(assessment) if criteria is None else criteria
    if answers is None:
        states = {
            row["criterion_id"]: AnswerState(row["compliance"], row["verdict"])
            for row in assessment.answers.values("criterion_id", "compliance", "verdict")
        }
    else:
        states = {a.criterion_id: AnswerState(a.compliance, a.verdict) for a in answers}
    return score(criterion_rows(criteria), states, closed=assessment.status == AssessmentStatus.CLOSED)


def works_at(user: Any, site_id: int) -> bool:
    """Whether the user holds a grant on the site (read from the one scoping helper): the own-site rule of
    reviews and label decisions."""
    return site_id in scope_for(user).site_ids


def is_own_site(user: Any, assessment: Assessment) -> bool:
    """A reviewer may not review a site they work at, nor an assessment they filled in."""
    if works_at(user, assessment.site_id):
        return True
    if user.pk in (assessment.created_by_id, assessment.submitted_by_id):
        return True
    return assessment.answers.filter(answered_by=user).exists()


def _not_own_site(user: Any, assessment: Assessment) -> None:
    if is_own_site(user, assessment):
        raise DomainError(
            _(
                "Vous ne pouvez pas relire l'auto-évaluation d'un site où vous travaillez ou que vous avez remplie."
            ),
            code="own_site",
        )


def assessment_start(user: Any, *, site: Any) -> Assessment:
    """A new self-assessment of ``site`` against the published referential (one open at a time per site).
    The caller has checked that the user manages the site (``selectors.sites_assessable_by``)."""
    version = published_version()
    if version is None:
        raise DomainError(_("Aucune version du référentiel n'est publiée."), code="no_published_version")
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                site=site, version=version, site_level=site.level, created_by=user
            )
            audit_record(
                actor=user, action="assessment.start", target=assessment, details={"version": version.number}
            )
    except IntegrityError as error:
        raise ConflictError(
            _("Une auto-évaluation de ce site est déjà en cours : reprenez-la."), code="assessment_open"
        ) from error
    return assessment


def parse_figure(raw: str) -> Decimal | None:
    """A figure typed the French way ("12,5", "1 200") or empty; a ``DomainError`` naming the field if not."""
    if not compact_number(raw or ""):
        return None
    value = french_decimal(raw)
    if value is None or abs(value) > FIGURE_LIMIT:
        raise DomainError(
            _("Le chiffre doit être un nombre (par exemple 12 ou 12,5)."),
            code="invalid_figure",
            details={"field": "chiffre"},
        )
    return value.quantize(Decimal("0.01"))


def _clean_comment(comment: str) -> str:
    """A comment of the site or of the reviewer: trimmed, at most 2,000 characters (the field names it)."""
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise DomainError(
            _("Le commentaire dépasse 2 000 caractères."),
            code="comment_too_long",
            details={"field": "commentaire"},
        )
    return comment


def answer_save(
    user: Any,
    *,
    assessment: Assessment,
    criterion_id: Any,
    compliance: str,
    figure: str = "",
    comment: str = "",
    upload: tuple[str, bytes] | None = None,
) -> Answer:
    """Save (or change) the answer to one criterion, with an optional evidence file; nothing is saved if any
    part is wrong. An answer changed after the reviewer read it goes back to "to review"."""
    assessment.refresh_from_db(fields=["status"])
    if assessment.status not in FILLABLE_STATUSES:
        raise ConflictError(
            _("Cette auto-évaluation est %(status)s : ses réponses ne se modifient plus.")
            % {"status": assessment.get_status_display()},
            code="assessment_locked",
        )
    criterion = _criterion_of(assessment, criterion_id)
    if compliance not in Compliance.values:
        raise DomainError(
            _("Choisissez une réponse : atteint, partiellement atteint ou non atteint."),
            code="invalid_compliance",
            details={"field": "reponse"},
        )
    if (
        criterion.checks == "charter"
        and compliance != Compliance.NOT_MET
        and site_signature(assessment.site) is None
    ):
        charter = published_charter()
        raise DomainError(
            _("La charte en vigueur (version %(number)s) n'est pas signée pour ce site : signez-la d'abord "
              "(Qualité → Charte), ou répondez « non atteint ».") % {"number": charter.number if charter else "?"},
            code="charter_unsigned",
            details={"field": "reponse"},
        )  # fmt: skip
    value = parse_figure(figure)
    if criterion.evidence == Evidence.FIGURE and value is None and compliance != Compliance.NOT_MET:
        raise DomainError(
            _("Ce critère attend un chiffre : indiquez-le."),
            code="figure_required",
            details={"field": "chiffre"},
        )
    comment = _clean_comment(comment)
    checked = evidence_files.check_upload(*upload) if upload is not None else None
    stored_name = evidence_files.store(checked) if checked is not None else None
    try:
        with transaction.atomic():
            locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
            if locked.status not in FILLABLE_STATUSES:
                raise ConflictError(
                    _("Cette auto-évaluation vient d'être soumise."), code="assessment_locked"
                )
            answer, created = Answer.objects.get_or_create(
                assessment=assessment,
                criterion=criterion,
                defaults={"compliance": compliance, "figure": value, "comment": comment, "answered_by": user},
            )
            changed = created or (answer.compliance, answer.figure, answer.comment) != (
                compliance,
                value,
                comment,
            )
            if not created and (changed or checked is not None):
                answer.compliance, answer.figure, answer.comment, answer.answered_by = (
                    compliance,
                    value,
                    comment,
                    user,
                )
                answer.verdict = Verdict.PENDING
                answer.save()
            if changed:
                audit_record(
                    actor=user,
                    action="assessment.answer",
                    target=answer,
                    details={"criterion": criterion.code, "compliance": compliance},
                )
            if checked is not None:
                if answer.evidence_files.count() >= settings.QUALITY_EVIDENCE_FILES_PER_ANSWER:
                    raise DomainError(
                        _("Ce critère a déjà %(count)s pièces : retirez-en une avant d'en déposer une autre.")
                        % {"count": settings.QUALITY_EVIDENCE_FILES_PER_ANSWER},
                        code="too_many_files",
                        details={"field": "fichier"},
                    )
                evidence = EvidenceFile.objects.create(
                    answer=answer,
                    original_name=checked.name,
                    stored_name=stored_name,
                    content_type=checked.content_type,
                    size=len(checked.data),
                    sha256=checked.sha256,
                    uploaded_by=user,
                )
                audit_record(
                    actor=user,
                    action="assessment.evidence_add",
                    target=evidence,
                    details={
                        "criterion": criterion.code,
                        "size": evidence.size,
                        "type": checked.content_type,
                    },
                )
    except BaseException:
        if stored_name is not None:
            evidence_files.discard(stored_name)
        raise
    return answer


def _criterion_of(assessment: Assessment, criterion_id: Any) -> Criterion:
    try:
        criterion = Criterion.objects.select_related("section").get(pk=int(criterion_id))
    except (TypeError, ValueError, Criterion.DoesNotExist):
        criterion = None
    if criterion is None or criterion.version_id != assessment.version_id:
        raise DomainError(
            _(
                "Ce critère n'appartient pas à la version %(number)s du référentiel sur laquelle porte cette auto-évaluation."
            )
            % {"number": assessment.version.number},
            code="criterion_other_version",
            details={"field": "critere"},
        )
    if not criterion.applies_to(assessment.site_level):
        raise DomainError(
            _("Ce critère ne concerne pas les sites de ce niveau."),
            code="criterion_not_applicable",
            details={"field": "critere"},
        )
    return criterion


def evidence_remove(user: Any, *, evidence: EvidenceFile) -> None:
    stored_name = evidence.stored_name
    with transaction.atomic():
        # Read under the assessment's lock, as answer_save does: a file is never removed from a submitted one.
        assessment = Assessment.objects.select_for_update().get(pk=evidence.answer.assessment_id)
        if assessment.status not in FILLABLE_STATUSES:
            raise ConflictError(
                _("Cette auto-évaluation est %(status)s : ses pièces ne se retirent plus.")
                % {"status": assessment.get_status_display()},
                code="assessment_locked",
            )
        audit_record(
            actor=user,
            action="assessment.evidence_remove",
            target=evidence,
            details={"criterion": evidence.answer.criterion.code, "sha256": evidence.sha256},
        )
        answer = evidence.answer
        evidence.delete()
        answer.verdict = Verdict.PENDING
        answer.save(update_fields=["verdict"])
        transaction.on_commit(lambda: evidence_files.discard(stored_name))


def missing_items(
    assessment: Assessment, criteria: list[Criterion] | None = None, answers: list[Answer] | None = None
) -> dict[str, list[str]]:
    """What keeps the assessment from being submitted: criteria without an answer, and criteria answered
    (fully or partly) met whose document or photo is missing. ``answers``, when given, carry their evidence
    files prefetched."""
    criteria = applicable_criteria(assessment) if criteria is None else criteria
    if answers is None:
        answers = list(assessment.answers.prefetch_related("evidence_files"))
    by_criterion = {a.criterion_id: a for a in answers}
    with_files = {a.criterion_id for a in answers if a.evidence_files.all()}
    unanswered = [c.code for c in criteria if c.pk not in by_criterion]
    without_evidence = [
        c.code
        for c in criteria
        if c.pk in by_criterion
        and c.evidence in (Evidence.DOCUMENT, Evidence.PHOTO)
        and by_criterion[c.pk].compliance != Compliance.NOT_MET
        and c.pk not in with_files
    ]
    return {"unanswered": unanswered, "without_evidence": without_evidence}


def assessment_submit(user: Any, *, assessment: Assessment) -> Assessment:
    with transaction.atomic():
        assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
        target = _next_status(assessment, "submit")
        missing = missing_items(assessment)
        if missing["unanswered"]:
            raise DomainError(
                _("Répondez d'abord à chaque critère ; sans réponse : %(codes)s.")
                % {"codes": ", ".join(missing["unanswered"])},
                code="unanswered_criteria",
                details=missing,
            )
        if missing["without_evidence"]:
            raise DomainError(
                _("Ces critères attendent une pièce justificative : %(codes)s.")
                % {"codes": ", ".join(missing["without_evidence"])},
                code="evidence_missing",
                details=missing,
            )
        assessment.status = target
        assessment.submitted_at = timezone.now()
        assessment.submitted_by = user
        assessment.save(update_fields=["status", "submitted_at", "submitted_by"])
        audit_record(actor=user, action="assessment.submit", target=assessment)
    return assessment


def answer_review(
    user: Any, *, assessment: Assessment, criterion_id: Any, verdict: str, comment: str = ""
) -> Answer:
    assessment.refresh_from_db(fields=["status"])
    if assessment.status != AssessmentStatus.SUBMITTED:
        raise ConflictError(
            _("Cette auto-évaluation est %(status)s : elle ne se relit pas.")
            % {"status": assessment.get_status_display()},
            code="assessment_not_submitted",
        )
    _not_own_site(user, assessment)
    criterion = _criterion_of(assessment, criterion_id)
    if verdict not in (Verdict.ACCEPTED, Verdict.CHALLENGED):
        raise DomainError(
            _("Choisissez « accepter » ou « contester »."), code="invalid_verdict", details={"field": "avis"}
        )
    comment = _clean_comment(comment)
    if verdict == Verdict.CHALLENGED and not comment:
        raise DomainError(
            _("Dites au site pourquoi vous contestez cette réponse."),
            code="challenge_reason_required",
            details={"field": "commentaire"},
        )
    with transaction.atomic():
        answer = (
            Answer.objects.select_for_update()
            .filter(assessment=assessment, criterion=criterion)
            .order_by("pk")
            .first()
        )
        if answer is None:
            raise DomainError(
                _("Ce critère n'a pas de réponse à relire."), code="no_answer", details={"field": "critere"}
            )
        answer.verdict, answer.review_comment = verdict, comment
        answer.reviewed_by, answer.reviewed_at = user, timezone.now()
        answer.save(update_fields=["verdict", "review_comment", "reviewed_by", "reviewed_at"])
        audit_record(
            actor=user,
            action="assessment.review",
            target=answer,
            details={"criterion": criterion.code, "verdict": verdict},
        )
    return answer


def assessment_return(user: Any, *, assessment: Assessment, summary: str = "") -> Assessment:
    _not_own_site(user, assessment)
    with transaction.atomic():
        assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
        target = _next_status(assessment, "return")
        if not assessment.answers.filter(verdict=Verdict.CHALLENGED).exists():
            raise DomainError(
                _("Aucune réponse n'est contestée : contestez celles à revoir, ou closez l'auto-évaluation."),
                code="nothing_challenged",
            )
        assessment.status, assessment.reviewer = target, user
        assessment.review_summary = (summary or "").strip()[:4000]
        assessment.save(update_fields=["status", "reviewer", "review_summary"])
        audit_record(actor=user, action="assessment.return", target=assessment)
    return assessment


def assessment_close(user: Any, *, assessment: Assessment, summary: str = "") -> Assessment:
    """Close a reviewed assessment: every answer accepted or challenged (a challenge left standing counts as
    not met); its scores are frozen on it."""
    _not_own_site(user, assessment)
    with transaction.atomic():
        assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
        target = _next_status(assessment, "close")
        pending = list(
            assessment.answers.filter(verdict=Verdict.PENDING)
            .order_by("criterion__section__order", "criterion__order")
            .values_list("criterion__code", flat=True)
        )
        if pending:
            raise DomainError(
                _("Relisez d'abord chaque réponse ; restent à relire : %(codes)s.")
                % {"codes": ", ".join(pending)},
                code="answers_to_review",
                details={"pending": pending},
            )
        assessment.status, assessment.reviewer, assessment.closed_at = target, user, timezone.now()
        assessment.review_summary = (summary or "").strip()[:4000] or assessment.review_summary
        scores = assessment_scores(assessment)
        assessment.score = scores.percent
        assessment.section_scores = {
            s.code: float(s.percent) for s in scores.sections if s.percent is not None
        }
        assessment.mandatory_met = scores.every_mandatory_met
        assessment.verification_code = new_verification_code()
        assessment.save(
            update_fields=[
                "verification_code",
                "status",
                "reviewer",
                "closed_at",
                "review_summary",
                "score",
                "section_scores",
                "mandatory_met",
            ]
        )
        audit_record(
            actor=user,
            action="assessment.close",
            target=assessment,
            details={"score": float(scores.percent or 0), "mandatory_met": scores.every_mandatory_met},
        )
    return assessment
