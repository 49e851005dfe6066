"""A booking by phone writes its confirmation; the worker sends it; staff follow it on the outbox page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from maille.accounts.models import Role
from maille.notifications.services import send_due_messages
from tests.browser.pages import BookingPage, LoginPage, OutboxPage
from tests.factories import user_with_role
from tests.scheduling.factories import make_network

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "motdepasse-test-1"


@pytest.fixture(autouse=True)
def _outbox_file(settings, tmp_path):
    settings.NOTIFICATIONS_FILE = str(tmp_path / "outbox.jsonl")
    settings.NOTIFICATIONS_SMS_BACKEND = "file"


def test_an_operator_books_then_follows_the_confirmation_sms(audit_page, live_server, transactional_db):
    page = audit_page  # CSP bypassed so that axe-core can be injected
    net = make_network()
    LoginPage(page, live_server.url).open().log_in(
        user_with_role(Role.OPERATOR, departement_id="55").username, PASSWORD
    )
    booking = BookingPage(page, live_server.url).open()
    booking.create_patient_from_phone("06 98 76 54 32")
    booking.choose_use(net.use.name)
    appointment = booking.choose_first_slot()
    appointment.confirm_hold()
    expect(appointment.status).to_have_text("réservé")

    outbox = OutboxPage(page, live_server.url).open()
    confirmation = outbox.row_of("confirmation de rendez-vous")
    expect(confirmation).to_contain_text("à envoyer")
    expect(confirmation).to_contain_text("+336 •• •• •• 32")  # masked: recognisable, not copyable
    expect(outbox.rows).not_to_contain_text(["+33698765432"])

    assert send_due_messages() == 1  # what the worker does
    outbox.open()
    expect(outbox.row_of("confirmation de rendez-vous")).to_contain_text("envoyé")
    outbox.filter_state("à envoyer")
    expect(outbox.row_of("confirmation de rendez-vous")).to_have_count(0)
    expect(outbox.rows.first).to_contain_text("rappel")
    assert outbox.accessibility_violations() == []
