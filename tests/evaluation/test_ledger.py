"""The ledger from bookings: a completion writes one act with its priced lines, in the same transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from maille.core.housekeeping import housekeeping_run, registered_jobs
from maille.directory.models import OrganisationKind, Profession
from maille.evaluation.ledger import acts_backfill, pseudonym
from maille.evaluation.models import Act, ActCategory, ActSource, DoctorPractice, Tariff
from maille.evaluation.tariffs import tariff_add
from maille.scheduling.models import Appointment
from tests.directory.factories import OrganisationFactory
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import make_network, make_use, paris

from .helpers import completed

pytestmark = pytest.mark.django_db

MONDAY_NINE = paris(2026, 3, 2, 9)


@pytest.fixture
def net():
    return make_network()


def test_a_completed_teleconsultation_becomes_one_act_with_the_doctor_and_nurse_codes(net):
    patient = PatientFactory(has_medecin_traitant=False, is_ald=True, birth_date=dt.date(1950, 5, 17))
    appointment = completed(net, at=MONDAY_NINE, patient=patient, duration=22)
    act = Act.objects.get()
    assert act.appointment == appointment
    assert (act.source, act.category, act.performed_on) == (ActSource.BOOKING, ActCategory.TELECONSULTATION,
                                                            dt.date(2026, 3, 2))  # fmt: skip
    assert (act.site, act.commune_id, act.doctor, act.assistant) == (net.site, net.site.commune_id, net.doctor,
                                                                     net.nurse)  # fmt: skip
    assert (act.duration_minutes, act.doctor_rpps, act.assistant_profession) == (
        22,
        net.doctor.rpps,
        "infirmier",
    )
    # the patient: a keyed hash and the attributes indicators need, no identity
    assert act.patient_pseudonym == pseudonym("patient", patient.pk) != pseudonym("import", patient.pk)
    assert len(act.patient_label) == 16
    assert (act.patient_age, act.has_medecin_traitant, act.is_ald) == (75, False, True)
    assert act.report_sent_to_medecin_traitant is True
    lines = {line.code_id: line for line in act.lines.all()}
    assert set(lines) == {"TCG", "TLL"}
    assert (lines["TCG"].amount, lines["TLL"].amount) == (Decimal("25.00"), Decimal("12.00"))
    assert (lines["TCG"].professional_rpps, lines["TLL"].professional_rpps) == (
        net.doctor.rpps,
        net.nurse.rpps,
    )
    assert act.amount == Decimal("37.00")
    assert act.unpriced_lines == 0


def test_the_code_typed_at_completion_wins_when_it_is_a_remote_professionals_code(net):
    completed(net, at=MONDAY_NINE, act_code="tc")
    assert sorted(Act.objects.get().lines.values_list("code_id", flat=True)) == ["TC", "TLL"]
    assert Act.objects.get().declared_code == "tc"


def test_an_unknown_typed_code_falls_back_on_the_uses_usual_code(net):
    completed(net, at=MONDAY_NINE, act_code="TTE")  # a legacy code: kept as declared, priced as the use's
    act = Act.objects.get()
    assert sorted(act.lines.values_list("code_id", flat=True)) == ["TCG", "TLL"]
    assert act.declared_code == "TTE"


def test_a_pharmacist_assisting_bills_the_tracer_code():
    net = make_network(use=make_use("tlc-officine", assisting=(Profession.PHARMACIST,)))
    net.nurse.profession = Profession.PHARMACIST
    net.nurse.save()
    completed(net, at=MONDAY_NINE)
    lines = dict(Act.objects.get().lines.values_list("code_id", "amount"))
    assert lines == {"TCG": Decimal("25.00"), "TLM": Decimal("1.00")}


def test_a_doctor_of_a_health_centre_is_counted_as_such(net):
    role = net.doctor.network_roles.get()
    role.organisation = OrganisationFactory(kind=OrganisationKind.HEALTH_CENTRE)
    role.save()
    completed(net, at=MONDAY_NINE)
    assert Act.objects.get().doctor_practice == DoctorPractice.HEALTH_CENTRE


def test_a_later_change_of_tariff_never_reprices_a_recorded_act(net):
    completed(net, at=MONDAY_NINE)
    tariff_add(None, code="TCG", amount=Decimal("30"), valid_from=dt.date(2026, 6, 1), source="test",
               today=dt.date(2026, 5, 1))  # fmt: skip
    act = Act.objects.get()
    assert act.lines.get(code_id="TCG").amount == Decimal("25.00")
    assert act.amount == Decimal("37.00")
    completed(net, at=paris(2026, 6, 1, 9))
    later = Act.objects.get(performed_on=dt.date(2026, 6, 1))
    assert later.lines.get(code_id="TCG").amount == Decimal("30.00")
    assert later.lines.get(code_id="TCG").tariff == Tariff.objects.get(
        code_id="TCG", valid_from=dt.date(2026, 6, 1)
    )


def test_acts_without_a_tariff_that_day_are_recorded_and_flagged(net):
    Tariff.objects.filter(code_id="TLL").update(valid_from=dt.date(2027, 1, 1))
    completed(net, at=MONDAY_NINE)
    act = Act.objects.get()
    assert act.unpriced_lines == 1
    assert act.lines.get(code_id="TLL").amount is None
    assert act.amount == Decimal("25.00")


def test_the_housekeeping_job_records_completed_appointments_written_without_their_act(net):
    first = completed(net, at=MONDAY_NINE)
    second = completed(net, at=paris(2026, 3, 3, 9))
    Act.objects.filter(appointment=second).delete()  # as the demo's bulk writes, or an older installation
    assert "evaluation_acts_backfill" in [job.name for job in registered_jobs()]
    assert housekeeping_run()["evaluation_acts_backfill"] == 1
    assert set(Act.objects.values_list("appointment_id", flat=True)) == {first.pk, second.pk}
    assert acts_backfill() == 0  # nothing counted twice
    assert Act.objects.get(appointment=second).lines.count() == 2


def test_only_completions_write_acts(net):
    from maille.core.models import Channel
    from maille.scheduling.services import appointment_book, appointment_cancel

    appointment = appointment_book(actor=None, channel=Channel.PHONE, patient=PatientFactory(), use=net.use,
                                   site=net.site, starts_at=MONDAY_NINE, now=MONDAY_NINE - dt.timedelta(days=2))  # fmt: skip
    appointment_cancel(actor=None, channel=Channel.PHONE, appointment=appointment, reason="test")
    assert Appointment.objects.count() == 1
    assert not Act.objects.exists()
    assert acts_backfill() == 0
