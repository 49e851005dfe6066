"""Patients: minimal identity, INS when known, consents, and the caregiver who books for a relative.

The app holds the identity (INS, identity status, duplicates, merge: ``services``); who may read which
patient depends on their appointments and is decided in ``scheduling.selectors`` (patients_visible_to,
patients_bookable_by). This app imports no booking code: merging moves appointments through the reverse
relation.
"""

from __future__ import annotations

import unicodedata

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from maille.core.validators import validate_nir, validate_phone
from maille.directory.models import Sex


def name_key(*parts: str) -> str:
    """Accent-, case- and punctuation-insensitive key used to spot duplicate identities."""
    text = " ".join(parts)
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if c.isalpha() or c.isspace())
    return " ".join(letters.upper().split())


class IdentityStatus(models.TextChoices):
    """INS identity statuses (référentiel national d'identitovigilance)."""

    PROVISIONAL = "PROV", _("identité provisoire")
    RETRIEVED = "RECUP", _("identité récupérée")
    VALIDATED = "VALI", _("identité validée")
    QUALIFIED = "QUAL", _("identité qualifiée")


class PatientQuerySet(models.QuerySet["Patient"]):
    def active(self) -> PatientQuerySet:
        return self.filter(merged_into__isnull=True)


class Patient(models.Model):
    last_name = models.CharField(_("nom"), max_length=120, blank=True)
    first_name = models.CharField(_("prénom"), max_length=120, blank=True)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices, default=Sex.OTHER)
    phone = models.CharField(_("téléphone"), max_length=16, blank=True, validators=[validate_phone])
    email = models.EmailField(_("courriel"), blank=True)
    commune = models.ForeignKey(
        "territory.Commune", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    nir = models.CharField(_("matricule INS (NIR)"), max_length=15, blank=True, validators=[validate_nir])
    identity_status = models.CharField(
        _("statut de l'identité"),
        max_length=5,
        choices=IdentityStatus.choices,
        default=IdentityStatus.PROVISIONAL,
    )
    has_medecin_traitant = models.BooleanField(_("a un médecin traitant"), null=True, blank=True)
    is_ald = models.BooleanField(_("en affection de longue durée (ALD)"), default=False)
    consents_to_teleconsultation = models.BooleanField(_("consent à la téléconsultation"), default=False)
    consents_to_data_use = models.BooleanField(_("consent à l'utilisation des données"), default=False)
    caregiver = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="relatives",
        verbose_name=_("aidant"),
        help_text=_("Proche qui prend les rendez-vous pour ce patient."),
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_duplicates"
    )
    name_key = models.CharField(max_length=250, blank=True, db_index=True, editable=False)
    is_fictional = models.BooleanField(_("fictif (démonstration)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = _("patient")
        indexes = [
            models.Index(fields=["phone"], name="patient_phone_idx"),
            models.Index(fields=["name_key", "birth_date"], name="patient_identity_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["nir"], condition=~Q(nir="") & Q(merged_into__isnull=True), name="patient_unique_nir"
            ),
        ]

    def __str__(self) -> str:
        # Identity values stay out of logs and audit details: only the pk is shown by default.
        return f"patient #{self.pk}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.name_key = name_key(self.last_name, self.first_name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]
