"""Site staff edit a site's week; an operator books a slot by phone (real Chromium, strict CSP)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from maille.accounts.models import Role
from maille.core.models import Channel
from maille.scheduling.models import Appointment, AppointmentStatus
from tests.browser.pages import AppointmentPage, BookingPage, LoginPage, SiteAgendaPage
from tests.factories import user_with_role
from tests.scheduling.factories import make_network

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "motdepasse-test-1"


@pytest.fixture
def console_errors(page):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def net(transactional_db):
    return make_network()


def log_in(page, live_server, user):
    LoginPage(page, live_server.url).open().log_in(user.username, PASSWORD)


def this_monday() -> str:
    today = timezone.localdate()
    return (today - timezone.timedelta(days=today.weekday())).isoformat()


def test_site_staff_add_a_rule_and_see_it_in_the_week(page, live_server, net, console_errors):
    log_in(page, live_server, user_with_role(Role.SITE_STAFF, site=net.site))
    agenda = SiteAgendaPage(page, live_server.url, net.site.pk).open()
    expect(agenda.heading).to_contain_text(net.site.name)
    room_row = agenda.grid_row(f"Salle : {net.room.name}")
    expect(room_row).not_to_contain_text("14:00–17:00")
    agenda.add_rule(
        resource=f"Salle : {net.room.name}",
        weekday="samedi",
        starts="14:00",
        ends="17:00",
        valid_from=this_monday(),
    )
    expect(page.get_by_role("status")).to_have_text("La disponibilité est enregistrée.")
    expect(agenda.grid_row(f"Salle : {net.room.name}")).to_contain_text("14:00–17:00")
    expect(page.get_by_test_id("rule-list")).to_contain_text("samedi 14:00–17:00")
    assert console_errors == []


def test_operator_books_a_slot_for_a_new_patient(page, live_server, net, console_errors):
    log_in(page, live_server, user_with_role(Role.OPERATOR, departement_id="55"))
    booking = BookingPage(page, live_server.url).open()
    booking.create_patient_from_phone("06 98 76 54 32")
    expect(booking.chosen_patient).to_contain_text("+33698765432")
    booking.choose_use(net.use.name)  # HTMX fetches the slots as soon as the use is chosen
    expect(booking.slots).to_have_count(4)
    expect(page).to_have_url(re.compile(r"/agendas/reserver/"))  # no full page load
    appointment = booking.choose_first_slot()
    expect(appointment.status).to_have_text("option en cours")
    expect(appointment.countdown).to_have_text(re.compile(r"\(\d min \d\d s\)"))
    appointment.confirm_hold()
    expect(appointment.status).to_have_text("réservé")
    booked = Appointment.objects.get()
    assert (booked.status, booked.channel, booked.patient.phone) == (
        AppointmentStatus.BOOKED,
        Channel.PHONE,
        "+33698765432",
    )
    assert console_errors == []


def test_scheduling_pages_have_no_serious_accessibility_violation(audit_page, live_server, net):
    log_in(audit_page, live_server, user_with_role(Role.SITE_STAFF, site=net.site))
    agenda = SiteAgendaPage(audit_page, live_server.url, net.site.pk).open()
    audit_page.get_by_test_id("form-rule").get_by_text("Ajouter une disponibilité récurrente").click()
    assert agenda.accessibility_violations() == []
    booking = BookingPage(audit_page, live_server.url).open()
    booking.choose_use(net.use.name)
    expect(booking.slots).to_have_count(4)
    assert booking.accessibility_violations() == []
    appointment = booking.choose_first_slot()
    expect(appointment.status).to_have_text("option en cours")
    assert appointment.accessibility_violations() == []


def test_the_operator_chooses_a_time_with_its_number_key(page, live_server, net, console_errors):
    log_in(page, live_server, user_with_role(Role.OPERATOR, departement_id="55"))
    booking = BookingPage(page, live_server.url).open()
    expect(page.get_by_test_id("shortcuts")).to_contain_text("touches 1 à 9")
    booking.choose_use(net.use.name)
    expect(booking.slots).to_have_count(4)
    second = booking.slots.nth(1).get_by_role("button")
    expect(second).to_contain_text("2")
    chosen = second.get_attribute("aria-label")
    page.keyboard.press("Escape")  # leave the use field: digits typed in a field stay in the field
    page.locator("body").focus()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("2")
    appointment = AppointmentPage(page, live_server.url)
    expect(appointment.status).to_have_text("option en cours")
    held = Appointment.objects.get()
    assert chosen.endswith(f"à {timezone.localtime(held.starts_at):%H:%M}, {net.site.name}")
    page.keyboard.press("/")  # no search field on this page: nothing happens, no error
    assert console_errors == []


def test_the_operator_books_a_new_caller_by_keyboard_in_three_confirmations(
    page, live_server, net, console_errors
):
    """A caller unknown to the platform: their phone number, the use, a time, confirm — keyboard only, three
    writes (create the file, hold, book); the operator is recorded, the call noted, the confirmation sent."""
    operator = user_with_role(Role.OPERATOR, departement_id="55")
    log_in(page, live_server, operator)
    writes: list[str] = []
    page.on("request", lambda request: writes.append(request.url) if request.method == "POST" else None)
    BookingPage(page, live_server.url).open()
    page.keyboard.press("/")
    page.keyboard.type("06 98 76 54 32")
    page.keyboard.press("Enter")
    create = page.get_by_test_id("create-from-phone").get_by_role("button")
    expect(create).to_be_focused()
    page.keyboard.press("Enter")  # 1: the patient's file, from the number alone
    expect(page.get_by_test_id("chosen-patient")).to_contain_text("+33698765432")
    expect(page.get_by_label("Usage", exact=True)).to_be_focused()
    page.keyboard.type(net.use.name[:5])  # type-ahead in the use list; the slots follow
    expect(page.get_by_test_id("slot").first).to_be_visible()
    page.keyboard.press("1")  # 2: the first time is held
    appointment = AppointmentPage(page, live_server.url)
    expect(appointment.status).to_have_text("option en cours")
    confirm = page.get_by_role("button", name="Confirmer le rendez-vous")
    expect(confirm).to_be_focused()
    page.keyboard.press("Shift+Tab")  # the call note, just before the button
    page.keyboard.type("Rappeler la veille : malentendant")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # 3: booked
    expect(appointment.status).to_have_text("réservé")
    assert len(writes) == 3, writes
    booked = Appointment.objects.get()
    assert (booked.status, booked.created_by, booked.channel) == (
        AppointmentStatus.BOOKED,
        operator,
        Channel.PHONE,
    )
    assert booked.call_note == "Rappeler la veille : malentendant"
    expect(page.get_by_test_id("booked-by")).to_contain_text(operator.username)
    expect(page.get_by_test_id("call-note")).to_contain_text("malentendant")
    from maille.notifications.models import Message, MessageKind

    assert Message.objects.filter(appointment=booked, kind=MessageKind.CONFIRMATION).exists()
    assert console_errors == []


def test_the_site_week_is_a_time_grid_one_screen_high(page, live_server, net):
    from maille.scheduling.engine import SlotQuery, find_slots
    from maille.scheduling.services import appointment_book
    from maille.scheduling.wallclock import PARIS
    from tests.patients.factories import PatientFactory

    slot = find_slots(SlotQuery(use=net.use, site_ids=(net.site.pk,), limit=1))[0]
    booked = appointment_book(actor=None, channel=Channel.PHONE, patient=PatientFactory(), use=net.use,
                              site=net.site, starts_at=slot.starts_at)  # fmt: skip
    local = slot.starts_at.astimezone(PARIS)
    monday = local.date() - timezone.timedelta(days=local.weekday())
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server, user_with_role(Role.SITE_STAFF, site=net.site))
    page.goto(f"{live_server.url}/agendas/sites/{net.site.pk}/?semaine={monday.isoformat()}")
    grid = page.get_by_test_id("time-grid")
    expect(grid).to_be_visible()
    body = grid.locator(".tg-body").bounding_box()
    assert body["height"] <= 800  # the whole week in one screen
    entry = grid.locator(f'a[href="/agendas/rendez-vous/{booked.pk}/"]').first
    expect(entry).to_be_visible()
    box = entry.bounding_box()
    # placed at its time: 09:00–12:00 availability, grid from 08:00 to 18:00
    minutes = local.hour * 60 + local.minute - 8 * 60
    expected_top = body["y"] + body["height"] * minutes / (10 * 60)
    assert abs(box["y"] - expected_top) < 4, (box, body, local)
    expect(page.get_by_test_id("time-grid-columns")).to_contain_text(net.room.name)
