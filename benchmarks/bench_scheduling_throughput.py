"""Sustained booking throughput through ``/api/v1``: 16 concurrent clients book, then one query over all
resources proves there is no double booking.

Each client is a process with its own database connection (as web workers are) that posts
``POST /api/v1/scheduling/bookings`` with a bearer token and an ``Idempotency-Key`` through Django's
WSGI handler (``django.test.Client``: middleware, authentication, django-ninja, JSON, the booking
service, the audit row), without a socket: the figure leaves out the HTTP server itself. Clients draw
starts at random from one shared pool, so some collide: the loser gets HTTP 409 "créneau déjà pris"
with fresh alternatives, exactly as a real client would. The reference in the same run is one client
alone (no contention), so the ratio shows how far concurrency scales on this machine.

    DATABASE_URL=postgres://… .venv/bin/python -m benchmarks scheduling_throughput
    BENCH_CLIENTS=16 BENCH_ATTEMPTS=60 …   # attempts per client

PostgreSQL only: client processes cannot share an in-memory SQLite test database (and SQLite
serialises write transactions anyway).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import time

from benchmarks.bench_scheduling_engine import RANGES, _build, _setup_django

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
ATTEMPTS = int(os.environ.get("BENCH_ATTEMPTS", "60"))
SITES = int(os.environ.get("BENCH_THROUGHPUT_SITES", "100"))
DAYS = 10
TARGET_PER_SECOND = 200


def _pool(now: dt.datetime) -> list[tuple[int, dt.datetime]]:
    """Every (site, start) of the next working days on the 20-minute grid of the availability."""
    from maille.directory.models import Site
    from maille.scheduling.wallclock import PARIS

    site_ids = list(Site.objects.order_by("pk").values_list("pk", flat=True))
    pool = []
    for offset in range(1, DAYS + 1):
        day = now.date() + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for starts, ends in RANGES:
            for minute in range(starts, ends - 20 + 1, 20):
                at = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=PARIS)
                pool += [(site_id, at) for site_id in site_ids]
    return pool


def _client(number: int, starts: list[tuple[int, dt.datetime]], token: str, barrier, results) -> None:
    import uuid

    from django.db import connection
    from django.test import Client

    from maille.scheduling.models import Patient

    client = Client(headers={"Authorization": f"Bearer {token}"})
    patients = list(Patient.objects.values_list("pk", flat=True)[:500])
    rng = random.Random(number)
    booked = taken = refused = 0
    latencies = []
    barrier.wait()
    began = time.perf_counter()
    for site_id, at in starts:
        payload = {
            "patient": rng.choice(patients),
            "use": "bench",
            "site": site_id,
            "starts_at": at.isoformat(),
        }
        t0 = time.perf_counter()
        response = client.post(
            "/api/v1/scheduling/bookings",
            payload,
            content_type="application/json",
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        latencies.append((time.perf_counter() - t0) * 1000)
        if response.status_code == 201:
            booked += 1
        elif response.status_code == 409 and response.json().get("code") == "slot_taken":
            assert response.json()["alternatives"] is not None
            taken += 1
        elif response.status_code in (409, 422):
            refused += 1
        else:
            raise AssertionError(f"{response.status_code}: {response.content[:300]!r}")
    results.put((booked, taken, refused, time.perf_counter() - began, latencies))
    connection.close()


def _run(clients: int, pool: list, token: str, rng: random.Random) -> dict:
    from django.db import connections

    connections.close_all()  # children must not share the parent's socket
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(clients + 1), context.Queue()
    processes = [
        context.Process(target=_client, args=(n, rng.sample(pool, ATTEMPTS), token, barrier, results))
        for n in range(clients)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    began = time.perf_counter()
    outcomes = [results.get() for _ in processes]
    elapsed = time.perf_counter() - began
    for process in processes:
        process.join()
        assert process.exitcode == 0, process.exitcode
    latencies = sorted(ms for *_, client_latencies in outcomes for ms in client_latencies)
    return {
        "booked": sum(o[0] for o in outcomes),
        "taken": sum(o[1] for o in outcomes),
        "refused": sum(o[2] for o in outcomes),
        "elapsed": elapsed,
        "p50": latencies[len(latencies) // 2],
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
    }


def main() -> None:
    connection = _setup_django()
    if connection.vendor != "postgresql":
        # The clients are processes: an in-memory SQLite test database is not shared between them.
        print("throughput benchmark skipped: it needs PostgreSQL (DATABASE_URL=postgres://…)")
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
        return
    from django.utils import timezone

    from maille.accounts.models import ApiToken, Role, RoleGrant, User
    from maille.scheduling.models import ResourceBooking
    from maille.scheduling.selectors import double_bookings_count
    from maille.scheduling.wallclock import PARIS

    rng = random.Random(20261124)
    # The API books against the real clock: the network starts today.
    now = timezone.now().astimezone(PARIS).replace(hour=8, minute=0, second=0, microsecond=0)
    began = time.perf_counter()
    _build(rng, now, sites_count=SITES, doctors_count=SITES // 2, booked_share=0.0)
    pool = _pool(now)
    operator = User.objects.create_user(username="bench-operator", password=None)
    RoleGrant.objects.create(user=operator, role=Role.PLATFORM_ADMIN)
    _, token = ApiToken.issue(user=operator, name="bench")
    print(
        f"network: {SITES} sites, {2 * SITES} rooms, {2 * SITES} assistants, {SITES // 2} doctors, nothing booked; "
        f"{len(pool)} starts in the pool ({connection.vendor}); built in {time.perf_counter() - began:.1f} s"
    )
    alone = _run(1, pool, token, rng)
    print(
        f"reference, 1 client: {alone['booked'] / alone['elapsed']:.0f} bookings/s ({alone['booked']} booked, "
        f"{alone['taken']} slot taken, {alone['refused']} refused in {alone['elapsed']:.1f} s; "
        f"latency p50 {alone['p50']:.0f} ms, p95 {alone['p95']:.0f} ms)"
    )
    many = _run(CLIENTS, pool, token, rng)
    rate = many["booked"] / many["elapsed"]
    print(
        f"{CLIENTS} concurrent clients: {rate:.0f} bookings/s, {(many['booked'] + many['taken']) / many['elapsed']:.0f} "
        f"answers/s ({many['booked']} booked, {many['taken']} slot taken with alternatives, {many['refused']} refused "
        f"in {many['elapsed']:.1f} s; latency p50 {many['p50']:.0f} ms, p95 {many['p95']:.0f} ms); "
        f"target >= {TARGET_PER_SECOND} bookings/s"
    )
    print(
        f"ratio {CLIENTS} clients / 1 client (bookings/s): {rate / (alone['booked'] / alone['elapsed']):.1f}x"
    )
    doubles = double_bookings_count()
    rows = ResourceBooking.objects.count()
    print(f"double bookings over all resources (one query): {doubles}; busy rows {rows} (3 per booking)")
    assert doubles == 0
    assert rows == 3 * (alone["booked"] + many["booked"])
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
