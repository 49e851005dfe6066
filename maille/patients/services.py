"""Patients: creation (even from a phone number alone), audited reads and updates, duplicates, merge.

Every staff read and write leaves an audit row; the details name fields, never identity values.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from maille.core.audit import audit_record, changed_fields
from maille.core.errors import ConflictError, DomainError
from maille.core.identifiers import InvalidIdentifier, normalize_nir, normalize_phone

from .models import IdentityStatus, Patient, PatientQuerySet, name_key

EDITABLE_FIELDS = frozenset(
    {
        "last_name",
        "first_name",
        "birth_date",
        "sex",
        "phone",
        "email",
        "commune",
        "nir",
        "identity_status",
        "has_medecin_traitant",
        "is_ald",
        "consents_to_teleconsultation",
        "consents_to_data_use",
        "caregiver",
    }
)


def _normalised(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(_("Champs inconnus : %s") % ", ".join(sorted(unknown)), code="unknown_fields")
    values = dict(values)
    try:
        if values.get("phone"):
            values["phone"] = normalize_phone(values["phone"])
        if values.get("nir"):
            values["nir"] = normalize_nir(values["nir"])
    except InvalidIdentifier as error:
        raise DomainError(str(error), code="invalid_identifier") from error
    for key in ("last_name", "first_name"):
        if key in values:
            values[key] = " ".join(str(values[key]).split())
    status = values.get("identity_status")
    if status in {IdentityStatus.VALIDATED, IdentityStatus.QUALIFIED} and not values.get("nir"):
        raise DomainError(
            _("Une identité validée ou qualifiée nécessite le matricule INS."), code="ins_required"
        )
    return values


def _validate(patient: Patient) -> None:
    try:
        patient.full_clean(exclude=["name_key"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise DomainError(
            _("Données patient invalides."), code="invalid_patient", details=error.message_dict
        ) from error
    if patient.caregiver_id is not None and patient.caregiver_id == patient.pk:
        raise DomainError(_("Un patient ne peut pas être son propre aidant."), code="invalid_caregiver")


def _save(patient: Patient) -> None:
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as error:
        raise ConflictError(
            _("Ce matricule INS est déjà attribué à un autre patient."), code="duplicate_nir"
        ) from error


@transaction.atomic(durable=True)
def patient_create(*, actor: Any, channel: str, reason: str = "", **values: Any) -> Patient:
    """Create a patient; a phone number alone is enough (the rest is completed later)."""
    values = _normalised(values)
    if not values.get("phone") and not (values.get("last_name") and values.get("birth_date")):
        raise DomainError(
            _("Indiquez au moins un numéro de téléphone, ou le nom et la date de naissance."),
            code="too_little",
        )
    patient = Patient(**values)
    _validate(patient)
    _save(patient)
    audit_record(
        actor=actor,
        action="patient.create",
        target=patient,
        channel=channel,
        reason=reason,
        details={"fields": sorted(k for k, v in values.items() if v not in ("", None))},
    )
    return patient


@transaction.atomic(durable=True)
def patient_update(*, actor: Any, channel: str, patient: Patient, reason: str = "", **values: Any) -> Patient:
    values = _normalised(values)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    changed = changed_fields(patient, values)
    for key, value in values.items():
        setattr(patient, key, value)
    _validate(patient)
    _save(patient)
    audit_record(
        actor=actor,
        action="patient.update",
        target=patient,
        channel=channel,
        reason=reason,
        details={"fields": changed},
    )
    return patient


@transaction.atomic(durable=True)
def patient_read(
    *, actor: Any, channel: str, readable: QuerySet[Patient], patient_id: int, reason: str = ""
) -> Patient:
    """A staff read of one patient record: the audit trail says who looked, when and why.

    ``readable`` is the actor's scope, from the one selector that decides it
    (``scheduling.selectors.patients_visible_to``): a record outside it is "unknown", and nothing is logged.
    """
    patient = readable.filter(pk=patient_id).first()
    if patient is None:
        raise DomainError(_("Patient inconnu."), code="unknown_patient")
    audit_record(actor=actor, action="patient.read", target=patient, channel=channel, reason=reason)
    return patient


def patient_duplicates(
    *,
    last_name: str = "",
    first_name: str = "",
    birth_date: dt.date | None = None,
    phone: str = "",
    exclude_id: int | None = None,
) -> PatientQuerySet:
    """Likely duplicates: same names (accents and case ignored) and birth date, or same phone."""
    match = Q(pk__in=[])
    if last_name and birth_date:
        match |= Q(name_key=name_key(last_name, first_name), birth_date=birth_date)
    if phone:
        with contextlib.suppress(InvalidIdentifier):
            match |= Q(phone=normalize_phone(phone))
    found = Patient.objects.active().filter(match)
    return found.exclude(pk=exclude_id) if exclude_id is not None else found


PATIENT_SEARCH_LIMIT = 20


def patient_duplicates_shown(
    *,
    actor: Any,
    channel: str,
    limit: int = PATIENT_SEARCH_LIMIT,
    reason: str = "recherche de doublons",
    **criteria: Any,
) -> list[Patient]:
    """Likely duplicates shown to a staff member: each identity shown is a read of a patient record,
    audited (pages and API alike)."""
    patients = list(patient_duplicates(**criteria).order_by("pk")[:limit])
    _audit_shown(patients, actor=actor, channel=channel, action="patient.read", reason=reason)
    return patients


def _audit_shown(patients: list[Patient], *, actor: Any, channel: str, action: str, reason: str = "") -> None:
    """Each identity shown to staff is a read of a patient record: one audit row each, in one transaction."""
    with transaction.atomic():
        for patient in patients:
            audit_record(actor=actor, action=action, target=patient, channel=channel, reason=reason)


def patients_shown(
    *, actor: Any, channel: str, readable: QuerySet[Patient], patient_ids: list[int], reason: str
) -> dict[int, Patient]:
    """Patients shown in a staff list (a day's appointments): the visible ones among ``patient_ids``, each
    identity shown audited as a read, in one transaction. Ids outside ``readable`` are left out, unlogged."""
    patients = list(readable.filter(pk__in=patient_ids).order_by("pk"))
    _audit_shown(patients, actor=actor, channel=channel, action="patient.read", reason=reason)
    return {patient.pk: patient for patient in patients}


class PatientSearchCriteriaMissing(DomainError):
    """Staff may not browse the patient list: a search needs identifying criteria."""


def patient_search(
    *,
    actor: Any,
    channel: str,
    name: str = "",
    birth_date: dt.date | None = None,
    phone: str = "",
    limit: int = PATIENT_SEARCH_LIMIT,
) -> list[Patient]:
    """Staff search for a patient: a phone number, or a name with a birth date (identity vigilance: never
    a browse by partial name). Each identity shown is a read of a patient record, so each is audited."""
    words = name.split()
    if not phone and not (words and birth_date):
        raise PatientSearchCriteriaMissing(
            _("Indiquez un numéro de téléphone, ou le nom avec la date de naissance."), code="search_criteria"
        )
    found = Patient.objects.active()
    for word in words:
        found = found.filter(name_key__icontains=name_key(word))
    if birth_date:
        found = found.filter(birth_date=birth_date)
    if phone:
        found = found.filter(pk__in=patient_duplicates(phone=phone).values("pk"))
    patients = list(found.select_related("commune").order_by("last_name", "first_name", "pk")[:limit])
    _audit_shown(patients, actor=actor, channel=channel, action="patient.search_result")
    return patients


@transaction.atomic(durable=True)
def patient_merge(
    *, actor: Any, channel: str, keep: Patient, duplicate: Patient, reason: str = ""
) -> Patient:
    """Merge a duplicate into the kept record: appointments and relatives move, history stays."""
    if keep.pk == duplicate.pk:
        raise DomainError(_("Un dossier ne peut pas être fusionné avec lui-même."), code="same_patient")
    kept, merged = (
        Patient.objects.select_for_update().get(pk=keep.pk),
        Patient.objects.select_for_update().get(pk=duplicate.pk),
    )
    if kept.merged_into_id or merged.merged_into_id:
        raise ConflictError(_("L'un de ces dossiers a déjà été fusionné."), code="already_merged")
    moved = merged.appointments.update(patient=kept)
    merged.relatives.update(caregiver=kept)
    # Mark the duplicate first: its INS then no longer counts for uniqueness and can move to the kept one.
    merged.merged_into = kept
    merged.save(update_fields=["merged_into"])
    filled = [
        f
        for f in sorted(EDITABLE_FIELDS)
        if getattr(kept, f) in ("", None) and getattr(merged, f) not in ("", None)
    ]
    for field_name in filled:
        setattr(kept, field_name, getattr(merged, field_name))
    _save(kept)
    details = {"merged_id": merged.pk, "appointments_moved": moved, "fields_filled": filled}
    audit_record(
        actor=actor, action="patient.merge", target=kept, channel=channel, reason=reason, details=details
    )
    audit_record(
        actor=actor,
        action="patient.merged_into",
        target=merged,
        channel=channel,
        reason=reason,
        details={"kept_id": kept.pk},
    )
    return kept
