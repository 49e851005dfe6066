"""Demo agendas: bulk-written appointments are exactly what the services write; the loaded demo has
plausible counts and rates, and never a double booking."""

from __future__ import annotations

import datetime as dt
import io

import phonenumbers
import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from maille.core.models import AuditEvent, Channel
from maille.demo.scheduling import (
    PATIENT_PHONE_PREFIX,
    PlannedAppointment,
    load_demo_scheduling,
    write_appointments,
)
from maille.directory.models import NetworkRole, NetworkRoleKind, Room, SiteLevel, Use
from maille.evaluation.models import Act
from maille.notifications.models import Message, MessageKind, MessageState
from maille.patients.models import Patient
from maille.scheduling.engine import SlotQuery, find_slots
from maille.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentTransition,
    AvailabilityRule,
    ReservedRange,
    ResourceBooking,
)
from maille.scheduling.selectors import double_bookings_count
from maille.scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_confirm,
    appointment_no_show,
    appointment_start,
)
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import make_network, make_use, paris

S = AppointmentStatus
BOOKED_AT = paris(2026, 3, 2, 8)
STARTS = paris(2026, 3, 4, 9, 20)


def _rows(appointment_id: int) -> dict:
    """Everything the services write for one appointment, without ids and database-clock stamps."""
    appointment = Appointment.objects.filter(pk=appointment_id).values().get()
    # The demo's rows are flagged fictional; the services' rows are not (compared apart).
    for name in ("id", "created_at", "is_fictional"):
        appointment.pop(name)
    return {
        "appointment": appointment,
        "transitions": list(
            AppointmentTransition.objects.filter(appointment_id=appointment_id)
            .order_by("pk")
            .values_list("name", "from_status", "to_status", "actor_id", "channel", "reason")
        ),
        "audit": list(
            AuditEvent.objects.filter(target_type="scheduling.appointment", target_id=str(appointment_id))
            .order_by("pk")
            .values_list("action", "actor_id", "actor_label", "channel", "reason", "details")
        ),
        "busy": sorted(
            ResourceBooking.objects.filter(appointment_id=appointment_id).values_list(
                "resource_key", "starts_at", "ends_at", "starts_minute", "ends_minute", "hold_expires_minute"
            )
        ),
    }


def _through_services(net, patient, outcome: str) -> Appointment:
    appointment = appointment_book(
        actor=None, channel=Channel.PHONE, patient=patient, use=net.use, site=net.site, starts_at=STARTS,
        room=net.room, assistant=net.nurse, doctor=net.doctor, now=BOOKED_AT,
    )  # fmt: skip
    appointment = appointment_confirm(actor=None, channel=Channel.PHONE, appointment=appointment)
    if outcome == S.CANCELLED:
        return appointment_cancel(
            actor=None,
            channel=Channel.PHONE,
            appointment=appointment,
            reason="Patient hospitalisé",
            by_patient=True,
        )
    if outcome == S.NO_SHOW:
        return appointment_no_show(
            actor=None, channel=Channel.SITE, appointment=appointment, now=STARTS + dt.timedelta(minutes=15)
        )
    appointment = appointment_check_in(
        actor=None, channel=Channel.SITE, appointment=appointment, now=STARTS - dt.timedelta(minutes=5)
    )
    appointment = appointment_start(actor=None, channel=Channel.SITE, appointment=appointment, now=STARTS)
    return appointment_complete(
        actor=None, channel=Channel.SITE, appointment=appointment, duration_minutes=23, act_code="TCG",
        report_sent_to_medecin_traitant=True, prescription_issued=True, now=STARTS + dt.timedelta(minutes=23),
    )  # fmt: skip


def _plan(net, patient, outcome: str) -> PlannedAppointment:
    plan = PlannedAppointment(
        use=net.use, site_id=net.site.pk, room_id=net.room.pk, assistant_id=net.nurse.pk, doctor_id=net.doctor.pk,
        patient_id=patient.pk, starts_at=STARTS, ends_at=STARTS + dt.timedelta(minutes=20), channel=Channel.PHONE,
        booked_at=BOOKED_AT, confirmed_at=BOOKED_AT + dt.timedelta(hours=1), outcome=outcome,
    )  # fmt: skip
    if outcome == S.CANCELLED:
        plan.cancelled_at, plan.cancel_reason, plan.cancelled_by_patient = STARTS, "Patient hospitalisé", True
    elif outcome == S.NO_SHOW:
        plan.no_show_at = STARTS + dt.timedelta(minutes=15)
    else:
        plan.checked_in_at, plan.started_at = STARTS - dt.timedelta(minutes=5), STARTS
        plan.completed_at, plan.duration_minutes = STARTS + dt.timedelta(minutes=23), 23
        plan.act_code, plan.report_sent_to_medecin_traitant, plan.prescription_issued = "TCG", True, True
    return plan


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", [S.COMPLETED, S.NO_SHOW, S.CANCELLED])
def test_bulk_written_appointment_has_exactly_the_rows_of_the_services(outcome):
    net = make_network(use=make_use(buffer=5))
    patient = PatientFactory()
    by_services = _through_services(net, patient, outcome)
    expected = _rows(by_services.pk)
    assert expected["transitions"]
    assert expected["audit"]
    assert len(expected["busy"]) == (0 if outcome == S.CANCELLED else 3)
    AuditEvent.objects.filter(target_id=str(by_services.pk), target_type="scheduling.appointment").delete()
    Act.objects.filter(appointment=by_services).delete()  # the ledger's act of a completion protects it
    by_services.delete()

    (bulk,) = write_appointments([_plan(net, patient, outcome)])

    assert _rows(bulk.pk) == expected
    assert bulk.is_fictional
    # The history keeps its own moments, in order.
    assert bulk.created_at == BOOKED_AT
    moments = list(
        AppointmentTransition.objects.filter(appointment=bulk).values_list("occurred_at", flat=True)
    )
    assert moments == sorted(moments)
    assert moments[0] == BOOKED_AT
    assert double_bookings_count() == 0


@pytest.mark.django_db(transaction=True)
def test_demo_agendas_have_plausible_rates_no_double_booking_and_load_idempotently():
    """One test, because loading the region takes a while."""
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "rendez-vous" in out.getvalue()
    today = timezone.localdate()

    # Availability for the next 8 weeks for every room, assistant and doctor.
    horizon = today + dt.timedelta(weeks=8)
    covered = AvailabilityRule.objects.filter(valid_from__lte=today, valid_until=horizon)
    assert set(covered.exclude(room=None).values_list("room_id", flat=True)) == set(
        Room.objects.values_list("pk", flat=True)
    )
    people = set(NetworkRole.objects.filter(kind__in=[NetworkRoleKind.ASSISTANT, NetworkRoleKind.REMOTE_DOCTOR])
                 .values_list("professional_id", flat=True))  # fmt: skip
    assert set(covered.exclude(professional=None).values_list("professional_id", flat=True)) == people
    assert not covered.filter(professional__profession="medecin", site__isnull=False).exists()
    assert ReservedRange.objects.filter(use__code="tlc-dermato").count() == 4
    assert set(ReservedRange.objects.values_list("site__level", flat=True)) == {SiteLevel.MSP_2_0}
    slots = find_slots(SlotQuery(use=Use.objects.get(code="tlc-mg"), latitude=49.0, longitude=5.3))
    assert len(slots) == 10
    assert all(s.starts_at.date() <= horizon for s in slots)

    # About six months of history with the e-Meuse rates.
    past = Appointment.objects.filter(starts_at__lt=timezone.now())
    # Like every demo record, the demo's patients and appointments are flagged fictional.
    assert Appointment.objects.exists()
    assert not Appointment.objects.filter(is_fictional=False).exists()
    assert Patient.objects.exists()
    assert not Patient.objects.filter(is_fictional=False).exists()
    status = dict(past.values_list("status").annotate(n=Count("pk")))
    assert set(status) == {S.COMPLETED, S.NO_SHOW, S.CANCELLED}
    kept = status[S.COMPLETED] + status[S.NO_SHOW]
    assert 2000 <= kept <= 5000
    assert 0.96 <= status[S.COMPLETED] / kept <= 0.985
    assert 0.015 <= status[S.NO_SHOW] / kept <= 0.04
    assert 0.02 <= status[S.CANCELLED] / sum(status.values()) <= 0.1
    assert not past.filter(status=S.CANCELLED, cancel_reason="").exists()
    first = past.order_by("starts_at").first()
    assert 170 <= (today - timezone.localdate(first.starts_at)).days <= 183
    completed = past.filter(status=S.COMPLETED)
    durations = set(completed.values_list("duration_minutes", flat=True))
    assert durations
    assert min(durations) >= 20
    assert max(durations) <= 25
    assert not completed.filter(
        report_sent_to_medecin_traitant=True, patient__has_medecin_traitant=False
    ).exists()
    assert completed.filter(report_sent_to_medecin_traitant=True).exists()
    assert 0.5 < completed.filter(prescription_issued=True).count() / completed.count() < 0.9
    assert 0.02 < completed.filter(referred_in_person=True).count() / completed.count() < 0.15
    assert Appointment.objects.filter(use__code="tlc-dermato", status=S.COMPLETED).exists()
    upcoming = Appointment.objects.filter(starts_at__gt=timezone.now())
    assert set(upcoming.values_list("status", flat=True)) <= {S.BOOKED, S.CONFIRMED}
    assert upcoming.exists()
    # Upcoming appointments of patients with an email have their confirmation waiting for the worker.
    confirmations = Message.objects.filter(kind=MessageKind.CONFIRMATION, state=MessageState.PENDING)
    reachable = upcoming.exclude(patient__email="")
    assert reachable.exists()
    assert set(confirmations.values_list("appointment_id", flat=True)) == set(
        reachable.values_list("pk", flat=True)
    )
    assert not Message.objects.exclude(recipient__endswith="@example.org").exists()

    # Invariants: one busy row per resource while held, a transition log ending at the status.
    assert double_bookings_count() == 0
    busy = dict(Appointment.objects.values_list("pk").annotate(n=Count("resource_bookings")))
    for pk, state in Appointment.objects.values_list("pk", "status"):
        assert busy[pk] == (0 if state == S.CANCELLED else 3), (pk, state)
    last = {}
    for appointment_id, to_status in AppointmentTransition.objects.order_by("occurred_at", "pk").values_list(
        "appointment_id", "to_status"
    ):
        last[appointment_id] = to_status
    assert last == dict(Appointment.objects.values_list("pk", "status"))
    audited = AuditEvent.objects.filter(target_type="scheduling.appointment").count()
    assert audited == AppointmentTransition.objects.count()

    # Fictional patients: fake names, numbers in the fiction range, no NIR, mostly without médecin traitant.
    patients = Patient.objects.all()
    assert 1000 <= patients.count() <= 3000
    assert not patients.exclude(phone__startswith=PATIENT_PHONE_PREFIX).exists()
    assert all(
        phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in patients.values_list("phone", flat=True)
    )
    assert not patients.exclude(nir="").exists()
    assert 0.75 <= patients.filter(has_medecin_traitant=False).count() / patients.count() <= 0.85
    assert 0.15 <= patients.filter(is_ald=True).count() / patients.count() <= 0.45
    assert set(patients.values_list("commune__departement_id", flat=True)) <= {"52", "54", "55"}

    counts = (Appointment.objects.count(), Patient.objects.count(), AvailabilityRule.objects.count(),
              AuditEvent.objects.count())  # fmt: skip
    call_command("demo", stdout=io.StringIO())
    assert (Appointment.objects.count(), Patient.objects.count(), AvailabilityRule.objects.count(),
            AuditEvent.objects.count()) == counts  # fmt: skip

    # Loaded again another day, the agendas are re-anchored, not added to.
    summary = load_demo_scheduling(today=today + dt.timedelta(days=1))
    assert summary["skipped"] == 0
    assert Patient.objects.count() == counts[1]
    assert AvailabilityRule.objects.filter(valid_until=horizon + dt.timedelta(days=1)).count() == counts[2]
    assert Appointment.objects.count() == summary["appointments"]
    assert double_bookings_count() == 0
