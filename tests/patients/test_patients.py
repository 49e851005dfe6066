"""Patients: identifiers, creation from a phone alone, duplicates, merge, audit of every read and write."""

from __future__ import annotations

import datetime as dt

import pytest

from maille.accounts.models import Role
from maille.core.errors import ConflictError, DomainError
from maille.core.models import AuditEvent, Channel
from maille.patients.models import IdentityStatus, Patient
from maille.patients.services import (
    patient_create,
    patient_duplicates,
    patient_merge,
    patient_read,
    patient_update,
)
from maille.scheduling.models import AppointmentStatus
from maille.scheduling.selectors import patients_visible_to
from maille.scheduling.services import appointment_book
from tests.factories import UserFactory, user_with_role
from tests.patients.factories import VALID_NIR, PatientFactory
from tests.scheduling.factories import make_network, paris

pytestmark = pytest.mark.django_db

# A valid NIR (key = 97 - (13 digits mod 97)).
IDENTITY_VALUES = ("DUPONT", "Jeanne", "+33612345678", VALID_NIR)


@pytest.fixture
def staff():
    user = UserFactory()
    user.save()
    return user


def test_creation_from_a_phone_number_alone_normalises_it(staff):
    patient = patient_create(actor=staff, channel=Channel.PHONE, phone="06 12 34 56 78")
    assert patient.phone == "+33612345678"
    assert patient.identity_status == IdentityStatus.PROVISIONAL
    event = AuditEvent.objects.get(action="patient.create")
    assert event.actor == staff
    assert event.details == {"fields": ["phone"]}


def test_creation_refuses_too_little_and_bad_identifiers(staff):
    with pytest.raises(DomainError) as empty:
        patient_create(actor=staff, channel=Channel.WEB, first_name="Jeanne")
    assert empty.value.code == "too_little"
    with pytest.raises(DomainError) as phone:
        patient_create(actor=staff, channel=Channel.WEB, phone="12")
    assert phone.value.code == "invalid_identifier"
    with pytest.raises(DomainError) as nir:
        patient_create(actor=staff, channel=Channel.WEB, phone="0612345678", nir=VALID_NIR[:-2] + "00")
    assert nir.value.code == "invalid_identifier"
    with pytest.raises(DomainError) as qualified:
        patient_create(
            actor=staff, channel=Channel.WEB, phone="0612345678", identity_status=IdentityStatus.QUALIFIED
        )
    assert qualified.value.code == "ins_required"
    assert Patient.objects.count() == 0


def test_full_identity_with_ins_and_no_identity_value_in_the_audit(staff):
    patient = patient_create(
        actor=staff,
        channel=Channel.WEB,
        last_name="DUPONT",
        first_name="Jeanne",
        birth_date=dt.date(1950, 5, 1),
        phone="0612345678",
        nir=VALID_NIR,
        identity_status=IdentityStatus.QUALIFIED,
        has_medecin_traitant=False,
        is_ald=True,
        consents_to_teleconsultation=True,
    )
    patient_update(
        actor=staff, channel=Channel.WEB, patient=patient, first_name="Jeanne-Marie", reason="erreur"
    )
    patient_read(
        actor=staff,
        channel=Channel.WEB,
        readable=Patient.objects.all(),
        patient_id=patient.pk,
        reason="appel du patient",
    )
    events = AuditEvent.objects.filter(target_id=str(patient.pk)).order_by("id")
    assert [e.action for e in events] == ["patient.create", "patient.update", "patient.read"]
    assert events[1].details == {"fields": ["first_name"]}
    for event in events:
        text = f"{event.details} {event.reason} {event}"
        assert not any(value in text for value in (*IDENTITY_VALUES, "Jeanne-Marie"))
    with pytest.raises(ConflictError):
        patient_create(actor=staff, channel=Channel.WEB, phone="0698765432", nir=VALID_NIR)


def test_duplicates_by_names_and_birth_date_or_by_phone(staff):
    original = patient_create(
        actor=staff,
        channel=Channel.WEB,
        last_name="Lefèvre",
        first_name="Zoé",
        birth_date=dt.date(1940, 1, 2),
        phone="0612345678",
    )
    patient_create(
        actor=staff,
        channel=Channel.WEB,
        last_name="Lefèvre",
        first_name="Zoé",
        birth_date=dt.date(1941, 1, 2),
    )
    by_name = patient_duplicates(last_name="LEFEVRE", first_name="zoe", birth_date=dt.date(1940, 1, 2))
    assert list(by_name) == [original]
    assert list(patient_duplicates(phone="+33 6 12 34 56 78")) == [original]
    assert list(patient_duplicates(phone="+33 6 12 34 56 78", exclude_id=original.pk)) == []
    assert list(patient_duplicates(phone="not a phone")) == []


def test_merge_moves_appointments_and_keeps_history(staff):
    net = make_network()
    keep = patient_create(
        actor=staff, channel=Channel.WEB, last_name="Martin", birth_date=dt.date(1960, 1, 1)
    )
    duplicate = patient_create(actor=staff, channel=Channel.WEB, phone="0612345678", nir=VALID_NIR)
    relative = patient_create(actor=staff, channel=Channel.WEB, phone="0687654321", caregiver=duplicate)
    appointment = appointment_book(
        actor=staff,
        channel=Channel.PHONE,
        patient=duplicate,
        use=net.use,
        site=net.site,
        starts_at=paris(2026, 3, 2, 9),
        now=paris(2026, 3, 2, 8),
    )
    patient_merge(actor=staff, channel=Channel.WEB, keep=keep, duplicate=duplicate, reason="doublon")
    keep.refresh_from_db()
    duplicate.refresh_from_db()
    relative.refresh_from_db()
    appointment.refresh_from_db()
    assert duplicate.merged_into == keep
    assert appointment.patient == keep
    assert relative.caregiver == keep
    assert (keep.phone, keep.nir) == ("+33612345678", VALID_NIR)
    assert appointment.status == AppointmentStatus.BOOKED
    assert set(Patient.objects.active()) == {keep, relative}
    assert AuditEvent.objects.get(action="patient.merge").details["appointments_moved"] == 1
    with pytest.raises(ConflictError):
        patient_merge(actor=staff, channel=Channel.WEB, keep=keep, duplicate=duplicate)
    with pytest.raises(DomainError) as merged:
        appointment_book(
            actor=staff,
            channel=Channel.PHONE,
            patient=duplicate,
            use=net.use,
            site=net.site,
            starts_at=paris(2026, 3, 2, 10),
            now=paris(2026, 3, 2, 8),
        )
    assert merged.value.code == "merged_patient"


def test_unknown_patient_read(staff):
    with pytest.raises(DomainError):
        patient_read(actor=staff, channel=Channel.WEB, readable=Patient.objects.all(), patient_id=999999)


def test_a_patient_outside_the_readers_scope_is_unknown_and_nothing_is_logged():
    patient = PatientFactory()
    operator = user_with_role(Role.OPERATOR, departement_id=make_network().site.commune.departement_id)
    doctor = user_with_role(Role.REMOTE_DOCTOR)  # reads only the patients of the appointments they conduct
    with pytest.raises(DomainError) as refused:
        patient_read(
            actor=doctor, channel=Channel.WEB, readable=patients_visible_to(doctor), patient_id=patient.pk
        )
    assert refused.value.code == "unknown_patient"
    assert not AuditEvent.objects.filter(target_id=str(patient.pk), action="patient.read").exists()
    # The same record is readable by an operator, who may book for any patient.
    read = patient_read(
        actor=operator, channel=Channel.WEB, readable=patients_visible_to(operator), patient_id=patient.pk
    )
    assert read == patient
    assert (
        AuditEvent.objects.filter(target_id=str(patient.pk), action="patient.read", actor=operator).count()
        == 1
    )


def test_patient_search_needs_identifying_criteria_and_audits_each_result():
    import datetime as dt

    from maille.core.models import AuditEvent, Channel
    from maille.patients.services import PatientSearchCriteriaMissing, patient_search
    from tests.patients.factories import PatientFactory

    operator = UserFactory()
    operator.save()
    PatientFactory(last_name="Durand", first_name="Lou", birth_date=dt.date(1944, 2, 3))
    PatientFactory(last_name="Durand", first_name="Max", birth_date=dt.date(1980, 1, 1))
    with pytest.raises(PatientSearchCriteriaMissing):
        patient_search(actor=operator, channel=Channel.PHONE, name="Durand")
    found = patient_search(
        actor=operator, channel=Channel.PHONE, name="durand", birth_date=dt.date(1944, 2, 3)
    )
    assert [p.first_name for p in found] == ["Lou"]
    event = AuditEvent.objects.get(action="patient.search_result")
    assert (event.target_id, event.channel) == (str(found[0].pk), Channel.PHONE)
    assert "Durand" not in str(event.details)


def test_merging_a_phone_only_record_into_a_qualified_one_keeps_the_qualified_identity(staff):
    kept = PatientFactory(qualified=True, phone="")
    duplicate = PatientFactory(phone_only=True, phone="+33698765432")
    result = patient_merge(actor=staff, channel=Channel.WEB, keep=kept, duplicate=duplicate)
    assert (result.nir, result.identity_status) == (VALID_NIR, IdentityStatus.QUALIFIED)
    assert (result.last_name, result.birth_date) == (kept.last_name, kept.birth_date)
    assert result.phone == "+33698765432"  # the kept record had none: filled from the duplicate
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == kept.pk
