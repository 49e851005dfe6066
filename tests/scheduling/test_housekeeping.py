"""``maille housekeeping``: expired holds freed, due webhook deliveries sent once, old idempotency keys purged,
one failing job never stopping the others, the ``--every`` loop and its clean stop."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from maille import cli
from maille.api import housekeeping as api_housekeeping
from maille.api.models import IdempotencyKey
from maille.core import housekeeping, serving
from maille.core.management.commands.housekeeping import Command as HousekeepingCommand
from maille.core.models import Channel
from maille.scheduling import services as scheduling_services
from maille.scheduling.models import (
    AppointmentStatus,
    AppointmentTransition,
    DeliveryStatus,
    WebhookDelivery,
)
from maille.scheduling.services import appointment_book, appointment_hold
from tests.factories import UserFactory
from tests.patients.factories import PatientFactory

from .factories import make_network, paris
from .test_webhooks import Receiver, subscribe

pytestmark = pytest.mark.django_db

# Past dates: the holds made "then" are long expired for the command, which runs at the real time.
THEN = paris(2026, 3, 2, 8)
NINE = paris(2026, 3, 2, 9)


@pytest.fixture
def net():
    return make_network()


def hold_at_nine(net):
    return appointment_hold(
        actor=None, channel=Channel.PHONE, use=net.use, site=net.site, starts_at=NINE, now=THEN
    )


def idempotency_key(name: str, *, expires_in: dt.timedelta) -> IdempotencyKey:
    user = UserFactory()
    user.save()
    now = timezone.now()
    return IdempotencyKey.objects.create(
        user=user,
        key=name,
        method="POST",
        path="/api/v1/bookings",
        request_hash="0" * 64,
        created_at=now - dt.timedelta(hours=24),
        expires_at=now + expires_in,
    )


def run(*args: str, **options: object) -> str:
    out = StringIO()
    call_command("housekeeping", *args, stdout=out, **options)
    return out.getvalue()


def summary_line(holds: object, webhooks: object, keys: object, messages: object = 0) -> str:
    return (
        f"Ménage : options expirées : {holds}, webhooks renvoyés : {webhooks}, "
        f"créneaux proposés en liste d'attente : 0, messages envoyés : {messages}, "
        f"anciens messages effacés : 0, réservations en ligne inachevées oubliées : 0, "
        f"compteurs de demandes effacés : 0, clés d'idempotence purgées : {keys}, "
        f"optimisations abandonnées : 0, rappels d'actions qualité en retard : 0, labels qualité expirés : 0, "
        f"actes enregistrés au registre d'activité : 0, mois d'indicateurs recalculés : 0."
    )


def test_an_expired_hold_is_expired_and_its_slot_is_bookable_again(net):
    hold = hold_at_nine(net)
    assert hold.resource_bookings.exists()

    assert run() == summary_line(1, 0, 0) + "\n"

    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.EXPIRED
    assert not hold.resource_bookings.exists()  # the room and the professionals are free again
    assert AppointmentTransition.objects.filter(appointment=hold, name="expire").count() == 1
    booked = appointment_book(
        actor=None,
        channel=Channel.PHONE,
        patient=PatientFactory(),
        use=net.use,
        site=net.site,
        starts_at=NINE,
        now=THEN,  # at THEN the hold was still live: only the housekeeping freed its slot
    )
    assert (booked.status, booked.room_id) == (AppointmentStatus.BOOKED, hold.room_id)
    assert run() == summary_line(0, 0, 0) + "\n"  # nothing left to do, and the booking is untouched
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_an_old_idempotency_key_is_purged_and_a_fresh_one_kept(db):
    old = idempotency_key("old", expires_in=-dt.timedelta(seconds=1))
    fresh = idempotency_key("fresh", expires_in=dt.timedelta(hours=23))

    assert run() == summary_line(0, 0, 1) + "\n"

    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not IdempotencyKey.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_delivery_due_for_retry_is_sent_once_even_when_two_processes_enqueue_it():
    net = make_network()
    with Receiver([]) as receiver:
        subscription = subscribe(url=receiver.url)
        book_for_webhook(net)
        # The first attempt failed and its retry task was lost (a worker restart): only the row is left.
        DBTaskResult.objects.all().delete()
        WebhookDelivery.objects.update(
            attempts=1, last_response_code=500, next_attempt_at=timezone.now() - dt.timedelta(minutes=1)
        )
        # Two housekeeping processes (or two runs before the worker wakes up) both enqueue it.
        assert run() == summary_line(0, 1, 0) + "\n"
        assert run() == summary_line(0, 1, 0) + "\n"
        assert DBTaskResult.objects.filter(task_path__contains="webhook").count() == 2
        call_command("db_worker", "--batch", "--interval", "0", verbosity=0)

    assert len(receiver.received) == 1  # the second task found the attempt already taken
    assert receiver.received[0]["signature_ok"]
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        DeliveryStatus.DELIVERED,
        2,
        200,
    )
    assert run() == summary_line(0, 0, 0) + "\n"


def book_for_webhook(net):
    return appointment_book(
        actor=None,
        channel=Channel.API,
        patient=PatientFactory(),
        use=net.use,
        site=net.site,
        starts_at=NINE,
        now=THEN,
    )


def test_a_failing_job_is_logged_and_the_others_still_run(net, monkeypatch, caplog):
    hold = hold_at_nine(net)
    subscribe()
    patient = PatientFactory(last_name="Zanzibar-Quelconque")
    appointment_book(
        actor=None,
        channel=Channel.API,
        patient=patient,
        use=net.use,
        site=net.site,
        starts_at=paris(2026, 3, 2, 10),
        now=THEN,
    )
    # Its first attempt was lost long enough ago for the safety net to send it again.
    WebhookDelivery.objects.update(created_at=timezone.now() - dt.timedelta(minutes=10))
    old_key = idempotency_key("old", expires_in=-dt.timedelta(minutes=1))

    def broken_holds_expire(**kwargs: object) -> int:
        raise RuntimeError("database went away")

    monkeypatch.setattr(scheduling_services, "holds_expire", broken_holds_expire)
    with caplog.at_level(logging.INFO):
        output = run()

    assert output == summary_line("échec (voir le journal)", 1, 1) + "\n"
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.HELD  # the broken job did nothing...
    # ...and the next ones ran: the safety net enqueued the delivery again, beside the booking's own task
    assert DBTaskResult.objects.filter(task_path__contains="webhook").count() == 2
    assert not IdempotencyKey.objects.filter(pk=old_key.pk).exists()
    [failure] = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert failure.getMessage() == "Housekeeping job holds_expire failed"
    assert failure.exc_info[0] is RuntimeError  # the traceback is in the log
    assert "database went away" in caplog.text
    assert patient.last_name not in caplog.text


def test_the_loop_goes_on_after_a_failure_and_stops_after_the_bounded_runs(net, monkeypatch):
    hold = hold_at_nine(net)
    real_holds_expire = scheduling_services.holds_expire
    calls = []

    def fails_the_first_time(**kwargs: object) -> int:
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("transient failure")
        return real_holds_expire(**kwargs)

    monkeypatch.setattr(scheduling_services, "holds_expire", fails_the_first_time)
    output = run("--every", "0.01", iterations=3)

    assert len(calls) == 3
    # The quiet third run prints nothing: only runs that did something are reported.
    assert output.splitlines() == [
        summary_line("échec (voir le journal)", 0, 0),
        summary_line(1, 0, 0),
        "Ménage périodique arrêté.",
    ]
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.EXPIRED


def test_sigterm_stops_the_loop_cleanly_without_waiting_for_the_next_run(db, monkeypatch):
    handler_before = signal.getsignal(signal.SIGTERM)
    real_purge = api_housekeeping.expired_idempotency_keys_purge
    runs = []

    def purge_then_receive_sigterm(**kwargs: object) -> int:
        runs.append(threading.current_thread().name)
        os.kill(os.getpid(), signal.SIGTERM)  # a real signal, as `maille serve` or systemd sends it
        return real_purge(**kwargs)

    monkeypatch.setattr(api_housekeeping, "expired_idempotency_keys_purge", purge_then_receive_sigterm)
    started = timezone.now()
    output = run("--every", "60", iterations=5)

    assert len(runs) == 1
    assert (timezone.now() - started).total_seconds() < 30  # it did not sleep the 60 seconds
    assert output == "Ménage périodique arrêté.\n"
    assert signal.getsignal(signal.SIGTERM) is handler_before


def test_every_must_be_positive_and_the_help_is_in_french(db):
    with pytest.raises(CommandError, match="positif"):
        run("--every", "0")
    usage = HousekeepingCommand().create_parser("maille", "housekeeping").format_help()
    assert "Ménage périodique des réservations" in usage
    assert "--every SECONDES" in usage


def test_maille_housekeeping_goes_through_the_cli(net, capsys):
    hold_at_nine(net)
    cli.main(["housekeeping"])
    assert capsys.readouterr().out == summary_line(1, 0, 0) + "\n"


def test_serve_starts_the_worker_and_the_housekeeping_loop():
    commands = [child.command for child in serving.background_commands()]
    assert [command[:3] for command in commands] == [[sys.executable, "-m", "maille.cli"]] * 2
    assert [command[3:] for command in commands] == [
        ["db_worker", "--interval", "1"],
        ["housekeeping", "--every", "60"],
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_job_another_process_is_running_is_skipped_on_postgresql():
    key_of_holds = housekeeping.advisory_lock_key("holds_expire")
    taken, release = threading.Event(), threading.Event()

    def other_process() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [key_of_holds])
                taken.set()
                release.wait(10)
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key_of_holds])
        finally:
            connection.close()

    thread = threading.Thread(target=other_process)
    thread.start()
    try:
        assert taken.wait(10)
        assert housekeeping.housekeeping_run() == {
            "holds_expire": housekeeping.BUSY,
            "webhook_deliveries_resend": 0,
            "waitlist_offers": 0,
            "messages_send_due": 0,
            "messages_forget_old": 0,
            "public_bookings_forget": 0,
            "rate_counters_forget": 0,
            "idempotency_keys_purge": 0,
            "optimisations_abandoned": 0,
            "quality_action_reminders": 0,
            "quality_labels_expire": 0,
            "evaluation_acts_backfill": 0,
            "evaluation_indicator_cells": 0,
        }
    finally:
        release.set()
        thread.join(10)
    assert housekeeping.housekeeping_run()["holds_expire"] == 0
