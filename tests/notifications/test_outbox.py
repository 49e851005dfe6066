"""The outbox: messages written with the booking's transaction, reminders scheduled and dropped, delivery
exactly once through real backends (file, the fake SMS gateway on loopback), retries, a killed worker."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from maille.core.errors import ConflictError
from maille.core.models import Channel
from maille.notifications import backends
from maille.notifications.models import Message, MessageChannel, MessageKind, MessageState, NotificationPolicy
from maille.notifications.services import (
    CLAIM_SECONDS,
    MAX_ATTEMPTS,
    deliver,
    messages_forget_old,
    retry_delay,
    send_due_messages,
    sms_budgets,
)
from maille.scheduling.services import (
    appointment_cancel,
    appointment_check_in,
    appointment_reschedule,
)
from maille.scheduling.transitions import _subscribers, subscribe_to_transitions
from tests.scheduling.factories import weekday_at

from .conftest import book
from .fake_gateway import FakeSmsGateway

pytestmark = pytest.mark.django_db


def read_lines(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def kinds(appointment) -> dict[str, str]:
    return dict(Message.objects.filter(appointment=appointment).values_list("kind", "state"))


def test_a_booking_writes_its_confirmation_and_two_reminders_at_the_policy_times(net):
    appointment = book(net)
    messages = {m.kind: m for m in Message.objects.filter(appointment=appointment)}
    assert set(messages) == {
        MessageKind.CONFIRMATION,
        MessageKind.FIRST_REMINDER,
        MessageKind.SECOND_REMINDER,
    }
    assert messages[MessageKind.FIRST_REMINDER].send_after == appointment.starts_at - dt.timedelta(hours=24)
    assert messages[MessageKind.SECOND_REMINDER].send_after == appointment.starts_at - dt.timedelta(hours=3)
    confirmation = messages[MessageKind.CONFIRMATION]
    assert confirmation.channel == MessageChannel.SMS
    assert confirmation.recipient == "+33612345678"
    assert confirmation.departement_id == "55"
    assert "10 h 00" in confirmation.body
    assert appointment.patient.last_name not in confirmation.body  # no name on a locked screen


def test_the_territory_policy_sets_the_reminders(net):
    NotificationPolicy.objects.create(departement_id="55", first_reminder_hours=48, second_reminder_hours=0)
    appointment = book(net)
    reminders = Message.objects.filter(appointment=appointment).exclude(kind=MessageKind.CONFIRMATION)
    assert [(m.kind, m.send_after) for m in reminders] == [
        (MessageKind.FIRST_REMINDER, appointment.starts_at - dt.timedelta(hours=48))
    ]


def test_a_reminder_whose_time_has_already_passed_is_not_written(net):
    # booked three days or more ahead, with a first reminder ten days before: its time is past
    NotificationPolicy.objects.create(departement_id="55", first_reminder_hours=240, second_reminder_hours=3)
    appointment = book(net)
    assert MessageKind.FIRST_REMINDER not in kinds(appointment)
    assert MessageKind.SECOND_REMINDER in kinds(appointment)


def test_without_a_mobile_the_email_is_used_and_without_either_nothing_is_written(net):
    landline = book(net, phone="+33329000000", email="camille@example.org")
    assert set(Message.objects.filter(appointment=landline).values_list("channel", flat=True)) == {"email"}
    unreachable = book(net, at=weekday_at(3, 11), phone="", email="")
    assert not Message.objects.filter(appointment=unreachable).exists()


def test_a_refused_booking_writes_no_message(net):
    book(net)
    with pytest.raises(ConflictError):
        book(net)
    assert Message.objects.filter(kind=MessageKind.CONFIRMATION).count() == 1


def test_cancelling_drops_the_reminders_and_sends_a_cancellation(net):
    appointment = book(net)
    appointment_cancel(actor=None, channel=Channel.PHONE, appointment=appointment, reason="empêchement")
    assert kinds(appointment) == {
        MessageKind.CONFIRMATION: MessageState.CANCELLED,  # not sent yet: no point any more
        MessageKind.FIRST_REMINDER: MessageState.CANCELLED,
        MessageKind.SECOND_REMINDER: MessageState.CANCELLED,
        MessageKind.CANCELLATION: MessageState.PENDING,
    }
    assert Message.objects.get(
        appointment=appointment, kind=MessageKind.FIRST_REMINDER
    ).cancel_reason_label == ("rendez-vous annulé")


def test_moving_an_appointment_announces_the_change_once_and_moves_the_reminders(net):
    first = book(net)
    moved = appointment_reschedule(
        actor=None, channel=Channel.PHONE, appointment=first, starts_at=weekday_at(4, 11)
    )
    assert set(kinds(first).values()) == {MessageState.CANCELLED}
    assert kinds(moved) == {
        MessageKind.CHANGE: MessageState.PENDING,
        MessageKind.FIRST_REMINDER: MessageState.PENDING,
        MessageKind.SECOND_REMINDER: MessageState.PENDING,
    }


def test_the_task_of_a_message_due_now_is_written_with_the_booking(net):
    appointment = book(net)
    confirmation = Message.objects.get(appointment=appointment, kind=MessageKind.CONFIRMATION)
    tasks = DBTaskResult.objects.filter(task_path__contains="send_message")
    # the confirmation only: the reminders wait for their time (the periodic job)
    assert [task.args_kwargs["args"] for task in tasks] == [[confirmation.pk]]


def test_a_booking_rolled_back_leaves_neither_message_nor_task(net):
    def fail(transition):
        raise RuntimeError("a subscriber failed after the messages were written")

    subscribe_to_transitions("zz-test-failure", fail)  # runs after the outbox's subscriber
    try:
        with pytest.raises(RuntimeError):
            book(net)
    finally:
        _subscribers.pop("zz-test-failure")
    assert not Message.objects.exists()
    assert not DBTaskResult.objects.filter(task_path__contains="send_message").exists()


def test_the_file_backend_writes_what_was_sent(net, settings):
    appointment = book(net)
    confirmation = Message.objects.get(appointment=appointment, kind=MessageKind.CONFIRMATION)
    assert deliver(confirmation.pk) == MessageState.SENT
    lines = read_lines(settings.NOTIFICATIONS_FILE)
    assert [(line["delivery_key"], line["to"]) for line in lines] == [
        (str(confirmation.delivery_key), "+33612345678")
    ]
    assert deliver(confirmation.pk) == MessageState.SENT  # a second call sends nothing more
    assert len(read_lines(settings.NOTIFICATIONS_FILE)) == 1


def test_a_reminder_is_never_sent_for_a_cancelled_appointment_even_if_already_claimed(net):
    appointment = book(net)
    reminder = Message.objects.get(appointment=appointment, kind=MessageKind.FIRST_REMINDER)
    # the appointment is cancelled behind the message's back (as if between its claim and its send)
    type(appointment).objects.filter(pk=appointment.pk).update(status="cancelled")
    assert deliver(reminder.pk, now=reminder.send_after) == MessageState.CANCELLED
    assert Message.objects.get(pk=reminder.pk).cancel_reason == "appointment_not_live"


def test_a_reminder_whose_appointment_has_begun_is_dropped(net):
    appointment = book(net)
    reminder = Message.objects.get(appointment=appointment, kind=MessageKind.SECOND_REMINDER)
    assert deliver(reminder.pk, now=appointment.starts_at + dt.timedelta(minutes=1)) == MessageState.CANCELLED


def test_after_check_in_no_reminder_goes(net):
    appointment = book(net, at=weekday_at(3, 10))
    appointment_check_in(actor=None, channel=Channel.SITE, appointment=appointment, now=appointment.starts_at)
    assert kinds(appointment)[MessageKind.SECOND_REMINDER] == MessageState.CANCELLED


def test_reminders_wait_for_their_time(net):
    appointment = book(net)
    reminder = Message.objects.get(appointment=appointment, kind=MessageKind.FIRST_REMINDER)
    early = reminder.send_after - dt.timedelta(minutes=1)
    assert deliver(reminder.pk, now=early) == MessageState.PENDING
    sent = send_due_messages(now=reminder.send_after)
    assert sent == 2  # the confirmation and the first reminder; the second one waits
    assert Message.objects.get(pk=reminder.pk).state == MessageState.SENT


# --- the HTTP SMS gateway ----------------------------------------------------------------------------------
@pytest.fixture
def gateway(settings):
    with FakeSmsGateway() as fake:
        settings.NOTIFICATIONS_SMS_BACKEND = "http"
        settings.SMS_GATEWAY_URL = fake.url
        settings.SMS_GATEWAY_TOKEN = fake.token
        settings.NOTIFICATIONS_TIMEOUT_SECONDS = 0.5
        yield fake


def confirmation_of(net, **kwargs) -> Message:
    return Message.objects.get(appointment=book(net, **kwargs), kind=MessageKind.CONFIRMATION)


def test_the_gateway_receives_the_text_with_the_delivery_key(net, gateway):
    message = confirmation_of(net)
    assert deliver(message.pk) == MessageState.SENT
    [request] = gateway.requests
    assert request["key"] == str(message.delivery_key)
    assert request["auth"] == "Bearer test-token"
    assert request["body"]["to"] == "+33612345678"
    assert Message.objects.get(pk=message.pk).provider_reference == f"gw-{str(message.delivery_key)[:8]}"


@pytest.mark.parametrize("fault", [500, 503, 429, "slow"])
def test_a_gateway_fault_is_retried_later_with_back_off_then_sent(net, gateway, fault):
    gateway.script = [fault]
    message = confirmation_of(net)
    now = timezone.now()
    assert deliver(message.pk, now=now) == MessageState.PENDING
    failed = Message.objects.get(pk=message.pk)
    assert failed.next_attempt_at == now + retry_delay(1)
    assert failed.last_error.startswith("passerelle SMS")
    assert deliver(message.pk, now=now + dt.timedelta(seconds=30)) == MessageState.PENDING  # not due yet
    assert deliver(message.pk, now=failed.next_attempt_at) == MessageState.SENT
    assert len(gateway.delivered) == 1


def test_a_refused_message_fails_at_once(net, gateway):
    gateway.script = [400]
    message = confirmation_of(net)
    assert deliver(message.pk) == MessageState.FAILED
    assert "HTTP 400" in Message.objects.get(pk=message.pk).last_error


def test_attempts_run_out(net, gateway):
    gateway.script = [500] * MAX_ATTEMPTS
    message = confirmation_of(net)
    now = timezone.now()
    for _attempt in range(MAX_ATTEMPTS):
        now += dt.timedelta(hours=2)
        state = deliver(message.pk, now=now)
    assert state == MessageState.FAILED
    assert Message.objects.get(pk=message.pk).attempts == MAX_ATTEMPTS


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs (not an Exception: nothing catches it)."""


def test_a_worker_killed_after_the_gateway_accepted_does_not_send_twice(net, gateway, monkeypatch):
    message = confirmation_of(net)
    real_send = backends.HttpSmsBackend.send

    def send_then_die(self, outgoing):
        real_send(self, outgoing)
        raise WorkerKilled

    monkeypatch.setattr(backends.HttpSmsBackend, "send", send_then_die)
    now = timezone.now()
    with pytest.raises(WorkerKilled):
        deliver(message.pk, now=now)
    assert Message.objects.get(pk=message.pk).state == MessageState.SENDING  # the claim outlives the worker
    monkeypatch.setattr(backends.HttpSmsBackend, "send", real_send)

    assert deliver(message.pk, now=now + dt.timedelta(seconds=10)) == MessageState.SENDING  # still claimed
    assert send_due_messages(now=now + dt.timedelta(seconds=CLAIM_SECONDS + 1)) == 1
    assert len(gateway.requests) == 2  # sent again, with the same key…
    assert {r["key"] for r in gateway.requests} == {str(message.delivery_key)}
    assert len(gateway.delivered) == 1  # …so the patient gets it once
    sent = Message.objects.get(pk=message.pk)
    assert (sent.state, sent.attempts) == (MessageState.SENT, 2)


def test_a_worker_killed_before_sending_is_taken_over(net, gateway):
    from maille.notifications.services import _claim

    message = confirmation_of(net)
    now = timezone.now()
    assert _claim(message.pk, now) is not None  # a worker took it and died
    assert _claim(message.pk, now) is None  # nobody else takes it while the claim holds
    assert send_due_messages(now=now + dt.timedelta(seconds=CLAIM_SECONDS + 1)) == 1
    assert len(gateway.delivered) == 1


def test_no_gateway_configured_is_a_clear_permanent_failure(net, settings):
    settings.NOTIFICATIONS_SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = ""
    message = confirmation_of(net)
    assert deliver(message.pk) == MessageState.FAILED
    assert "SMS_GATEWAY_URL" in Message.objects.get(pk=message.pk).last_error


# --- budget ---------------------------------------------------------------------------------------------------
def test_the_monthly_sms_budget_warns_at_its_threshold(net):
    NotificationPolicy.objects.create(departement_id="55", monthly_sms_budget=5, warning_percent=80)
    for hour in (9, 10):
        for minute in (0, 20, 40):
            appointment = book(net, at=weekday_at(3, hour, minute))
            deliver(Message.objects.get(appointment=appointment, kind=MessageKind.CONFIRMATION).pk)
            [budget] = sms_budgets(["55"])
            if budget.sent == 3:
                assert not budget.warning
            if budget.sent == 4:
                assert budget.warning
                assert not budget.exceeded
    assert budget.sent == 6
    assert budget.exceeded


def test_old_finished_messages_lose_their_address_and_text_but_keep_their_count(net, settings):
    settings.NOTIFICATIONS_RETENTION_DAYS = 30
    appointment = book(net)
    confirmation = Message.objects.get(appointment=appointment, kind=MessageKind.CONFIRMATION)
    deliver(confirmation.pk)
    later = timezone.now() + dt.timedelta(days=31)
    assert messages_forget_old(now=later) == 1  # the reminders are not finished: kept whole
    forgotten = Message.objects.get(pk=confirmation.pk)
    assert (forgotten.recipient, forgotten.body, forgotten.state) == ("", "", MessageState.SENT)
    assert forgotten.masked_recipient == "—"
    assert messages_forget_old(now=later) == 0
    assert sms_budgets(["55"])[0].sent == 1


def test_the_outbox_page_shows_the_messages_in_scope_and_refuses_a_malformed_filter(client, net):
    from django.urls import reverse

    from maille.accounts.models import Role
    from tests.factories import DepartementFactory, user_with_role

    book(net)
    client.force_login(user_with_role(Role.OPERATOR, departement_id="55"))
    page = client.get(reverse("notifications:outbox"))
    assert page.status_code == 200
    assert "+336 •• •• •• 78" in page.content.decode()
    bad = client.get(reverse("notifications:outbox"), {"etat": "nimporte"})
    assert bad.status_code == 400
    assert 'id="id_etat"' in bad.content.decode()
    assert "Sélectionnez un choix valide" in bad.content.decode()
    DepartementFactory(code="52", region=net.site.commune.departement.region)
    client.force_login(user_with_role(Role.OPERATOR, departement_id="52"))
    assert "+336 •• •• •• 78" not in client.get(reverse("notifications:outbox")).content.decode()
