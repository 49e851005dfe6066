"""The waiting list: entries, offers made oldest first as holds in the patient's name with their message,
lapsed offers waiting again up to a bound, booked offers, closing, and the booker's page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from maille.accounts.models import Role
from maille.core.errors import DomainError
from maille.core.models import AuditEvent, Channel
from maille.notifications.models import Message, MessageKind, MessageState
from maille.scheduling.models import Appointment, AppointmentStatus, WaitlistEntry, WaitlistStatus
from maille.scheduling.services import appointment_book_hold, holds_expire
from maille.scheduling.waitlist import MAX_OFFERS, waitlist_add, waitlist_close, waitlist_offers_run
from tests.factories import DepartementFactory, user_with_role
from tests.patients.factories import PatientFactory

from .factories import make_network

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(settings, tmp_path):
    settings.WAITLIST_OFFER_HOURS = 4
    settings.NOTIFICATIONS_FILE = str(tmp_path / "outbox.jsonl")
    return make_network()


def enrol(net, *, days=14, **patient):
    patient = PatientFactory(commune=net.site.commune, **({"email": ""} | patient))
    today = timezone.localdate()
    return waitlist_add(actor=None, channel=Channel.PHONE, patient=patient, use=net.use, earliest=today,
                        latest=today + dt.timedelta(days=days))  # fmt: skip


def test_an_entry_needs_the_patient_s_commune_and_sensible_dates(net):
    today = timezone.localdate()
    homeless = PatientFactory(commune=None)
    with pytest.raises(DomainError, match="commune du patient est inconnue"):
        waitlist_add(
            actor=None, channel=Channel.PHONE, patient=homeless, use=net.use, earliest=today, latest=today
        )
    someone = PatientFactory(commune=net.site.commune)
    with pytest.raises(DomainError, match="précède"):
        waitlist_add(actor=None, channel=Channel.PHONE, patient=someone, use=net.use, earliest=today,
                     latest=today - dt.timedelta(days=1))  # fmt: skip
    entry = waitlist_add(actor=None, channel=Channel.PHONE, patient=someone, use=net.use, earliest=today,
                         latest=today + dt.timedelta(days=7))  # fmt: skip
    assert (entry.latitude, entry.longitude) == (net.site.commune.latitude, net.site.commune.longitude)
    assert AuditEvent.objects.filter(action="waitlist.add", target_id=str(entry.pk)).exists()
    with pytest.raises(DomainError, match="attend déjà"):
        waitlist_add(actor=None, channel=Channel.PHONE, patient=someone, use=net.use, earliest=today,
                     latest=today + dt.timedelta(days=7))  # fmt: skip


def test_a_free_slot_is_offered_oldest_first_as_a_hold_in_the_patient_s_name_with_its_message(net):
    first, second = enrol(net), enrol(net)
    now = timezone.now()
    assert waitlist_offers_run(now=now) == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (WaitlistStatus.OFFERED, WaitlistStatus.OFFERED)
    assert first.offer.starts_at <= second.offer.starts_at  # the oldest entry chose first
    hold = first.offer
    assert (hold.status, hold.patient_id, hold.created_by_id) == (
        AppointmentStatus.HELD,
        first.patient_id,
        None,
    )
    assert hold.hold_expires_at == now + dt.timedelta(hours=4)
    assert hold.transitions.get().reason == "liste d'attente"
    offer = Message.objects.get(appointment=hold)
    assert (offer.kind, offer.state) == (MessageKind.WAITLIST_OFFER, MessageState.PENDING)
    assert "Il vous est réservé jusqu'au" in offer.body
    assert waitlist_offers_run(now=now) == 0  # nobody waits any more


def test_a_lapsed_offer_waits_again_then_closes_after_the_last_offer(net):
    entry = enrol(net)
    now = timezone.now()
    for round_ in range(1, MAX_OFFERS + 1):
        assert waitlist_offers_run(now=now) == 1
        entry.refresh_from_db()
        assert entry.offers_made == round_
        hold = entry.offer
        now += dt.timedelta(hours=5)
        holds_expire(now=now)  # the patient did not confirm
        assert Message.objects.get(appointment=hold).state == MessageState.CANCELLED  # never sent late
    waitlist_offers_run(now=now)
    entry.refresh_from_db()
    assert (entry.status, entry.closed_reason) == (WaitlistStatus.CLOSED, "offers_exhausted")


def test_a_confirmed_offer_books_the_entry(net):
    entry = enrol(net)
    waitlist_offers_run()
    entry.refresh_from_db()
    operator = user_with_role(Role.OPERATOR, departement_id="55")
    booked = appointment_book_hold(
        actor=operator, channel=Channel.PHONE, hold=entry.offer, patient=entry.patient
    )
    waitlist_offers_run()
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.BOOKED
    assert Message.objects.filter(appointment=booked, kind=MessageKind.CONFIRMATION).exists()


def test_closing_an_entry_releases_its_offer(net, django_capture_on_commit_callbacks):
    entry = enrol(net)
    waitlist_offers_run()
    entry.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        waitlist_close(actor=None, channel=Channel.PHONE, entry=entry)
    assert Appointment.objects.get(pk=entry.offer_id).status == AppointmentStatus.CANCELLED
    with pytest.raises(DomainError, match="déjà close"):
        waitlist_close(actor=None, channel=Channel.PHONE, entry=entry)


def test_no_offer_outside_the_travel_time_or_the_dates(net):
    far = PatientFactory(commune=net.site.commune)
    entry = waitlist_add(actor=None, channel=Channel.PHONE, patient=far, use=net.use,
                         earliest=timezone.localdate(), latest=timezone.localdate() + dt.timedelta(days=14))  # fmt: skip
    WaitlistEntry.objects.filter(pk=entry.pk).update(latitude=43.3, longitude=5.4)  # Marseille: hours away
    assert waitlist_offers_run() == 0


def test_the_booker_s_page_lists_enrols_and_closes(client, net):
    operator = user_with_role(Role.OPERATOR, departement_id="55")
    client.force_login(operator)
    patient = PatientFactory(commune=net.site.commune, last_name="Lambert")
    url = reverse("scheduling:waitlist_enrol")
    unknown = client.post(url, {"patient": "999999", "use": net.use.pk})
    assert unknown.status_code == 422
    assert "Choisissez d'abord le patient" in unknown.content.decode()
    bad = client.post(url, {"patient": patient.pk, "use": net.use.pk, "earliest": "2026-12-10",
                            "latest": "2026-12-01", "max_travel_minutes": 30})  # fmt: skip
    assert bad.status_code == 422
    assert "La date de fin précède la date de début." in bad.content.decode()
    today = timezone.localdate()
    good = client.post(url, {"patient": patient.pk, "use": net.use.pk, "earliest": today.isoformat(),
                             "latest": (today + dt.timedelta(days=7)).isoformat(), "max_travel_minutes": 30})  # fmt: skip
    assert good.status_code == 302
    page = client.get(reverse("scheduling:waitlist")).content.decode()
    assert "Lambert" in page
    assert AuditEvent.objects.filter(actor=operator, action="patient.read", reason="liste d'attente").exists()
    entry = WaitlistEntry.objects.get(patient=patient)
    client.post(reverse("scheduling:waitlist"), {"entry": entry.pk})
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.CLOSED
    DepartementFactory(code="52", region=net.site.commune.departement.region)
    elsewhere = user_with_role(Role.OPERATOR, departement_id="52")
    client.force_login(elsewhere)
    assert "Lambert" not in client.get(reverse("scheduling:waitlist"), {"closes": "1"}).content.decode()
