"""After the booking: the signed link shows, cancels and moves the appointment; tampered or expired links are
refused in French; a slot offered from the waiting list is taken up or declined through its link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from maille.core.models import Channel
from maille.notifications.models import Message, MessageKind
from maille.public.links import manage_token, offer_token
from maille.scheduling.models import Appointment, AppointmentStatus
from maille.scheduling.selectors import double_bookings_count
from maille.scheduling.services import appointment_hold_offer
from tests.patients.factories import PatientFactory

from .support import book, chosen, first_slot, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(client, net):
    response = book(client, net)
    assert response.status_code == 302
    return response["Location"], Appointment.objects.get(status=AppointmentStatus.BOOKED)


def test_the_link_shows_the_appointment_to_anyone_who_has_it(client, net, booked):
    url, appointment = booked
    page = client.__class__().get(url)  # another browser: the link alone is enough
    assert page.status_code == 200
    html = text(page)
    assert net.site.name in html
    assert "Déplacer ce rendez-vous" in html
    assert "Martin" not in html  # the page names no one


def test_the_patient_cancels_through_the_link(client, net, booked):
    url, appointment = booked
    refused = client.post(url, {"motif": "Je vais mieux"})  # the confirmation box not ticked
    assert refused.status_code == 400
    response = client.post(url, {"motif": "Je vais mieux", "confirmer": "on"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancelled_by_patient
    assert appointment.transitions.filter(name="cancel", channel=Channel.ONLINE).exists()
    assert not appointment.resource_bookings.exists()
    assert Message.objects.filter(appointment=appointment, kind=MessageKind.CANCELLATION).exists()
    page = client.get(url)
    assert "annulé" in text(page)
    assert "Annuler ce rendez-vous" not in text(page)
    # cancelling again changes nothing and says why
    again = client.post(url, {"confirmer": "on"}, follow=True)
    assert "ne peut plus être modifié" in text(again)


def test_the_patient_moves_through_the_link_and_the_link_follows(client, net, booked):
    url, appointment = booked
    page = client.get(reverse("public:move", args=[manage_token(appointment)]))
    assert page.status_code == 200
    later = first_slot(net, index=3)
    response = client.post(
        reverse("public:move", args=[manage_token(appointment)]),
        {"creneau": chosen(later)},
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.RESCHEDULED
    new = appointment.rescheduled_to
    assert new.starts_at == later.starts_at
    assert new.status == AppointmentStatus.BOOKED
    # the old link now shows the new time
    shown = text(client.get(url))
    assert timezone.localtime(later.starts_at).strftime("%H:%M") in shown
    assert Message.objects.filter(appointment=new, kind=MessageKind.CHANGE).exists()
    assert double_bookings_count() == 0


def test_a_move_to_a_slot_just_taken_keeps_the_appointment(client, net, booked):
    url, appointment = booked
    taken = first_slot(net, index=2)
    other = client.__class__()
    from .support import hold

    assert hold(other, net, taken).status_code == 302
    response = client.post(
        reverse("public:move", args=[manage_token(appointment)]),
        {"creneau": chosen(taken)},
    )
    assert response.status_code == 409
    assert "créneau déjà pris" in text(response)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


@pytest.mark.parametrize("change", ["cut", "flip", "other_salt"])
def test_a_tampered_link_is_refused(client, net, booked, change):
    url, appointment = booked
    token = manage_token(appointment)
    if change == "cut":
        token = token[:-3]
    elif change == "flip":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    else:
        token = offer_token(appointment)
    response = client.get(reverse("public:manage", args=[token]))
    assert response.status_code == 400
    assert "Ce lien n'est pas valable" in text(response)


def test_a_link_expires_a_month_after_the_appointment(client, net, booked, settings):
    url, appointment = booked
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=40),
        ends_at=timezone.now() - dt.timedelta(days=40, minutes=-20),
    )
    response = client.get(url)
    assert response.status_code == 410
    assert "Ce lien a expiré" in text(response)


def test_the_waiting_list_offer_is_taken_up_through_its_link(client, net):
    patient = PatientFactory(commune=net.site.commune, phone="+33612345678", email="")
    slot = first_slot(net)
    offer = appointment_hold_offer(patient=patient, use=net.use, site=net.site, starts_at=slot.starts_at,
                                   hold_minutes=240)  # fmt: skip
    message = Message.objects.get(kind=MessageKind.WAITLIST_OFFER)
    assert "https://rdv.example.org/rdv/offre/" in message.body
    url = reverse("public:offer", args=[offer_token(offer)])
    assert "Je prends ce rendez-vous" in text(client.get(url))
    response = client.post(url, {"action": "accept"})
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == AppointmentStatus.BOOKED
    assert offer.patient == patient
    assert "ce rendez-vous est confirmé" in text(client.get(url)).lower()


def test_a_declined_offer_frees_the_slot(client, net):
    patient = PatientFactory(commune=net.site.commune, phone="+33612345678", email="")
    offer = appointment_hold_offer(patient=patient, use=net.use, site=net.site,
                                   starts_at=first_slot(net).starts_at, hold_minutes=240)  # fmt: skip
    url = reverse("public:offer", args=[offer_token(offer)])
    assert client.post(url, {"action": "decline"}).status_code == 302
    offer.refresh_from_db()
    assert offer.status == AppointmentStatus.CANCELLED
    assert not offer.resource_bookings.exists()
    page = client.get(url)
    assert 'data-testid="offer-closed"' in page.content.decode()
    # accepting afterwards is refused in French
    follow = client.post(url, {"action": "accept"}, follow=True)
    assert "n'est plus valable" in text(follow)


def test_an_online_hold_is_not_confirmed_by_staff(net, client):
    from maille.scheduling.services import appointment_hold

    hold = appointment_hold(actor=None, channel=Channel.ONLINE, use=net.use, site=net.site,
                            starts_at=first_slot(net).starts_at)  # fmt: skip
    from tests.factories import user_with_role

    operator = user_with_role("phone_operator")
    assert not hold.is_held_by(operator)
    assert hold.is_held_by(None)


def test_the_patient_s_page_carries_the_video_link_only_around_the_appointment(client, net, booked, settings):
    settings.VIDEO_PROVIDER, settings.VIDEO_JITSI_URL, settings.VIDEO_JITSI_APP_ID = (
        "jitsi",
        "https://visio.example.org",
        "",
    )
    url, appointment = booked
    assert 'data-testid="video-link"' not in client.get(url).content.decode()  # days ahead: not yet
    soon = timezone.now() + dt.timedelta(minutes=5)
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=soon, ends_at=soon + dt.timedelta(minutes=20)
    )
    html = client.get(url).content.decode()
    assert 'data-testid="video-link"' in html
    from maille.scheduling.video import room_name

    assert f"https://visio.example.org/{room_name(appointment.pk)}" in html  # the same room as the doctor's
