"""A patient books alone on a phone-sized screen (real Chromium, strict CSP): commune → slot → identity →
code → the appointment's page, then cancels it; every step of the public pages passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from maille.notifications.models import Message, MessageKind
from maille.public.links import manage_token, offer_token
from maille.scheduling.models import Appointment, AppointmentStatus
from maille.scheduling.services import appointment_hold_offer
from tests.browser.pages import PublicBookingPage
from tests.patients.factories import PatientFactory
from tests.public.support import first_slot, last_code
from tests.scheduling.factories import make_network

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True, "locale": "fr-FR"}


@pytest.fixture
def net(transactional_db, settings, tmp_path):
    settings.NOTIFICATIONS_FILE = str(tmp_path / "outbox.jsonl")
    network = make_network(commune_code="55463")
    commune = network.site.commune
    commune.name, commune.postal_codes = "Saint-Mihiel", ["55300"]
    commune.save()
    return network


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors
    yield page
    context.close()


@pytest.fixture
def phone_audit_page(browser):
    context = browser.new_context(bypass_csp=True, **PHONE)
    yield context.new_page()
    context.close()


def walk_to_code(booking: PublicBookingPage, net, *, audit: list | None = None) -> None:
    booking.open()
    booking.check(audit, "start")
    booking.find(use=net.use.name, place="55300")
    expect(booking.heading).to_have_text(net.use.name)
    expect(booking.site_groups.first).to_contain_text(net.site.name)
    booking.check(audit, "slots")
    booking.choose_first_time()
    expect(booking.heading).to_have_text("Pour qui est ce rendez-vous ?")
    expect(booking.held_slot).to_contain_text(net.site.name)
    # the relative's name is asked only for a relative
    relative_name = booking.page.get_by_label("Votre nom", exact=True)
    expect(relative_name).to_be_hidden()
    booking.page.get_by_label("Je prends ce rendez-vous pour un proche").check()
    expect(relative_name).to_be_visible()
    booking.page.get_by_label("Je prends ce rendez-vous pour un proche").uncheck()
    booking.check(audit, "identity")
    booking.give_identity(
        last_name="Martin", first_name="Jeanne", birth_date="1948-03-02", contact="06 12 34 56 78"
    )
    expect(booking.heading).to_have_text("Saisissez le code reçu")
    expect(booking.page.get_by_test_id("code-sent-to")).to_contain_text("…56 78")
    booking.check(audit, "code")


def test_a_patient_books_alone_on_a_phone_then_cancels(phone_page, live_server, net):
    booking = PublicBookingPage(phone_page, live_server.url)
    walk_to_code(booking, net)
    booking.type_code("000000" if last_code() != "000000" else "111111")
    expect(booking.page.get_by_text("Il vous reste 4 essai(s).")).to_be_visible()
    booking.type_code(last_code())
    expect(booking.heading).to_have_text("Votre rendez-vous")
    expect(booking.page.get_by_role("status")).to_contain_text("Votre rendez-vous est confirmé.")
    expect(booking.page.get_by_test_id("appointment-status")).to_contain_text("réservé")
    assert booking.fits_the_screen()
    appointment = Appointment.objects.get(status=AppointmentStatus.BOOKED)
    assert appointment.patient.phone == "+33612345678"
    booking.cancel(reason="Je vais mieux")
    expect(booking.page.get_by_test_id("appointment-status")).to_contain_text("annulé")
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CANCELLED
    # the wrong code answered 400 (the form with its error): the only failed load
    assert [e for e in phone_page.console_errors if "status of 400" not in e] == []


def test_every_public_page_passes_axe_on_a_phone(phone_audit_page, live_server, net):
    booking = PublicBookingPage(phone_audit_page, live_server.url)
    audited: list[tuple[str, list]] = []
    walk_to_code(booking, net, audit=audited)
    booking.type_code("12")  # an error beside its field
    booking.check(audited, "code with error")
    booking.type_code(last_code())
    expect(booking.heading).to_have_text("Votre rendez-vous")
    booking.check(audited, "manage")
    appointment = Appointment.objects.get(status=AppointmentStatus.BOOKED)
    booking.page.goto(f"{live_server.url}/rdv/gerer/{manage_token(appointment)}/deplacer/")
    expect(booking.heading).to_have_text("Déplacer le rendez-vous")
    booking.check(audited, "move")
    booking.page.goto(f"{live_server.url}/rdv/gerer/{manage_token(appointment)}x/")
    expect(booking.heading).to_have_text("Ce lien ne peut pas être utilisé")
    booking.check(audited, "link refused")
    patient = PatientFactory(commune=net.site.commune, phone="+33698765432", email="")
    offer = appointment_hold_offer(patient=patient, use=net.use, site=net.site,
                                   starts_at=first_slot(net).starts_at, hold_minutes=240)  # fmt: skip
    assert Message.objects.filter(kind=MessageKind.WAITLIST_OFFER, appointment=offer).exists()
    booking.page.goto(f"{live_server.url}/rdv/offre/{offer_token(offer)}/")
    expect(booking.heading).to_have_text("Un créneau s'est libéré pour vous")
    booking.check(audited, "offer")
    booking.page.goto(f"{live_server.url}/rdv/?usage={net.use.pk}&lieu=Atlantide")
    booking.check(audited, "unknown place")
    assert [name for name, _ in audited] == [
        "start", "slots", "identity", "code", "code with error", "manage", "move", "link refused", "offer",
        "unknown place",
    ]  # fmt: skip
    assert {name: violations for name, violations in audited if violations} == {}
