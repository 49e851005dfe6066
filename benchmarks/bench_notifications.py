"""Outbox throughput: 10,000 due reminders sent through the HTTP SMS backend to a fake gateway, each once.

The fake gateway (``tests/notifications/fake_gateway.py``: bearer token, idempotency key, one delivery per
key) runs in a child process on 127.0.0.1, as a real gateway is another machine. 10,000 booked
appointments (one site, spread over the next weeks) each get a first reminder due now; one worker process
then runs the periodic job (``send_due_messages``: claim, check the appointment, POST, record). Afterwards
the gateway's count of deliveries and of requests, and the outbox's states, show that each message went
exactly once. The reference in the same run is the same job with the file backend (no network): what the
outbox itself costs.

    .venv/bin/python -m benchmarks notifications
    BENCH_MESSAGES=2000 …
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import time
import urllib.request

from benchmarks.bench_scheduling_engine import _setup_django
from benchmarks.results import Report

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "10000"))
TARGET_SECONDS = 60.0


def _gateway(ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    from tests.notifications.fake_gateway import FakeSmsGateway

    with FakeSmsGateway() as gateway:
        ready.put(gateway.url)
        while not stop.wait(0.2):
            pass
        ready.put({"requests": len(gateway.requests), "delivered": len(gateway.delivered)})


def _fill(count: int, now: dt.datetime) -> None:
    """``count`` booked appointments, each with a first reminder due now (bulk: the set-up is not measured)."""
    from maille.core.models import Channel
    from maille.directory.models import Use
    from maille.notifications.models import Message, MessageChannel, MessageKind
    from maille.patients.models import Patient
    from maille.scheduling.models import Appointment, AppointmentStatus
    from tests.factories import ProfessionalFactory, RoomFactory, SiteFactory

    site = SiteFactory()
    room, doctor = RoomFactory(site=site), ProfessionalFactory(profession="medecin")
    use = Use.objects.get(code="tlc-mg")
    patients = Patient.objects.bulk_create(
        [Patient(last_name=f"Bench{i}", phone=f"+3361234{i % 10000:04d}") for i in range(count)],
        batch_size=2000,
    )
    starts = [now + dt.timedelta(days=1, minutes=20 * i) for i in range(count)]
    appointments = Appointment.objects.bulk_create(
        [
            Appointment(
                use=use,
                site=site,
                room=room,
                doctor=doctor,
                patient=p,
                starts_at=at,
                ends_at=at + dt.timedelta(minutes=20),
                status=AppointmentStatus.BOOKED,
                channel=Channel.API,
            )
            for p, at in zip(patients, starts, strict=True)
        ],  # fmt: skip
        batch_size=2000,
    )
    Message.objects.bulk_create(
        [
            Message(
                channel=MessageChannel.SMS,
                kind=MessageKind.FIRST_REMINDER,
                recipient=a.patient.phone,
                body="Rappel : rendez-vous demain.",
                appointment=a,
                patient=a.patient,
                send_after=now,
            )
            for a in appointments
        ],  # fmt: skip
        batch_size=2000,
    )


def _run(settings, backend: str, url: str = "") -> tuple[float, dict[str, int]]:
    from django.db.models import Count
    from django.utils import timezone

    from maille.notifications.models import Message
    from maille.notifications.services import send_due_messages

    settings.NOTIFICATIONS_SMS_BACKEND = backend
    settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN = url, "test-token"
    t0 = time.perf_counter()
    sent = send_due_messages(now=timezone.now())
    elapsed = time.perf_counter() - t0
    states = dict(Message.objects.values_list("state").annotate(n=Count("pk")))
    assert sent == MESSAGES, (sent, states)
    return elapsed, states


def main() -> Report:
    connection = _setup_django()
    from django.conf import settings
    from django.utils import timezone

    from maille.notifications.models import Message, MessageState

    report = Report(
        script="notifications",
        database=connection.vendor,
        title="Outbox: due reminders sent exactly once (issue 12, part 6)",
        command="make bench (python -m benchmarks notifications)",
        method=(
            f"{MESSAGES:,} booked appointments, each with a first reminder due now; one worker runs the periodic "
            "job (claim, check the appointment, send with the delivery key, record) through the HTTP SMS backend to "
            "a fake gateway in another process on 127.0.0.1 that delivers each idempotency key once; then the "
            "gateway's deliveries and requests and the outbox's states are counted. Reference: the same job with the "
            "file backend (the outbox's own cost, no network)."
        ),
    )
    tmp = settings.VAR_DIR / "bench-outbox.jsonl"
    settings.NOTIFICATIONS_FILE = str(tmp)
    now = timezone.now()
    _fill(MESSAGES, now)
    reference_s, _ = _run(settings, "file")
    tmp.unlink(missing_ok=True)
    Message.objects.update(state=MessageState.PENDING, attempts=0, sent_at=None, provider_reference="")

    ready: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    gateway = multiprocessing.Process(target=_gateway, args=(ready, stop), daemon=True)
    gateway.start()
    url = ready.get(timeout=30)
    urllib.request.urlopen(urllib.request.Request(url, data=json.dumps({"to": "+33600000000", "text": "warm"}).encode(),
                                                  headers={"Authorization": "Bearer test-token", "Idempotency-Key": "warm-up",
                                                           "Content-Type": "application/json"}), timeout=5).read()  # fmt: skip
    elapsed, states = _run(settings, "http", url)
    stop.set()
    counts = ready.get(timeout=30)
    gateway.join(timeout=10)
    delivered, requests = counts["delivered"] - 1, counts["requests"] - 1  # the warm-up request
    once = delivered == MESSAGES and requests == MESSAGES and states == {MessageState.SENT: MESSAGES}
    report.add(
        f"{MESSAGES:,} due reminders through the HTTP SMS backend, one worker",
        f"{elapsed:.1f} s ({MESSAGES / elapsed:,.0f} messages/s); gateway: {delivered:,} delivered for {requests:,} "
        f"requests; outbox: {states.get(MessageState.SENT, 0):,} sent",
        reference=f"file backend {reference_s:.1f} s ({MESSAGES / reference_s:,.0f} messages/s)",
        target=f"< {TARGET_SECONDS:.0f} s, each exactly once",
        met=elapsed < TARGET_SECONDS and once,
        value=round(elapsed, 2),
        unit="s",
    )
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    return report


if __name__ == "__main__":
    main()
