"""The SMTP email backend against a real SMTP server on loopback (aiosmtpd): accepted, refused, unreachable."""

from __future__ import annotations

import socket
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler

from maille.notifications.models import Message, MessageChannel, MessageKind, MessageState
from maille.notifications.services import deliver

from .conftest import book

pytestmark = pytest.mark.django_db


class Inbox(MessageHandler):
    """Keeps every email the server accepted; refuses recipients at ``refused.invalid`` (550)."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.invalid"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def handle_message(self, message) -> None:
        self.received.append(message)


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.NOTIFICATIONS_EMAIL_BACKEND = "smtp"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "ne-pas-repondre@maille.test"
    settings.NOTIFICATIONS_MESSAGE_ID_DOMAIN = "maille.test"
    yield inbox
    controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def email_confirmation(net, address: str) -> Message:
    appointment = book(net, phone="", email=address)
    return Message.objects.get(appointment=appointment, kind=MessageKind.CONFIRMATION)


def test_an_email_reaches_the_smtp_server_with_its_delivery_key_as_message_id(net, smtp_server):
    message = email_confirmation(net, "camille@example.org")
    assert message.channel == MessageChannel.EMAIL
    assert deliver(message.pk) == MessageState.SENT
    [email] = smtp_server.received
    assert email["To"] == "camille@example.org"
    assert email["Message-ID"] == f"<{message.delivery_key}@maille.test>"
    assert (
        str(make_header(decode_header(email["Subject"])))
        == "Votre rendez-vous de téléconsultation est confirmé"
    )
    assert "Bonjour" in email.get_payload(decode=True).decode()
    assert Message.objects.get(pk=message.pk).provider_reference == email["Message-ID"]


def test_a_refused_mailbox_fails_for_good(net, smtp_server):
    message = email_confirmation(net, "personne@refused.invalid")
    assert deliver(message.pk) == MessageState.FAILED
    assert "550" in Message.objects.get(pk=message.pk).last_error
    assert smtp_server.received == []


def test_an_unreachable_smtp_server_is_retried(net, settings):
    settings.NOTIFICATIONS_EMAIL_BACKEND = "smtp"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nothing listens there
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    message = email_confirmation(net, "camille@example.org")
    assert deliver(message.pk) == MessageState.PENDING
    assert Message.objects.get(pk=message.pk).last_error.startswith("serveur de courriel injoignable")
