"""Writes to the referential: draft a new version from the published one, change its criteria, submit it for
review, publish it (the previous one is superseded, both frozen). Each is audited; a frozen version refuses
every change, and there is one draft (or version in review) at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.core.audit import audit_record
from maille.core.errors import ConflictError, DomainError
from maille.directory.models import SiteLevel

from .models import Change, Criterion, Evidence, ReferentialVersion, Requirement, Section, VersionStatus


def published_version() -> ReferentialVersion | None:
    return ReferentialVersion.objects.filter(status=VersionStatus.PUBLISHED).first()


def _editable(version: ReferentialVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise ConflictError(
            _("La version %(number)s est %(status)s : elle ne se modifie plus.")
            % {"number": version.number, "status": version.get_status_display()},
            code="version_frozen",
        )


def referential_draft(user: Any, *, title: str = "") -> ReferentialVersion:
    """A new draft: a copy of the published version, each criterion carrying over its original."""
    base = published_version()
    if base is None:
        raise DomainError(_("Aucune version publiée à reprendre."), code="no_published_version")
    with transaction.atomic():
        if ReferentialVersion.objects.filter(status__in=[VersionStatus.DRAFT, VersionStatus.REVIEW]).exists():
            raise ConflictError(_("Une nouvelle version est déjà en préparation."), code="draft_exists")
        number = (ReferentialVersion.objects.aggregate(top=Max("number"))["top"] or 0) + 1
        try:
            draft = ReferentialVersion.objects.create(
                number=number, title=(title or base.title).strip()[:200], based_on=base, created_by=user
            )
        except IntegrityError as error:  # two administrators at once: one draft only
            raise ConflictError(
                _("Une nouvelle version est déjà en préparation."), code="draft_exists"
            ) from error
        sections = {}
        for section in base.sections.all():
            sections[section.pk] = Section.objects.create(
                version=draft, code=section.code, title=section.title, order=section.order
            )
        Criterion.objects.bulk_create(
            Criterion(
                version=draft,
                section=sections[c.section_id],
                code=c.code,
                title=c.title,
                requirement=c.requirement,
                evidence=c.evidence,
                site_levels=c.site_levels,
                guidance=c.guidance,
                order=c.order,
                carried_from=c,
                change=Change.UNCHANGED,
                checks=c.checks,
            )  # fmt: skip
            for c in base.criteria.all()
        )
        audit_record(actor=user, action="referential.draft", target=draft, details={"based_on": base.number})
    return draft


@dataclass(frozen=True)
class CriterionInput:
    title: str
    requirement: str
    evidence: str
    site_levels: list[str]
    guidance: str


def checked_criterion(values: dict[str, Any]) -> CriterionInput:
    """Submitted criterion fields, or ``DomainError`` naming every wrong one (French)."""
    errors: dict[str, object] = {}
    title = str(values.get("title", "")).strip()
    if not title:
        errors["title"] = _("L'exigence est à écrire.")
    elif len(title) > 400:
        errors["title"] = _("400 caractères au plus.")
    requirement = str(values.get("requirement", ""))
    if requirement not in Requirement.values:
        errors["requirement"] = _("Niveau : obligatoire ou recommandé.")
    evidence = str(values.get("evidence", ""))
    if evidence not in Evidence.values:
        errors["evidence"] = _("Preuve : document, photo, chiffre ou oui / non.")
    levels = [str(level) for level in values.get("site_levels", [])]
    unknown = [level for level in levels if level not in SiteLevel.values]
    if unknown:
        errors["site_levels"] = _("Niveau de site inconnu : %(levels)s.") % {"levels": ", ".join(unknown)}
    guidance = str(values.get("guidance", "")).strip()
    if len(guidance) > 4000:
        errors["guidance"] = _("4 000 caractères au plus.")
    if errors:
        raise DomainError(
            _("Critère refusé : corrigez les champs signalés."), code="invalid_criterion", details=errors
        )
    return CriterionInput(title, requirement, evidence, sorted(set(levels)), guidance)


def criterion_update(user: Any, criterion: Criterion, values: dict[str, Any]) -> Criterion:
    _editable(criterion.version)
    checked = checked_criterion(values)
    changed = [name for name, value in vars(checked).items() if getattr(criterion, name) != value]
    if not changed:
        return criterion
    with transaction.atomic():
        for name, value in vars(checked).items():
            setattr(criterion, name, value)
        if criterion.carried_from_id is not None:
            criterion.change = Change.REWORDED
        criterion.save()
        audit_record(
            actor=user, action="referential.criterion_update", target=criterion, details={"fields": changed}
        )
    return criterion


def criterion_add(user: Any, section: Section, values: dict[str, Any]) -> Criterion:
    _editable(section.version)
    checked = checked_criterion(values)
    with transaction.atomic():
        count = section.criteria.count() + 1
        code = f"{section.code}-{count:02d}"
        while Criterion.objects.filter(version=section.version, code=code).exists():
            count += 1
            code = f"{section.code}-{count:02d}"
        criterion = Criterion.objects.create(
            version=section.version,
            section=section,
            code=code,
            order=count,
            change=Change.NEW,
            **vars(checked),
        )
        audit_record(actor=user, action="referential.criterion_add", target=criterion)
    return criterion


def criterion_withdraw(user: Any, criterion: Criterion) -> None:
    """Take a criterion out of the draft (it stays in the versions published before)."""
    _editable(criterion.version)
    with transaction.atomic():
        audit_record(actor=user, action="referential.criterion_withdraw", target=criterion,
                     details={"code": criterion.code})  # fmt: skip
        criterion.delete()


def referential_submit(user: Any, version: ReferentialVersion) -> ReferentialVersion:
    _editable(version)
    if not version.criteria.exists():
        raise DomainError(_("Une version sans critère ne se soumet pas."), code="empty_version")
    with transaction.atomic():
        version.status, version.submitted_at = VersionStatus.REVIEW, timezone.now()
        version.save(update_fields=["status", "submitted_at"])
        audit_record(actor=user, action="referential.submit", target=version)
    return version


def referential_return(user: Any, version: ReferentialVersion, *, reason: str) -> ReferentialVersion:
    """Send a version in review back to its drafters, with the reviewer's reason."""
    if version.status != VersionStatus.REVIEW:
        raise ConflictError(
            _("Seule une version en relecture se renvoie en brouillon."), code="not_in_review"
        )
    if not reason.strip():
        raise DomainError(_("Dites pourquoi la version retourne en brouillon."), code="reason_required",
                          details={"reason": _("Motif obligatoire.")})  # fmt: skip
    with transaction.atomic():
        version.status = VersionStatus.DRAFT
        version.save(update_fields=["status"])
        audit_record(actor=user, action="referential.return", target=version, reason=reason.strip())
    return version


def referential_publish(user: Any, version: ReferentialVersion) -> ReferentialVersion:
    """Publish a version in review: the published one is superseded; both are frozen from now on."""
    if version.status != VersionStatus.REVIEW:
        raise ConflictError(_("Seule une version relue se publie."), code="not_in_review")
    with transaction.atomic():
        ReferentialVersion.objects.filter(status=VersionStatus.PUBLISHED).update(
            status=VersionStatus.SUPERSEDED
        )
        version.status, version.published_at, version.published_by = (
            VersionStatus.PUBLISHED,
            timezone.now(),
            user,
        )
        version.save(update_fields=["status", "published_at", "published_by"])
        audit_record(actor=user, action="referential.publish", target=version)
    return version


@dataclass(frozen=True)
class CriterionChange:
    change: str  # "new", "unchanged", "reworded", "withdrawn"
    code: str
    title: str
    previous: Criterion | None
    current: Criterion | None


def version_changes(version: ReferentialVersion) -> list[CriterionChange]:
    """What a version changes from the one it was drafted from: criteria new, reworded, unchanged, withdrawn."""
    current = list(version.criteria.select_related("carried_from"))
    changes = [CriterionChange(c.change, c.code, c.title, c.carried_from, c) for c in current]
    if version.based_on_id is not None:
        carried = {c.carried_from_id for c in current if c.carried_from_id}
        changes += [
            CriterionChange("withdrawn", c.code, c.title, c, None)
            for c in Criterion.objects.filter(version_id=version.based_on_id).exclude(pk__in=carried)
        ]
    return changes
