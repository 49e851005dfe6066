"""The ledger's writes from bookings: a completed appointment becomes an act with its billing lines.

The act is written by a subscriber to the appointment transitions (registered in ``apps.py``), inside the
completion's transaction: the completion's audit row covers it, and an act exists if and only if the completion
committed. A housekeeping job records any completed appointment that has no act yet (appointments completed
before this app existed, or written in bulk by the demo), so the ledger is complete without a manual step.

Codes of a booking act: the remote professional's code is the one typed on the completion form when it is a
known code of that role, else the use's usual code (general teleconsultation TCG, specialist TC, téléexpertise
TE2); the assisting professional's follows from their profession (nurse in a dedicated place TLL, pharmacist
TLM; a nurse requesting a téléexpertise RQD). Each line is priced by the tariff in force on the act's day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from maille.directory.models import NetworkRole, NetworkRoleKind, OrganisationKind, Profession, UseKind
from maille.scheduling.models import Appointment, AppointmentStatus, AppointmentTransition
from maille.scheduling.wallclock import PARIS

from .models import Act, ActCategory, ActSource, BillingLine, BillingRole, DoctorPractice
from .tariffs import TariffBook

CATEGORY_OF_USE = {
    UseKind.GENERAL_TELECONSULTATION: ActCategory.TELECONSULTATION,
    UseKind.SPECIALIST_TELECONSULTATION: ActCategory.TELECONSULTATION,
    UseKind.TELEEXPERTISE: ActCategory.TELEEXPERTISE,
    UseKind.REMOTE_MONITORING: ActCategory.TELEMONITORING,
    UseKind.PREVENTION: ActCategory.PREVENTION,
}
REMOTE_CODE_OF_USE = {
    UseKind.GENERAL_TELECONSULTATION: "TCG",
    UseKind.SPECIALIST_TELECONSULTATION: "TC",
    UseKind.TELEEXPERTISE: "TE2",
}
ASSISTANT_CODE = {
    ActCategory.TELECONSULTATION: {Profession.NURSE: "TLL", Profession.PHARMACIST: "TLM"},
    ActCategory.TELEEXPERTISE: {Profession.NURSE: "RQD", Profession.DOCTOR: "RQD", Profession.MIDWIFE: "RQD"},
}
PRACTICE_OF_ORGANISATION = {
    OrganisationKind.HEALTH_CENTRE: DoctorPractice.HEALTH_CENTRE,
    OrganisationKind.HOSPITAL: DoctorPractice.SALARIED,
}
BACKFILL_BATCH = 2000


def pseudonym(namespace: str, value: object) -> int:
    """A keyed hash of a patient reference, its first 64 bits as a signed integer (what the database counts
    fastest): the same patient gets the same number, nobody can reverse it; two patients share one with a
    probability of about n²/2⁶⁵ (one in ten million for 2 million patients)."""
    key = settings.EVALUATION_PSEUDONYM_KEY.encode()
    digest = hmac.new(key, f"{namespace}:{value}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def age_on(birth_date: dt.date | None, day: dt.date) -> int | None:
    if birth_date is None or birth_date > day:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def declared_codes(raw: str) -> list[str]:
    return [part for part in re.split(r"[\s+,;/]+", raw.upper()) if part]


class _Practices:
    """The doctors' way of practising, from their remote-doctor role's organisation (liberal by default)."""

    def __init__(self, doctor_ids: Iterable[int]) -> None:
        self.by_doctor: dict[int, str] = {}
        roles = NetworkRole.objects.filter(
            professional_id__in=set(doctor_ids),
            kind=NetworkRoleKind.REMOTE_DOCTOR,
            organisation__isnull=False,
        ).values_list("professional_id", "organisation__kind")
        for doctor_id, kind in roles:
            self.by_doctor.setdefault(doctor_id, PRACTICE_OF_ORGANISATION.get(kind, DoctorPractice.LIBERAL))

    def of(self, doctor_id: int) -> str:
        return self.by_doctor.get(doctor_id, DoctorPractice.LIBERAL)


def _codes(appointment: Appointment, category: str, book: TariffBook) -> list[tuple[str, str]]:
    """(code, RPPS of who bills it) for a completed appointment."""
    remote = [
        code
        for code in declared_codes(appointment.act_code)
        if code in book.codes and book.codes[code].role == BillingRole.REMOTE
    ]
    codes: list[tuple[str, str]] = []
    usual = REMOTE_CODE_OF_USE.get(appointment.use.kind)
    if remote:
        codes.append((remote[0], appointment.doctor.rpps))
    elif usual:
        codes.append((usual, appointment.doctor.rpps))
    assistant = appointment.assistant
    if assistant is not None:
        code = ASSISTANT_CODE.get(category, {}).get(assistant.profession)
        if code:
            codes.append((code, assistant.rpps))
    return codes


def _build(
    appointment: Appointment, book: TariffBook, practices: _Practices
) -> tuple[Act, list[BillingLine]]:
    category = CATEGORY_OF_USE.get(appointment.use.kind, ActCategory.TELECONSULTATION)
    day = appointment.starts_at.astimezone(PARIS).date()
    patient = appointment.patient
    act = Act(
        source=ActSource.BOOKING,
        appointment=appointment,
        performed_on=day,
        performed_at=appointment.started_at or appointment.starts_at,
        category=category,
        site_id=appointment.site_id,
        commune_id=appointment.site.commune_id,
        use_id=appointment.use_id,
        doctor_id=appointment.doctor_id,
        doctor_rpps=appointment.doctor.rpps,
        doctor_practice=practices.of(appointment.doctor_id),
        assistant_id=appointment.assistant_id,
        assistant_profession=appointment.assistant.profession if appointment.assistant else "",
        duration_minutes=appointment.duration_minutes,
        booked_at=appointment.created_at,
        booking_delay_days=max(0, (day - appointment.created_at.astimezone(PARIS).date()).days),
        declared_code=appointment.act_code[:40],
        patient_pseudonym=pseudonym("patient", patient.pk),
        patient_commune_id=patient.commune_id,
        patient_sex=patient.sex,
        patient_age=age_on(patient.birth_date, day),
        has_medecin_traitant=patient.has_medecin_traitant,
        is_ald=patient.is_ald,
        report_sent_to_medecin_traitant=appointment.report_sent_to_medecin_traitant,
        is_fictional=appointment.is_fictional,
    )
    return act, priced_lines(act, _codes(appointment, category, book), book)


def priced_lines(act: Act, codes: Iterable[tuple[str, str]], book: TariffBook) -> list[BillingLine]:
    """The act's billing lines for ``codes`` ((code, RPPS of who bills it)), each priced by the tariff in force on
    the act's day; sets the act's amount and its count of lines without a tariff."""
    lines = []
    for code, rpps in codes:
        priced = book.price(code, act.performed_on)
        lines.append(BillingLine(act=act, code_id=code, tariff_id=priced.tariff_id, amount=priced.amount,
                                 professional_rpps=rpps))  # fmt: skip
    act.amount = sum((line.amount for line in lines if line.amount is not None), Decimal("0"))
    act.unpriced_lines = sum(1 for line in lines if line.amount is None)
    return lines


def _completed_without_act() -> QuerySet[Appointment]:
    return Appointment.objects.filter(status=AppointmentStatus.COMPLETED, act__isnull=True).select_related(
        "use", "site", "doctor", "assistant", "patient"
    )


def act_record_for_appointment(appointment: Appointment) -> Act | None:
    """The act of a completed appointment (called inside its completion's transaction; once only)."""
    completed = _completed_without_act().filter(pk=appointment.pk).first()
    if completed is None:
        return None
    act, lines = _build(completed, TariffBook(), _Practices([completed.doctor_id]))
    act.save()
    BillingLine.objects.bulk_create(lines)
    return act


def act_for_transition(transition: AppointmentTransition) -> None:
    """The transitions' subscriber: a completion writes its act."""
    if transition.name == "complete":
        act_record_for_appointment(transition.appointment)


def acts_backfill() -> int:
    """Record every completed appointment that has no act yet (housekeeping; also the demo's loader)."""
    book: TariffBook | None = None
    written = 0
    while True:
        with transaction.atomic():
            batch = list(
                _completed_without_act().order_by("pk").select_for_update(of=("self",))[:BACKFILL_BATCH]
            )
            if not batch:
                return written
            book = book or TariffBook()
            practices = _Practices(a.doctor_id for a in batch)
            built = [_build(appointment, book, practices) for appointment in batch]
            acts = Act.objects.bulk_create([act for act, _lines in built])
            lines = []
            for act, (_act, act_lines) in zip(acts, built, strict=True):
                for line in act_lines:
                    line.act = act
                    lines.append(line)
            BillingLine.objects.bulk_create(lines, batch_size=BACKFILL_BATCH)
            written += len(acts)
