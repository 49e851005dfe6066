"""Sustained booking throughput through ``/api/v1`` under the production server, then a check that nothing
is double-booked.

The server is the one ``maille serve`` starts (gunicorn, gthread workers and threads from the settings,
``core.serving.gunicorn_command``) on the benchmark's own PostgreSQL database. Each client is a process with
one keep-alive HTTP connection that posts ``POST /api/v1/scheduling/bookings`` with a bearer token and an
``Idempotency-Key``. Clients draw starts at random from one shared pool, so some collide: the loser gets
HTTP 409 "créneau déjà pris" with fresh alternatives, as a real client would. The reference in the same
run is one client alone on the same server. CPU per booking is read from ``/proc``: the server's processes
(gunicorn), the database's (every ``postgres`` process) and the whole machine, over the run.

    DATABASE_URL=postgres://… .venv/bin/python -m benchmarks scheduling_throughput
    BENCH_CLIENTS=16 BENCH_ATTEMPTS=150 …   # attempts per client

PostgreSQL only (SQLite serialises write transactions: it is the development database).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import multiprocessing
import os
import random
import socket
import subprocess
import time
import uuid
from pathlib import Path

from benchmarks.bench_scheduling_engine import RANGES, Network, _setup_django
from benchmarks.results import Report

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
# 150 each: 2,400 answers over about 15 s; with 60 (6 s) two runs of the same code differed by a fifth.
ATTEMPTS = int(os.environ.get("BENCH_ATTEMPTS", "150"))
SITES = int(os.environ.get("BENCH_THROUGHPUT_SITES", "100"))
DAYS = 10
TARGET_PER_SECOND = 200
TARGET_CPU_MS = 10.0
TICKS = os.sysconf("SC_CLK_TCK")


def _pool(now: dt.datetime) -> list[tuple[int, str]]:
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
                pool += [(site_id, at.isoformat()) for site_id in site_ids]
    return pool


def _cpu_seconds(match) -> float:
    """User + system CPU of every process whose command line matches, from /proc."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if match(command):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _machine_cpu_seconds() -> float:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    busy = sum(int(v) for i, v in enumerate(fields) if i not in (3, 4))  # all but idle and iowait
    return busy / TICKS


def _client(port: int, patients: list[int], starts: list, token: str, barrier, results) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    rng = random.Random(port + len(starts))
    booked = taken = refused = 0
    latencies = []
    barrier.wait()
    began = time.perf_counter()
    for site_id, at in starts:
        body = json.dumps({"patient": rng.choice(patients), "use": "bench", "site": site_id, "starts_at": at})
        t0 = time.perf_counter()
        connection.request(
            "POST",
            "/api/v1/scheduling/bookings",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": str(uuid.uuid4()),
                "Content-Type": "application/json",
            },
        )
        response = connection.getresponse()
        answer = response.read()
        latencies.append((time.perf_counter() - t0) * 1000)
        if response.status == 201:
            booked += 1
        elif response.status == 409 and json.loads(answer).get("code") == "slot_taken":
            assert json.loads(answer)["alternatives"] is not None
            taken += 1
        elif response.status in (409, 422):
            refused += 1
        else:
            raise AssertionError(f"{response.status}: {answer[:300]!r}")
    results.put((booked, taken, refused, time.perf_counter() - began, latencies))
    connection.close()


def _run(port: int, clients: int, pool: list, patients: list, token: str, rng) -> dict:
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(clients + 1), context.Queue()
    processes = [
        context.Process(
            target=_client, args=(port, patients, rng.sample(pool, ATTEMPTS), token, barrier, results)
        )
        for _ in range(clients)
    ]
    for process in processes:
        process.start()
    before = (_cpu_seconds(_is_server), _cpu_seconds(_is_database), _machine_cpu_seconds())
    barrier.wait()
    began = time.perf_counter()
    outcomes = [results.get() for _ in processes]
    elapsed = time.perf_counter() - began
    after = (_cpu_seconds(_is_server), _cpu_seconds(_is_database), _machine_cpu_seconds())
    for process in processes:
        process.join()
        assert process.exitcode == 0, process.exitcode
    latencies = sorted(ms for *_, client_latencies in outcomes for ms in client_latencies)
    answered = sum(o[0] + o[1] + o[2] for o in outcomes)
    return {
        "booked": sum(o[0] for o in outcomes),
        "taken": sum(o[1] for o in outcomes),
        "refused": sum(o[2] for o in outcomes),
        "elapsed": elapsed,
        "p50": latencies[len(latencies) // 2],
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
        "server_ms": (after[0] - before[0]) / answered * 1000,
        "database_ms": (after[1] - before[1]) / answered * 1000,
        "machine_ms": (after[2] - before[2]) / answered * 1000,
    }


def _is_database(command: str) -> bool:
    return command.startswith("postgres")


def _is_server(command: str) -> bool:
    return "gunicorn" in command and "maille.wsgi" in command


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(database_url: str) -> tuple[subprocess.Popen, int]:
    from django.conf import settings

    from maille.core.serving import gunicorn_command

    port = _free_port()
    command = gunicorn_command("127.0.0.1", str(port), settings.WEB_WORKERS, settings.WEB_THREADS)
    server = subprocess.Popen(
        command,
        env={**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/healthz")
            if probe.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not answer /healthz")


def _database_url(settings_dict: dict) -> str:
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    return (
        f"postgres://{settings_dict['USER']}{password}@{settings_dict['HOST']}:{settings_dict['PORT']}/"
        f"{settings_dict['NAME']}"
    )


def _quiesce(connection) -> None:
    """Start on a quiet disk: `make bench` runs this script after the slot-engine one, which writes and drops
    databases of millions of rows; PostgreSQL's checkpoint and the kernel's write-back of them would otherwise fall
    inside this run and make the commits wait (a full run had the cores 85 % busy and 188 bookings/s where this
    script alone, at the same commit, had them 96 % busy and 224/s)."""
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    os.sync()


def main() -> Report | None:
    connection = _setup_django()
    if connection.vendor != "postgresql":
        print("throughput benchmark skipped: it needs PostgreSQL (DATABASE_URL=postgres://…)")
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
        return None
    from django.conf import settings
    from django.utils import timezone

    from maille.accounts.models import ApiToken, Role, RoleGrant, User
    from maille.patients.models import Patient
    from maille.scheduling.models import ResourceBooking
    from maille.scheduling.selectors import double_bookings_count
    from maille.scheduling.wallclock import PARIS

    rng = random.Random(20261124)
    # The API books against the real clock: the network starts today.
    now = timezone.now().astimezone(PARIS).replace(hour=8, minute=0, second=0, microsecond=0)
    Network(rng, now, SITES, SITES // 2)  # nothing booked
    pool = _pool(now)
    operator = User.objects.create_user(username="bench-operator", password=None)
    RoleGrant.objects.create(user=operator, role=Role.PLATFORM_ADMIN)
    _, token = ApiToken.issue(user=operator, name="bench")
    patients = list(Patient.objects.values_list("pk", flat=True)[:500])
    _quiesce(connection)
    connection.close()
    server, port = _start_server(_database_url(connection.settings_dict))
    report = Report(
        script="scheduling_throughput",
        database=connection.vendor,
        title="Booking throughput through the API under the production server (issue 11, part 4)",
        command="make bench (python -m benchmarks scheduling_throughput), PostgreSQL",
        method=(
            f"gunicorn as `maille serve` starts it ({settings.WEB_WORKERS} gthread workers × "
            f"{settings.WEB_THREADS} threads) on the benchmark's PostgreSQL database; {SITES} sites, nothing "
            f"booked at start. {CLIENTS} client processes, one keep-alive HTTP connection each, {ATTEMPTS} "
            "`POST /api/v1/scheduling/bookings` each (bearer token, idempotency key) at random starts of one "
            "shared pool, so some collide (409 with alternatives). The reference is one client alone on the "
            "same server; a checkpoint and a sync first (the disk quiet after the previous scripts), then a warm-up run, "
            "unmeasured. 500 patients, as reachable as most: three in four by a "
            "mobile phone, one in ten by email only, so that most bookings write their confirmation and reminders to "
            "the outbox (no worker sends them here). CPU per answer from /proc: gunicorn's processes, PostgreSQL's, "
            "and the machine's."
        ),
    )
    try:
        # Warm-up, not measured: every worker thread imports the API stack and opens its connection once.
        warm_up = _run(port, 8, pool, patients, token, rng)
        alone = _run(port, 1, pool, patients, token, rng)
        many = _run(port, CLIENTS, pool, patients, token, rng)
    finally:
        server.terminate()
        server.wait(timeout=30)
    rate, alone_rate = many["booked"] / many["elapsed"], alone["booked"] / alone["elapsed"]
    report.add(
        f"Bookings per second, {CLIENTS} concurrent clients ({many['booked']} booked, {many['taken']} slot taken "
        f"with alternatives, {many['refused']} refused, in {many['elapsed']:.1f} s)",
        f"{rate:.0f} bookings/s; latency p50 {many['p50']:.0f} ms, p95 {many['p95']:.0f} ms",
        reference=f"1 client alone: {alone_rate:.0f} bookings/s (p50 {alone['p50']:.0f} ms) → {rate / alone_rate:.1f}×",
        target=f"≥ {TARGET_PER_SECOND} bookings/s",
        met=rate >= TARGET_PER_SECOND,
        value=round(rate, 1),
        unit="bookings/s",
    )
    report.add(
        f"CPU per answer, {CLIENTS} clients: server (gunicorn) / database (PostgreSQL) / whole machine (clients "
        "included)",
        f"{many['server_ms']:.1f} / {many['database_ms']:.1f} / {many['machine_ms']:.1f} ms",
        reference=f"1 client: {alone['server_ms']:.1f} / {alone['database_ms']:.1f} / {alone['machine_ms']:.1f} ms",
        target=f"≤ {TARGET_CPU_MS:.0f} ms per booking (server)",
        met=many["server_ms"] <= TARGET_CPU_MS,
        value=round(many["server_ms"], 2),
        unit="ms",
    )
    doubles = double_bookings_count()
    rows = ResourceBooking.objects.count()
    report.add(
        "Double bookings over all resources after the run (one query over every busy row)",
        f"{doubles} ({rows:,} busy rows, 3 per booking)",
        target="0",
        met=doubles == 0,
        value=doubles,
    )
    assert rows == 3 * (warm_up["booked"] + alone["booked"] + many["booked"])
    answered = many["booked"] + many["taken"] + many["refused"]
    busy = answered * many["machine_ms"] / 1000 / (many["elapsed"] * (os.cpu_count() or 1))
    report.note(
        f"On {os.cpu_count()} cores the clients share the CPU with the server and the database; at "
        f"{many['machine_ms']:.1f} ms of machine CPU per answer the ceiling is about "
        f"{(os.cpu_count() or 1) * 1000 / many['machine_ms']:.0f} answers/s. The run answered "
        f"{answered / many['elapsed']:.0f}/s ({many['taken']} of them 409s) with the cores busy {busy:.0%} of the time: "
        f"the rest of the time all {settings.WEB_WORKERS * settings.WEB_THREADS} server threads were waiting (on the "
        "database, its locks and commits, or the network)."
    )
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    return report


if __name__ == "__main__":
    main()
