"""Labels: a site requests the network's quality label on a reviewed assessment; a coordinator (not of the
site) instructs it and grants or refuses it; a granted label is valid ``QUALITY_LABEL_VALIDITY_DAYS``, may be
suspended (and reinstated) with a reason, expires by itself, and is renewed by the next label granted. A label
is granted only when every mandatory criterion is met in a closed (reviewed) assessment. Eligibility for the
network's subsidies follows the label (``is_eligible``), as the seeds require (recommendation 2, measure 24).

Transitions (``TRANSITIONS``), each recorded as a ``LabelEvent`` with its date, author and reason, and audited:
    requested → under_review → granted | refused   (requested → granted | refused directly too)
    granted → suspended → granted (reinstated)
    granted | suspended → expired (the housekeeping job, past ``expires_on``)
    granted → renewed (when the label renewing it is granted)
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maille.core.audit import audit_record
from maille.core.errors import ConflictError, DomainError
from maille.directory.attestations import SiteAttestation

from .assessments import assessment_scores, works_at
from .codes import new_verification_code
from .models import (
    LIVE_LABEL_STATUSES,
    Assessment,
    AssessmentStatus,
    Label,
    LabelEvent,
    LabelStatus,
)

TRANSITIONS: dict[str, frozenset[str]] = {
    LabelStatus.REQUESTED: frozenset({LabelStatus.UNDER_REVIEW, LabelStatus.GRANTED, LabelStatus.REFUSED}),
    LabelStatus.UNDER_REVIEW: frozenset({LabelStatus.GRANTED, LabelStatus.REFUSED}),
    LabelStatus.GRANTED: frozenset({LabelStatus.SUSPENDED, LabelStatus.EXPIRED, LabelStatus.RENEWED}),
    LabelStatus.SUSPENDED: frozenset({LabelStatus.GRANTED, LabelStatus.EXPIRED}),
    LabelStatus.REFUSED: frozenset(),
    LabelStatus.EXPIRED: frozenset(),
    LabelStatus.RENEWED: frozenset(),
}
VERBS = {
    LabelStatus.UNDER_REVIEW: gettext_lazy("mettre en instruction"),
    LabelStatus.GRANTED: gettext_lazy("accorder"),
    LabelStatus.REFUSED: gettext_lazy("refuser"),
    LabelStatus.SUSPENDED: gettext_lazy("suspendre"),
    LabelStatus.EXPIRED: gettext_lazy("déclarer expiré"),
    LabelStatus.RENEWED: gettext_lazy("renouveler"),
}


def today() -> datetime.date:
    return timezone.localdate()


def valid_labels(on: datetime.date | None = None) -> QuerySet[Label]:
    """Labels in force: granted and not past their date (a suspended label is not in force)."""
    return Label.objects.filter(status=LabelStatus.GRANTED, expires_on__gte=on or today())


def is_eligible(site: Any, on: datetime.date | None = None) -> bool:
    """Whether the site may receive the network's subsidies: it holds a label in force."""
    return valid_labels(on).filter(site=site).exists()


def label_attestations(site_ids: Any) -> dict[int, list[SiteAttestation]]:
    """For the directory: each site's label in force (a suspended or expired label attests nothing)."""
    found: dict[int, list[SiteAttestation]] = {}
    for site_id, granted_on, expires_on in (
        valid_labels().filter(site_id__in=list(site_ids)).values_list("site_id", "granted_on", "expires_on")
    ):
        found.setdefault(site_id, []).append(
            SiteAttestation(
                code="quality-label",
                display=str(_("Labellisé qualité")),
                valid_from=granted_on,
                valid_until=expires_on,
            )
        )
    return found


def _record(label: Label, status: str, user: Any, reason: str, *, action: str) -> None:
    LabelEvent.objects.create(
        label=label, status=status, by=user if getattr(user, "pk", None) else None, reason=reason
    )
    audit_record(actor=user, action=action, target=label, details={"status": status})


def is_own_label(user: Any, label: Label) -> bool:
    """A coordinator may not decide the label of a site they work at, nor one they requested."""
    return works_at(user, label.site_id) or label.requested_by_id == user.pk


def _decider_not_of_site(user: Any, label: Label) -> None:
    if is_own_label(user, label):
        raise DomainError(
            _("Vous ne pouvez pas instruire le label d'un site où vous travaillez ou que vous avez demandé."),
            code="own_site",
        )


def unmet_mandatory(assessment: Assessment) -> list[str]:
    return [gap.criterion.code for gap in assessment_scores(assessment).mandatory_gaps]


def label_request(user: Any, *, site: Any, assessment_id: Any) -> Label:
    """Request the label for ``site`` on one of its closed assessments (the caller checked the user may).
    Refused when a mandatory criterion is not met, or a request is already pending; while a label is in force,
    the request is its renewal."""
    try:
        assessment = Assessment.objects.select_related("version").get(pk=int(assessment_id), site=site)
    except (TypeError, ValueError, Assessment.DoesNotExist):
        raise DomainError(
            _("Choisissez une auto-évaluation close de ce site."),
            code="invalid_assessment",
            details={"field": "evaluation"},
        ) from None
    if assessment.status != AssessmentStatus.CLOSED:
        raise DomainError(
            _("Le label se demande sur une auto-évaluation relue et close ; celle-ci est %(status)s.")
            % {"status": assessment.get_status_display()},
            code="assessment_not_closed",
            details={"field": "evaluation"},
        )
    unmet = unmet_mandatory(assessment)
    if unmet:
        raise DomainError(
            _("Le label demande que chaque critère obligatoire soit atteint ; ne le sont pas : %(codes)s.")
            % {"codes": ", ".join(unmet)},
            code="mandatory_unmet",
            details={"field": "evaluation", "unmet": unmet},
        )
    with transaction.atomic():
        live = Label.objects.select_for_update().filter(site=site, status__in=LIVE_LABEL_STATUSES).first()
        if live is not None and live.status == LabelStatus.SUSPENDED:
            raise ConflictError(
                _(
                    "Le label de ce site est suspendu : il doit être rétabli (ou expirer) avant une nouvelle demande."
                ),
                code="label_suspended",
            )
        try:
            with transaction.atomic():
                label = Label.objects.create(site=site, assessment=assessment, requested_by=user, renews=live)
        except IntegrityError:
            raise ConflictError(
                _("Une demande de label est déjà en cours pour ce site."), code="label_pending"
            ) from None
        _record(label, LabelStatus.REQUESTED, user, "", action="label.request")
    return label


def label_decide(user: Any, *, label: Label, status: str, reason: str = "") -> Label:
    """Move a label to ``status`` (instruct, grant, refuse, suspend, reinstate), with the rules of each."""
    if status not in (
        LabelStatus.UNDER_REVIEW,
        LabelStatus.GRANTED,
        LabelStatus.REFUSED,
        LabelStatus.SUSPENDED,
    ):
        raise DomainError(
            _("Cette décision n'existe pas."), code="invalid_decision", details={"field": "decision"}
        )
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise DomainError(
            _("Le motif dépasse 2 000 caractères."), code="reason_too_long", details={"field": "motif"}
        )
    if status in (LabelStatus.REFUSED, LabelStatus.SUSPENDED) and not reason:
        raise DomainError(
            _("Un refus ou une suspension se motive : écrivez le motif, il sera montré au site."),
            code="reason_required",
            details={"field": "motif"},
        )
    _decider_not_of_site(user, label)
    with transaction.atomic():
        label = Label.objects.select_for_update(of=("self",)).select_related("assessment").get(pk=label.pk)
        if status not in TRANSITIONS[label.status]:
            raise ConflictError(
                _("Ce label est %(status)s : impossible de le %(verb)s.")
                % {"status": label.get_status_display(), "verb": VERBS[LabelStatus(status)]},
                code="label_transition",
            )
        reinstated = label.status == LabelStatus.SUSPENDED and status == LabelStatus.GRANTED
        if status == LabelStatus.GRANTED and not reinstated:
            _grant(label)
        if reinstated and label.expires_on is not None and label.expires_on < today():
            raise ConflictError(
                _("Ce label a dépassé sa date de validité : il ne se rétablit plus."), code="label_past"
            )
        label.status = status
        label.decided_by = user
        label.reason = reason or label.reason
        label.save()
        action = {
            LabelStatus.UNDER_REVIEW: "label.review",
            LabelStatus.GRANTED: "label.reinstate" if reinstated else "label.grant",
            LabelStatus.REFUSED: "label.refuse",
            LabelStatus.SUSPENDED: "label.suspend",
        }[LabelStatus(status)]
        _record(label, status, user, reason, action=action)
    return label


def _grant(label: Label) -> None:
    """Check the rule of every mandatory criterion met once more (on the frozen assessment), set the dates and
    the verification code, and retire the label this one renews."""
    assessment = label.assessment
    if assessment.status != AssessmentStatus.CLOSED or not assessment.mandatory_met:
        raise DomainError(
            _(
                "Le label ne s'accorde que si chaque critère obligatoire est atteint dans une auto-évaluation close."
            ),
            code="mandatory_unmet",
        )
    day = today()
    label.granted_on = day
    label.expires_on = day + datetime.timedelta(days=settings.QUALITY_LABEL_VALIDITY_DAYS)
    label.verification_code = new_verification_code()
    if label.renews_id is not None:
        previous = Label.objects.select_for_update().get(pk=label.renews_id)
        if previous.status in LIVE_LABEL_STATUSES:
            previous.status = LabelStatus.RENEWED
            previous.save(update_fields=["status"])
            _record(previous, LabelStatus.RENEWED, None, _("Renouvelé par le label accordé le %(date)s.")
                    % {"date": day.strftime("%d/%m/%Y")}, action="label.renewed")  # fmt: skip


def expire_labels(*, on: datetime.date | None = None) -> int:
    """The housekeeping job: labels granted or suspended past their date become expired."""
    day = on or today()
    count = 0
    for pk in Label.objects.filter(status__in=LIVE_LABEL_STATUSES, expires_on__lt=day).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            label = Label.objects.select_for_update().filter(pk=pk, status__in=LIVE_LABEL_STATUSES).first()
            if label is None:
                continue
            label.status = LabelStatus.EXPIRED
            label.save(update_fields=["status"])
            _record(label, LabelStatus.EXPIRED, None, _("Date de validité dépassée."), action="label.expire")
            count += 1
    return count
