"""The quality referential, versioned: sections and criteria, drafted, reviewed, published, then frozen.

A new version starts as a copy of the published one; each copied criterion remembers the criterion it carries
over (``carried_from``), so that an answer given against version 1 can be read against version 2 and the
history of a site stays comparable across versions. A criterion of the new version without ``carried_from``
is new; a criterion of the old one that nothing carries over was withdrawn.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    REVIEW = "review", _("en relecture")
    PUBLISHED = "published", _("publiée")
    SUPERSEDED = "superseded", _("remplacée")


FROZEN_STATUSES = (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED)


class ReferentialVersion(models.Model):
    number = models.PositiveSmallIntegerField(_("numéro"), unique=True)
    title = models.CharField(_("titre"), max_length=200)
    status = models.CharField(
        _("état"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    notes = models.TextField(_("notes de version"), blank=True, max_length=4000)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = _("version du référentiel")
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="published"), name="one_published_referential"
            ),
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status__in=["draft", "review"]),
                name="one_referential_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.number} — {self.title}"

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES


class Section(models.Model):
    version = models.ForeignKey(ReferentialVersion, on_delete=models.CASCADE, related_name="sections")
    code = models.CharField(_("code"), max_length=12)
    title = models.CharField(_("titre"), max_length=200)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="section_code_per_version")]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class Requirement(models.TextChoices):
    MANDATORY = "mandatory", _("obligatoire")
    RECOMMENDED = "recommended", _("recommandé")


class Evidence(models.TextChoices):
    DOCUMENT = "document", _("document")
    PHOTO = "photo", _("photo")
    FIGURE = "figure", _("chiffre")
    YES_NO = "yes_no", _("oui / non")


class Change(models.TextChoices):
    NEW = "new", _("nouveau")
    UNCHANGED = "unchanged", _("inchangé")
    REWORDED = "reworded", _("reformulé")


class Criterion(models.Model):
    version = models.ForeignKey(ReferentialVersion, on_delete=models.CASCADE, related_name="criteria")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="criteria")
    code = models.CharField(_("code"), max_length=16)
    title = models.CharField(_("exigence"), max_length=400)
    requirement = models.CharField(_("niveau"), max_length=12, choices=Requirement.choices)
    evidence = models.CharField(_("preuve attendue"), max_length=10, choices=Evidence.choices)
    site_levels = models.JSONField(
        _("niveaux de site concernés"), default=list, blank=True, help_text=_("Vide : tous les niveaux.")
    )
    guidance = models.TextField(_("pour l'évaluer"), blank=True, max_length=4000)
    order = models.PositiveSmallIntegerField(default=0)
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="carried_to"
    )
    change = models.CharField(max_length=10, choices=Change.choices, default=Change.NEW)
    # What Maille checks itself for this criterion: "charter", the site's signature of the charter in force.
    checks = models.CharField(max_length=12, blank=True, choices=[("charter", _("signature de la charte"))])

    class Meta:
        ordering = ["version", "section__order", "order", "code"]
        verbose_name = _("critère")
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="criterion_code_per_version")]

    def __str__(self) -> str:
        return f"{self.code} — {self.title[:60]}"

    def applies_to(self, level: str) -> bool:
        return not self.site_levels or level in self.site_levels

    def version_url(self) -> str:
        from django.urls import reverse

        return reverse("quality:version", args=[self.version_id])


# --- Self-assessments -------------------------------------------------------------------------------------


class AssessmentStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("en cours")
    SUBMITTED = "submitted", _("soumise à relecture")
    RETURNED = "returned", _("renvoyée au site")
    CLOSED = "closed", _("close")


OPEN_ASSESSMENT_STATUSES = (
    AssessmentStatus.IN_PROGRESS,
    AssessmentStatus.SUBMITTED,
    AssessmentStatus.RETURNED,
)


class Assessment(models.Model):
    """A site's self-assessment against one published version of the referential, then its review."""

    site = models.ForeignKey("directory.Site", on_delete=models.PROTECT, related_name="quality_assessments")
    version = models.ForeignKey(ReferentialVersion, on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(
        _("état"), max_length=12, choices=AssessmentStatus.choices, default=AssessmentStatus.IN_PROGRESS
    )
    # The site's level when the assessment started: the criteria that apply stay those, whatever the
    # directory says later.
    site_level = models.CharField(_("niveau du site"), max_length=32)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    review_summary = models.TextField(_("conclusion de la relecture"), blank=True, max_length=4000)
    # Scores frozen when the assessment closes (percent, overall and per section code), so the history and
    # the maturity dashboard read them without recomputing every answer.
    score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    section_scores = models.JSONField(default=dict, blank=True)
    mandatory_met = models.BooleanField(default=False)
    # Printed on its PDF report: anyone may check it on the public verification page.
    verification_code = models.CharField(max_length=16, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("auto-évaluation")
        constraints = [
            models.UniqueConstraint(
                fields=["site"],
                condition=models.Q(status__in=["in_progress", "submitted", "returned"]),
                name="one_open_assessment_per_site",
            )
        ]
        indexes = [models.Index(fields=["status", "closed_at"])]

    def __str__(self) -> str:
        return f"{self.site} — v{self.version.number if self.version_id else '?'}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ASSESSMENT_STATUSES


class Compliance(models.TextChoices):
    MET = "met", _("atteint")
    PARTIAL = "partial", _("partiellement atteint")
    NOT_MET = "not_met", _("non atteint")


class Verdict(models.TextChoices):
    PENDING = "pending", _("à relire")
    ACCEPTED = "accepted", _("accepté")
    CHALLENGED = "challenged", _("contesté")


class Answer(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="answers")
    compliance = models.CharField(_("réponse"), max_length=8, choices=Compliance.choices)
    figure = models.DecimalField(_("chiffre"), max_digits=12, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("commentaire"), blank=True, max_length=2000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(auto_now=True)
    verdict = models.CharField(_("avis"), max_length=10, choices=Verdict.choices, default=Verdict.PENDING)
    review_comment = models.TextField(_("commentaire du relecteur"), blank=True, max_length=2000)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["criterion__section__order", "criterion__order", "criterion__code"]
        verbose_name = _("réponse")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="one_answer_per_criterion")
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code} — {self.get_compliance_display()}"


class EvidenceFile(models.Model):
    """A file given as evidence for an answer. Stored outside the web root under a random name
    (``settings.QUALITY_EVIDENCE_DIR``), served only through the page that checks who may read it."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="evidence_files")
    original_name = models.CharField(_("nom du fichier"), max_length=200)
    stored_name = models.CharField(max_length=80, unique=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("pièce justificative")

    def __str__(self) -> str:
        return self.original_name


# --- Action plans -----------------------------------------------------------------------------------------


class ActionStatus(models.TextChoices):
    TODO = "todo", _("à faire")
    IN_PROGRESS = "in_progress", _("en cours")
    DONE = "done", _("faite")
    CANCELLED = "cancelled", _("abandonnée")


OPEN_ACTION_STATUSES = (ActionStatus.TODO, ActionStatus.IN_PROGRESS)


class Action(models.Model):
    """One thing to do to close a gap (or any improvement a site decides), with its owner and due date."""

    site = models.ForeignKey("directory.Site", on_delete=models.PROTECT, related_name="quality_actions")
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    criterion = models.ForeignKey(
        Criterion, null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    title = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quality_actions",
        verbose_name=_("responsable"),
    )  # fmt: skip
    due_date = models.DateField(_("échéance"))
    status = models.CharField(
        _("état"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.TODO
    )
    progress_note = models.TextField(_("où en est-on"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("action d'amélioration")
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ACTION_STATUSES

    def is_overdue(self, today: Any) -> bool:
        return self.is_open and self.due_date < today


# --- Labels -----------------------------------------------------------------------------------------------


class LabelStatus(models.TextChoices):
    REQUESTED = "requested", _("demandé")
    UNDER_REVIEW = "under_review", _("en instruction")
    GRANTED = "granted", _("accordé")
    REFUSED = "refused", _("refusé")
    SUSPENDED = "suspended", _("suspendu")
    EXPIRED = "expired", _("expiré")
    RENEWED = "renewed", _("renouvelé")


PENDING_LABEL_STATUSES = (LabelStatus.REQUESTED, LabelStatus.UNDER_REVIEW)
# A site holds at most one label "alive" (pending, granted or suspended) at a time, except a renewal request
# beside the granted label it renews.
LIVE_LABEL_STATUSES = (LabelStatus.GRANTED, LabelStatus.SUSPENDED)


class Label(models.Model):
    """The network's quality label of a site: requested on a reviewed assessment, decided, then valid until it
    expires, is suspended, or is renewed by the next one. Its events (who, when, why) are ``LabelEvent`` rows."""

    site = models.ForeignKey("directory.Site", on_delete=models.PROTECT, related_name="quality_labels")
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="labels")
    status = models.CharField(
        _("état"), max_length=14, choices=LabelStatus.choices, default=LabelStatus.REQUESTED
    )
    renews = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewals"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_on = models.DateField(_("accordé le"), null=True, blank=True)
    expires_on = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    reason = models.TextField(_("motif"), blank=True, max_length=2000)
    verification_code = models.CharField(max_length=16, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("label qualité")
        constraints = [
            models.UniqueConstraint(
                fields=["site"],
                condition=models.Q(status__in=["granted", "suspended"]),
                name="one_live_label_per_site",
            ),
            models.UniqueConstraint(
                fields=["site"],
                condition=models.Q(status__in=["requested", "under_review"]),
                name="one_pending_label_per_site",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_on"])]

    def __str__(self) -> str:
        return f"{self.site} — {self.get_status_display()}"

    def is_in_force(self, on: Any = None) -> bool:
        """Granted and not past its date: the rule of ``labels.valid_labels``, for one label (a suspended label is
        not in force)."""
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.status == LabelStatus.GRANTED and self.expires_on is not None and self.expires_on >= day


class LabelEvent(models.Model):
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=14, choices=LabelStatus.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.label_id} → {self.status}"


# --- Charter of good practice -------------------------------------------------------------------------------


class CharterVersion(models.Model):
    """The network's charter of good practice, versioned like the referential: drafted, published, then frozen;
    the published one is the one in force, the one sites and professionals sign."""

    number = models.PositiveSmallIntegerField(_("numéro"), unique=True)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"), max_length=20000)
    status = models.CharField(
        _("état"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = _("version de la charte")
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="published"), name="one_published_charter"
            ),
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status__in=["draft", "review"]),
                name="one_charter_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.number} — {self.title}"

    def paragraphs(self) -> list[str]:
        return [part.strip() for part in self.body.split("\n\n") if part.strip()]


class CharterSignature(models.Model):
    """Who signed which version of the charter, and when: a site (signed for it by one of its staff) or a
    professional (signed by themself)."""

    version = models.ForeignKey(CharterVersion, on_delete=models.PROTECT, related_name="signatures")
    site = models.ForeignKey(
        "directory.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="charter_signatures"
    )
    professional = models.ForeignKey(
        "directory.Professional",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="charter_signatures",
    )
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signatory_name = models.CharField(_("signataire"), max_length=200)
    signatory_role = models.CharField(_("qualité du signataire"), max_length=200, blank=True)
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-signed_at", "-pk"]
        verbose_name = _("signature de la charte")
        constraints = [
            models.CheckConstraint(
                name="charter_signature_site_or_professional",
                condition=models.Q(site__isnull=False, professional__isnull=True)
                | models.Q(site__isnull=True, professional__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["version", "site"],
                condition=models.Q(site__isnull=False),
                name="one_signature_per_site",
            ),
            models.UniqueConstraint(
                fields=["version", "professional"],
                condition=models.Q(professional__isnull=False),
                name="one_signature_per_professional",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signatory_name} — v{self.version.number}"
