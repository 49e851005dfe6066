"""Where messages leave the platform: one interface, several backends chosen by settings.

- ``console``: writes each message as a JSON line to a file (``var/outbox.jsonl``) and the log (counts only);
  the local default, so that a demo sends nothing.
- ``smtp`` (email): Django's SMTP connection (``EMAIL_HOST``…); the delivery key is the ``Message-ID``.
- ``http`` (SMS): an HTTP gateway, ``POST`` of a JSON body to ``SMS_GATEWAY_URL`` with the bearer token
  ``SMS_GATEWAY_TOKEN`` and the header ``Idempotency-Key: <delivery key>``: a gateway that honours it
  delivers a repeated attempt once. 2xx: sent (the JSON answer's ``id`` is kept); 408, 429 and 5xx, a
  timeout or a refused connection: retried later; other 4xx: the message can never go (failed).

A backend raises ``TemporaryFailure`` or ``PermanentFailure``; it never logs the recipient nor the text.
"""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone


@dataclass(frozen=True)
class Outgoing:
    """What a backend needs to send one message."""

    delivery_key: str
    channel: str
    recipient: str
    subject: str
    body: str
    sender_name: str


class TemporaryFailure(Exception):
    """The message may go later (timeout, gateway overloaded or down)."""


class PermanentFailure(Exception):
    """The message will never go as it is (refused recipient, malformed request)."""


class Backend(Protocol):
    def send(self, message: Outgoing) -> str:
        """Send; returns the provider's reference (may be empty)."""
        ...


class FileBackend:
    """Appends each message to a JSON-lines file: local use, demos, and the outbox page's proof of sending."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or settings.NOTIFICATIONS_FILE)

    def send(self, message: Outgoing) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "at": timezone.now().isoformat(),
            "delivery_key": message.delivery_key,
            "channel": message.channel,
            "to": message.recipient,
            "subject": message.subject,
            "body": message.body,
        }
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        return f"file:{message.delivery_key}"


class SmtpBackend:
    """Email through Django's SMTP connection; the delivery key becomes the Message-ID."""

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout or settings.NOTIFICATIONS_TIMEOUT_SECONDS

    def send(self, message: Outgoing) -> str:
        domain = settings.NOTIFICATIONS_MESSAGE_ID_DOMAIN
        message_id = f"<{message.delivery_key}@{domain}>"
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=f"{message.sender_name} <{settings.DEFAULT_FROM_EMAIL}>",
            to=[message.recipient],
            headers={"Message-ID": message_id},
        )
        connection = get_connection("django.core.mail.backends.smtp.EmailBackend", timeout=self.timeout)
        try:
            sent = connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _text in error.recipients.values()})
            if all(500 <= code < 600 for code in codes):
                raise PermanentFailure(f"adresse refusée par le serveur de courriel ({codes[0]})") from error
            raise TemporaryFailure(f"adresse momentanément refusée ({codes[0]})") from error
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentFailure(f"courriel refusé par le serveur ({error.smtp_code})") from error
            raise TemporaryFailure(f"échec temporaire du serveur de courriel ({error.smtp_code})") from error
        except OSError as error:  # refused connection, timeout, disconnection
            raise TemporaryFailure(f"serveur de courriel injoignable ({type(error).__name__})") from error
        if not sent:
            raise TemporaryFailure("le serveur de courriel n'a rien accepté")
        return message_id


class HttpSmsBackend:
    """An HTTP SMS gateway (see the module docstring for the contract)."""

    def __init__(
        self, url: str | None = None, token: str | None = None, timeout: float | None = None
    ) -> None:
        self.url = url or settings.SMS_GATEWAY_URL
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        self.timeout = timeout or settings.NOTIFICATIONS_TIMEOUT_SECONDS
        if not self.url:
            raise PermanentFailure("passerelle SMS non configurée (SMS_GATEWAY_URL)")

    def send(self, message: Outgoing) -> str:
        body = json.dumps(
            {"to": message.recipient, "text": message.body, "sender": message.sender_name}, ensure_ascii=False
        ).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": message.delivery_key,
                "User-Agent": "Maille-Notifications/1",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read(4096)
        except urllib.error.HTTPError as error:
            if error.code in (408, 429) or error.code >= 500:
                raise TemporaryFailure(f"passerelle SMS indisponible (HTTP {error.code})") from error
            raise PermanentFailure(f"SMS refusé par la passerelle (HTTP {error.code})") from error
        except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
            raise TemporaryFailure(f"passerelle SMS injoignable ({type(error).__name__})") from error
        try:
            return str(json.loads(answer or b"{}").get("id", ""))[:120]
        except (ValueError, AttributeError):
            return ""


_BACKENDS = {"file": FileBackend, "smtp": SmtpBackend, "http": HttpSmsBackend}


def backend_for(channel: str) -> Backend:
    """The backend configured for a channel (``NOTIFICATIONS_SMS_BACKEND``, ``NOTIFICATIONS_EMAIL_BACKEND``)."""
    name = settings.NOTIFICATIONS_SMS_BACKEND if channel == "sms" else settings.NOTIFICATIONS_EMAIL_BACKEND
    backend: Backend = _BACKENDS[name]()
    return backend
