"""The quality referential, versioned: sections and criteria, drafted, reviewed, published, then frozen.

A new version starts as a copy of the published one; each copied criterion remembers the criterion it carries
over (``carried_from``), so that an answer given against version 1 can be read against version 2 and the
history of a site stays comparable across versions. A criterion of the new version without ``carried_from``
is new; a criterion of the old one that nothing carries over was withdrawn.
"""

from __future__ import annotations

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
