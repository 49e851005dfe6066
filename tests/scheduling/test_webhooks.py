"""Signed webhooks: deliveries written with the transition, sent after commit to a real local receiver,
retried with back-off, never sent twice for one attempt."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from maille.core.errors import ConflictError
from maille.core.models import Channel
from maille.scheduling.models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from maille.scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_no_show,
    appointment_reschedule,
    appointment_start,
)
from maille.scheduling.webhooks import (
    EVENT_ID_HEADER,
    MAX_ATTEMPTS,
    SIGNATURE_HEADER,
    deliver,
    retry_delay,
    sign,
    signature_header,
    signature_is_valid,
    webhook_deliveries_resend,
)
from tests.patients.factories import PatientFactory

from .factories import make_network, paris

pytestmark = pytest.mark.django_db

NOW = paris(2026, 3, 2, 8)
NINE = paris(2026, 3, 2, 9)
SECRET = "test-secret-not-for-production"


class Receiver:
    """A tiny HTTP receiver on 127.0.0.1 that checks each signature and answers the queued codes."""

    def __init__(self, codes: list[int]):
        self.codes = list(codes)
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    {
                        "body": json.loads(body),
                        "event_id": self.headers[EVENT_ID_HEADER],
                        "signature_ok": signature_is_valid(
                            SECRET,
                            self.headers[SIGNATURE_HEADER],
                            body,
                            now=time.time(),
                            tolerance_seconds=10**9,
                        ),
                    }
                )
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def net():
    return make_network()


def subscribe(url: str = "http://127.0.0.1:9/unused", events=tuple(WebhookEvent.values), **extra):
    return WebhookSubscription.objects.create(
        name="SI du centre", url=url, secret=SECRET, event_types=list(events), **extra
    )


def book(net, at=NINE):
    return appointment_book(
        actor=None,
        channel=Channel.API,
        patient=PatientFactory(),
        use=net.use,
        site=net.site,
        starts_at=at,
        now=NOW,
    )


def test_each_lifecycle_event_writes_one_delivery_per_interested_subscription(net):
    everything = subscribe()
    only_cancel = subscribe(events=[WebhookEvent.CANCELLED])
    subscribe(is_active=False)
    first = book(net)
    appointment_cancel(actor=None, channel=Channel.API, appointment=first, reason="empêchement")
    second = book(net, at=paris(2026, 3, 2, 10))
    moved = appointment_reschedule(
        actor=None, channel=Channel.API, appointment=second, starts_at=paris(2026, 3, 2, 10, 30), now=NOW
    )
    appointment_check_in(actor=None, channel=Channel.SITE, appointment=moved, now=NOW)
    appointment_start(actor=None, channel=Channel.SITE, appointment=moved, now=NOW)
    appointment_complete(actor=None, channel=Channel.SITE, appointment=moved, duration_minutes=15, now=NOW)
    third = book(net, at=paris(2026, 3, 2, 11))
    appointment_no_show(actor=None, channel=Channel.SITE, appointment=third, now=paris(2026, 3, 2, 11, 30))

    events = list(
        WebhookDelivery.objects.filter(subscription=everything).values_list("event_type", flat=True)
    )
    assert events == [
        WebhookEvent.BOOKED,
        WebhookEvent.CANCELLED,
        WebhookEvent.BOOKED,
        WebhookEvent.RESCHEDULED,
        WebhookEvent.CHECKED_IN,
        WebhookEvent.COMPLETED,
        WebhookEvent.BOOKED,
        WebhookEvent.NO_SHOW,
    ]
    assert list(
        WebhookDelivery.objects.filter(subscription=only_cancel).values_list("event_type", flat=True)
    ) == [WebhookEvent.CANCELLED]
    rescheduled = WebhookDelivery.objects.get(event_type=WebhookEvent.RESCHEDULED)
    data = rescheduled.payload["data"]["appointment"]
    assert (data["id"], data["rescheduled_from"]) == (moved.pk, second.pk)
    assert "last_name" not in json.dumps(rescheduled.payload)  # no identity leaves in a webhook
    cancelled = WebhookDelivery.objects.get(subscription=everything, event_type=WebhookEvent.CANCELLED)
    assert cancelled.payload["data"]["appointment"]["cancel_reason"] == "empêchement"


def test_a_refused_booking_leaves_no_delivery_and_no_task(net):
    subscribe()
    book(net)
    with pytest.raises(ConflictError):
        book(net)
    assert WebhookDelivery.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path__contains="webhook").count() == 1


def test_the_delivery_and_its_task_are_written_in_the_booking_transaction(net):
    subscribe()
    book(net)
    delivery = WebhookDelivery.objects.get()
    tasks = DBTaskResult.objects.filter(task_path__contains="webhook")
    # the worker sees the task only once the booking commits, and never for a booking rolled back
    assert [task.args_kwargs["args"] for task in tasks] == [[delivery.pk]]


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_signed_event_to_the_receiver():
    net = make_network()
    with Receiver([200]) as receiver:
        subscription = subscribe(url=receiver.url)
        appointment = book(net)
        assert DBTaskResult.objects.filter(task_path__contains="webhook").count() == 1
        call_command("db_worker", "--batch", "--interval", "0", verbosity=0)

    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
    )
    assert len(receiver.received) == 1
    request = receiver.received[0]
    assert request["signature_ok"]
    assert request["event_id"] == str(delivery.event_id)
    assert request["body"]["type"] == WebhookEvent.BOOKED
    assert request["body"]["data"]["appointment"]["id"] == appointment.pk


def test_a_500_is_retried_with_back_off_then_delivered_once(net):
    with Receiver([500, 200]) as receiver:
        subscribe(url=receiver.url)
        book(net)
        delivery = WebhookDelivery.objects.get()
        start = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
        assert deliver(delivery.pk, now=start) == DeliveryStatus.PENDING
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.last_response_code) == (1, 500)
        assert delivery.next_attempt_at == start + retry_delay(1)
        # Not due yet: a duplicate task run sends nothing.
        assert deliver(delivery.pk, now=start + dt.timedelta(seconds=30)) == DeliveryStatus.PENDING
        assert len(receiver.received) == 1
        later = start + retry_delay(1) + dt.timedelta(seconds=1)
        assert deliver(delivery.pk, now=later) == DeliveryStatus.DELIVERED
        # Delivered: running the task again is harmless.
        assert deliver(delivery.pk, now=later + dt.timedelta(hours=1)) == DeliveryStatus.DELIVERED

    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_response_code, delivery.delivered_at) == (2, 200, later)
    assert [r["signature_ok"] for r in receiver.received] == [True, True]
    assert len({r["event_id"] for r in receiver.received}) == 1  # the same event, for the receiver to dedupe


def test_back_off_doubles_and_is_capped():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert retry_delay(30).total_seconds() == 6 * 3600


def test_an_unreachable_receiver_is_abandoned_after_the_last_attempt(net):
    with Receiver([]) as receiver:
        url = receiver.url
    subscribe(url=url)  # the server is closed: connection refused
    book(net)
    delivery = WebhookDelivery.objects.get()
    moment = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    for _attempt in range(MAX_ATTEMPTS):
        status = deliver(delivery.pk, now=moment)
        moment += dt.timedelta(days=1)
    delivery.refresh_from_db()
    assert (status, delivery.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert "Error" in delivery.last_error
    assert webhook_deliveries_resend(now=moment) == 0


def test_pending_due_deliveries_are_enqueued_again_by_the_safety_net(net):
    subscribe()
    book(net)
    created = WebhookDelivery.objects.get().created_at
    # A first attempt a minute old is most likely still in the queue: not enqueued twice.
    assert webhook_deliveries_resend(now=created + dt.timedelta(minutes=1)) == 0
    assert webhook_deliveries_resend(now=created + dt.timedelta(minutes=6)) == 1
    # the booking's own task, then the safety net's
    assert DBTaskResult.objects.filter(task_path__contains="webhook").count() == 2


def test_signature_check_refuses_tampering_and_old_timestamps():
    body = b'{"a": 1}'
    header = signature_header(SECRET, 1_700_000_000, body)
    assert signature_is_valid(SECRET, header, body, now=1_700_000_100)
    assert not signature_is_valid(SECRET, header, b'{"a": 2}', now=1_700_000_100)
    assert not signature_is_valid("other", header, body, now=1_700_000_100)
    assert not signature_is_valid(SECRET, header, body, now=1_700_009_000)
    assert not signature_is_valid(SECRET, "garbage", body, now=1_700_000_000)


def test_signature_matches_the_documented_test_vector():
    """The signed format of docs/api.md, fixed: changing it must fail here. The expected value was computed
    outside Maille: printf '%s' '1767225600.{"event":"appointment.booked","id":42}' |
    openssl dgst -sha256 -hmac 'whsec_test_0123456789abcdef'."""
    secret, timestamp = "whsec_test_0123456789abcdef", 1767225600
    body = b'{"event":"appointment.booked","id":42}'
    expected = "8bed87d5bc75b674bce6cb97b4470a66bc5879fa0c15acbc8271ee50d226469d"
    assert sign(secret, timestamp, body) == expected
    assert signature_header(secret, timestamp, body) == f"t=1767225600,v1={expected}"
