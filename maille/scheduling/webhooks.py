"""Signed webhooks for booking events.

Events come from one place: each transition row the services write (``AppointmentTransition``;
``transitions.log_transition`` calls ``transition_logged`` right after writing it). Inside the service's
transaction, one ``WebhookDelivery`` row per interested subscription is written (an outbox: the event and
its deliveries commit or roll back together); after commit, a django-tasks task sends each one.

Signature (what receivers check): header ``Maille-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>``
is HMAC-SHA256 with the subscription's secret over ``"<t>.<raw body>"``. Receivers should refuse a
timestamp older than a few minutes and ignore an ``event id`` already seen (a retry sends it again).

Retries: exponential back-off (1 min, 2, 4 … capped at 6 h) until ``MAX_ATTEMPTS``; a delivery is
claimed with a conditional UPDATE, so a task run twice never sends one attempt twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from maille.core.audit import audit_record
from maille.core.backoff import backoff_delay
from maille.core.stamps import StampedCache

from .models import (
    Appointment,
    AppointmentTransition,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Maille-Signature"
EVENT_ID_HEADER = "Maille-Event-Id"
EVENT_TYPE_HEADER = "Maille-Event-Type"
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 6 * 3600
TIMEOUT_SECONDS = 10
# A claimed attempt blocks other runs this long (a worker that died mid-send is retried after it).
CLAIM_SECONDS = 2 * TIMEOUT_SECONDS

# Transition name → event. The reschedule of the old appointment is announced by the new one's booking.
EVENT_OF_TRANSITION = {
    "book": WebhookEvent.BOOKED,
    "cancel": WebhookEvent.CANCELLED,
    "check_in": WebhookEvent.CHECKED_IN,
    "complete": WebhookEvent.COMPLETED,
    "no_show": WebhookEvent.NO_SHOW,
}


# --- subscriptions ----------------------------------------------------------------------------------
@transaction.atomic(durable=True)
def webhook_subscribe(
    *, actor: Any, channel: str, name: str, url: str, event_types: list[str]
) -> WebhookSubscription:
    """Subscribe an external system to booking events (its secret is generated here), audited."""
    subscription = WebhookSubscription.objects.create(
        name=name, url=url, event_types=event_types, created_by=actor
    )
    audit_record(
        actor=actor,
        action="webhook.subscribe",
        target=subscription,
        channel=channel,
        details={"events": subscription.event_types},
    )
    return subscription


# --- signature --------------------------------------------------------------------------------------
def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def signature_is_valid(
    secret: str, header: str, body: bytes, *, now: float, tolerance_seconds: int = 300
) -> bool:
    """What a receiver does (also used by the tests' receiver)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(parts.get("v1", ""), sign(secret, timestamp, body))


# --- events -----------------------------------------------------------------------------------------
def event_type_of(transition: AppointmentTransition, appointment: Appointment) -> str | None:
    if transition.name == "book" and appointment.rescheduled_from_id is not None:
        return WebhookEvent.RESCHEDULED
    return EVENT_OF_TRANSITION.get(transition.name)


def appointment_payload(appointment: Appointment) -> dict[str, Any]:
    """What receivers learn: the booking, never the patient's identity (only the patient's id)."""
    return {
        "id": appointment.pk,
        "status": appointment.status,
        "use": appointment.use.code,
        "site_id": appointment.site_id,
        "room_id": appointment.room_id,
        "assistant_id": appointment.assistant_id,
        "doctor_id": appointment.doctor_id,
        "patient_id": appointment.patient_id,
        "starts_at": appointment.starts_at.isoformat(),
        "ends_at": appointment.ends_at.isoformat(),
        "channel": appointment.channel,
        "rescheduled_from": appointment.rescheduled_from_id,
        "cancel_reason": appointment.cancel_reason,
    }


def _load_active_subscriptions(_key: None) -> tuple[tuple[int, frozenset[str]], ...]:
    active = (
        WebhookSubscription.objects.filter(is_active=True).order_by("pk").values_list("pk", "event_types")
    )
    return tuple((pk, frozenset(event_types)) for pk, event_types in active)


# (id, events wanted) of the active subscriptions: read at every transition, changed a few times a year.
_active_subscriptions: StampedCache[None, tuple[tuple[int, frozenset[str]], ...]] = StampedCache(
    "webhook_subscriptions", _load_active_subscriptions
)


def transition_logged(transition: AppointmentTransition) -> list[WebhookDelivery]:
    """Write the deliveries of the event a transition stands for, and their sending tasks, in the transition's
    transaction: the worker sends them once it commits (the tasks live in this database)."""
    appointment = transition.appointment
    event_type = event_type_of(transition, appointment)
    if event_type is None:
        return []
    subscription_ids = [
        pk for pk, event_types in _active_subscriptions.get(None) if event_type in event_types
    ]
    if not subscription_ids:
        return []
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": event_type,
        "occurred_at": (transition.occurred_at or timezone.now()).isoformat(),
        "data": {"appointment": appointment_payload(appointment)},
    }
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription_id=subscription_id,
                event_id=event_id,
                event_type=event_type,
                appointment=appointment,
                payload=payload,
            )
            for subscription_id in subscription_ids
        ]
    )
    _enqueue([delivery.pk for delivery in deliveries])
    return deliveries


def _enqueue(delivery_ids: list[int], run_after: dt.datetime | None = None) -> None:
    sender = send_webhook_delivery.using(run_after=run_after) if run_after else send_webhook_delivery
    for delivery_id in delivery_ids:
        sender.enqueue(delivery_id)


# --- sending ----------------------------------------------------------------------------------------
def retry_delay(attempts: int) -> dt.timedelta:
    """Delay after the ``attempts``-th failed attempt: 1 min, 2, 4, … capped at 6 hours."""
    return backoff_delay(attempts, first_seconds=FIRST_RETRY_SECONDS, max_seconds=MAX_RETRY_SECONDS)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    if not url.startswith(("http://", "https://")):
        # urllib would also open file:// and ftp:// addresses.
        raise ValueError("only http(s) URLs are allowed")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def deliver(delivery_id: int, *, now: dt.datetime | None = None) -> str:
    """One attempt at one delivery (idempotent: a delivered, abandoned or not-yet-due one is left alone).

    Returns the delivery's status afterwards.
    """
    now = now or timezone.now()
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return delivery.status if delivery else DeliveryStatus.FAILED
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        return delivery.status
    attempt = delivery.attempts + 1
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts
    ).update(attempts=attempt, next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS))
    if not claimed:
        return DeliveryStatus.PENDING  # another run took this attempt

    subscription = delivery.subscription
    body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Maille-Webhooks/1",
        SIGNATURE_HEADER: signature_header(subscription.secret, timestamp, body),
        EVENT_ID_HEADER: str(delivery.event_id),
        EVENT_TYPE_HEADER: delivery.event_type,
    }
    code, error = None, ""
    if subscription.is_active:
        try:
            code = _post(subscription.url, body, headers)
        except (OSError, ValueError) as exc:  # refused, timeout, bad URL
            error = f"{type(exc).__name__}: {exc}"[:300]
    else:
        error = "subscription inactive"

    update: dict[str, Any] = {"last_response_code": code, "last_error": error}
    if code is not None and 200 <= code < 300:
        update.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif attempt >= MAX_ATTEMPTS or not subscription.is_active:
        update.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    else:
        update["next_attempt_at"] = now + retry_delay(attempt)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**update)
    if update.get("next_attempt_at"):
        _enqueue([delivery.pk], run_after=update["next_attempt_at"])
    logger.info("webhook delivery %s attempt %s: %s %s", delivery.pk, attempt, code, error)
    return str(update.get("status", DeliveryStatus.PENDING))


RESEND_GRACE = dt.timedelta(minutes=5)


@task()
def send_webhook_delivery(delivery_id: int) -> str:
    return deliver(delivery_id)


def webhook_deliveries_resend(*, now: dt.datetime | None = None) -> int:
    """Safety net for a periodic job: enqueue every pending delivery that is due (lost task, restart)."""
    now = now or timezone.now()
    # A first attempt younger than RESEND_GRACE is most likely still waiting in the queue: leave it.
    due = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .exclude(next_attempt_at__gt=now)
        .exclude(next_attempt_at__isnull=True, created_at__gt=now - RESEND_GRACE)
        .values_list("pk", flat=True)
    )
    _enqueue(due)
    return len(due)
