"""The booking pages under load, as patients and operators meet them (issue 12, speed): the public slot page
under an open-loop load of 200 requests/s, and the operator console's slot search end to end.

Both run against the production server (gunicorn as ``maille serve`` starts it) on the benchmark's PostgreSQL
database, with the benchmark network (``bench_scheduling_engine.Network``) 90 % booked from today.

- Public page: ``GET /rdv/creneaux/?usage=…&commune=…`` for communes drawn at random, sent on a fixed schedule
  (open loop: a late answer does not slow the next request down; each latency is counted from the moment its
  request was due, so queueing counts). The reference is the same page, same schedule, on a second server
  whose slot cache is off (every request searches).
- Operator console: one signed-in operator (region scope) asks ``GET /agendas/reserver/creneaux/`` (the HTMX
  fragment the console loads) for random communes, one request after the other; the reference is the engine
  call alone (``find_slots``) for the same communes in this process.

    DATABASE_URL=postgres://… .venv/bin/python -m benchmarks booking_pages
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import random
import subprocess
import time
from urllib.parse import urlencode

from benchmarks.bench_scheduling_engine import Network, _percentile, _setup_django
from benchmarks.bench_scheduling_throughput import _database_url, _free_port
from benchmarks.results import Report

SITES = int(os.environ.get("BENCH_PAGES_SITES", "300"))
LOAD = 0.9
RATE = int(os.environ.get("BENCH_PUBLIC_RATE", "200"))
SECONDS = int(os.environ.get("BENCH_PUBLIC_SECONDS", "60"))  # two slot-cache refreshes per worker inside
REFERENCE_SECONDS = 3
CONNECTIONS = int(os.environ.get("BENCH_PUBLIC_CONNECTIONS", "20"))
OPERATOR_QUERIES = int(os.environ.get("BENCH_OPERATOR_QUERIES", "100"))
TARGET_PUBLIC_P95_MS = 200.0
TARGET_OPERATOR_P95_MS = 100.0


def _start_server(database_url: str, **environment: str) -> tuple[subprocess.Popen, int]:
    from django.conf import settings

    from maille.core.serving import gunicorn_command

    port = _free_port()
    command = gunicorn_command("127.0.0.1", str(port), settings.WEB_WORKERS, settings.WEB_THREADS)
    server = subprocess.Popen(
        command,
        env={**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "0", **environment},
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


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)


def _public_client(port: int, paths: list[str], due: list[float], results) -> None:
    """Send each request at its due time (or at once when late); latency from the due time."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    latencies, failures = [], 0
    for path, at in zip(paths, due, strict=True):
        wait = at - time.time()
        if wait > 0:
            time.sleep(wait)
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        done = time.time()
        if response.status != 200 or b'data-testid="site-group"' not in body:
            failures += 1
        latencies.append((done - at) * 1000)
    connection.close()
    results.put((latencies, failures, time.time()))


def _open_loop(port: int, paths: list[str], rate: int, seconds: int) -> dict:
    total = rate * seconds
    begin = time.time() + 1.0
    schedule = [begin + i / rate for i in range(total)]
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    processes = [
        context.Process(
            target=_public_client, args=(port, paths[k::CONNECTIONS], schedule[k::CONNECTIONS], results)
        )
        for k in range(CONNECTIONS)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get() for _ in processes]
    for process in processes:
        process.join()
    latencies = sorted(ms for lat, _f, _e in outcomes for ms in lat)
    finished = max(end for _l, _f, end in outcomes)
    return {
        "answered": len(latencies),
        "failures": sum(f for _l, f, _e in outcomes),
        "rate": len(latencies) / (finished - begin),
        "p50": _percentile(latencies, 0.50),
        "p95": _percentile(latencies, 0.95),
    }


def _session_cookie(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _operator_searches(port: int, cookie: str, paths: list[str]) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies = []
    for path in paths:
        began = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": cookie, "HX-Request": "true"})
        response = connection.getresponse()
        body = response.read()
        latencies.append((time.perf_counter() - began) * 1000)
        assert response.status == 200, (response.status, body[:300])
        assert b'data-testid="slot"' in body, body[:300]
    connection.close()
    return latencies


def main() -> Report | None:
    connection = _setup_django()
    if connection.vendor != "postgresql":
        print("booking pages benchmark skipped: it needs PostgreSQL (DATABASE_URL=postgres://…)")
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
        return None
    from django.conf import settings
    from django.utils import timezone

    from maille.accounts.models import Role, RoleGrant, User
    from maille.directory.models import Use
    from maille.scheduling.engine import SlotQuery, find_slots
    from maille.scheduling.wallclock import PARIS
    from maille.territory.models import Commune

    rng = random.Random(20261204)
    now = timezone.now().astimezone(PARIS).replace(hour=8, minute=0, second=0, microsecond=0)
    network = Network(rng, now, SITES, SITES // 2)
    network.load_to(LOAD, 0.0)
    use = Use.objects.get(code="bench")
    communes = list(
        Commune.objects.filter(latitude__isnull=False).values_list("code", "latitude", "longitude")
    )
    operator = User.objects.create_user(username="bench-operator", password=None)
    RoleGrant.objects.create(user=operator, role=Role.OPERATOR, region_id="44")
    cookie = _session_cookie(operator)
    public_paths = [
        "/rdv/creneaux/?" + urlencode({"usage": use.pk, "commune": rng.choice(communes)[0]})
        for _ in range(RATE * SECONDS)
    ]
    warm_paths = public_paths[: RATE * 3]
    chosen = [rng.choice(communes) for _ in range(OPERATOR_QUERIES)]
    operator_paths = [
        "/agendas/reserver/creneaux/?" + urlencode({"use": use.pk, "commune": code})
        for code, _la, _lo in chosen
    ]
    engine_ms = []
    for _code, latitude, longitude in chosen:
        began = time.perf_counter()
        find_slots(SlotQuery(use=use, latitude=latitude, longitude=longitude, limit=30))
        engine_ms.append((time.perf_counter() - began) * 1000)
    database_url = _database_url(connection.settings_dict)
    connection.close()
    report = Report(
        script="booking_pages",
        database=connection.vendor,
        title="The booking pages under load: public slot page and operator slot search (issue 12, speed)",
        command="make bench (python -m benchmarks booking_pages), PostgreSQL",
        method=(
            f"gunicorn as `maille serve` starts it ({settings.WEB_WORKERS} gthread workers × "
            f"{settings.WEB_THREADS} threads) on the benchmark's PostgreSQL database; {SITES} sites, agendas "
            f"{network.occupancy:.0%} booked over {12} weeks from today. Public page: `GET /rdv/creneaux/` for "
            f"random communes on a fixed schedule of {RATE} requests/s for {SECONDS} s from {CONNECTIONS} "
            "keep-alive connections (client processes on the same machine), latency counted from each request's "
            "due time (open loop), after 3 s of warm-up; reference: the same schedule on a second server with the "
            f"slot cache off, for {REFERENCE_SECONDS} s. Operator: one signed-in operator (region scope), "
            f"{OPERATOR_QUERIES} slot searches `GET /agendas/reserver/creneaux/` one after the other, random "
            "communes; reference: the engine call alone in-process for the same communes."
        ),
    )
    server, port = _start_server(
        database_url, PUBLIC_SLOTS_CACHE_SECONDS=str(settings.PUBLIC_SLOTS_CACHE_SECONDS)
    )
    try:
        _open_loop(port, warm_paths, RATE, 3)
        public = _open_loop(port, public_paths, RATE, SECONDS)
        _operator_searches(port, cookie, operator_paths[:10])  # every worker's first search loads its caches
        operator_ms = _operator_searches(port, cookie, operator_paths)
    finally:
        _stop(server)
    reference_server, reference_port = _start_server(database_url, PUBLIC_SLOTS_CACHE_SECONDS="0")
    try:
        _open_loop(reference_port, warm_paths[:RATE], RATE, 1)
        uncached = _open_loop(
            reference_port, public_paths[: RATE * REFERENCE_SECONDS], RATE, REFERENCE_SECONDS
        )
    finally:
        _stop(reference_server)
    report.add(
        f"Public slot page at {RATE} requests/s offered for {SECONDS} s ({public['answered']:,} answered, "
        f"{public['failures']} without slots or not 200)",
        f"{public['rate']:.0f} answers/s; latency p50 {public['p50']:.0f} ms, p95 {public['p95']:.0f} ms",
        reference=(
            f"slot cache off: {uncached['rate']:.0f} answers/s, p50 {uncached['p50']:.0f} ms, p95 "
            f"{uncached['p95']:.0f} ms"
        ),
        target=f"{RATE} requests/s with p95 < {TARGET_PUBLIC_P95_MS:.0f} ms",
        met=public["rate"] >= RATE * 0.98
        and public["p95"] < TARGET_PUBLIC_P95_MS
        and public["failures"] == 0,
        value=round(public["p95"], 1),
        unit="ms",
    )
    report.add(
        f"Operator slot search end to end (HTTP, signed in, {OPERATOR_QUERIES} random communes, agendas "
        f"{network.occupancy:.0%} booked)",
        f"p50 {_percentile(operator_ms, 0.5):.0f} ms, p95 {_percentile(operator_ms, 0.95):.0f} ms",
        reference=(
            f"engine alone in-process (first call cold): p50 {_percentile(engine_ms, 0.5):.0f} ms, p95 "
            f"{_percentile(engine_ms, 0.95):.0f} ms"
        ),
        target=f"p95 < {TARGET_OPERATOR_P95_MS:.0f} ms",
        met=_percentile(operator_ms, 0.95) < TARGET_OPERATOR_P95_MS,
        value=round(_percentile(operator_ms, 0.95), 1),
        unit="ms",
    )
    report.note(
        "The public page's slot cache holds every site's next free times for a use for "
        f"PUBLIC_SLOTS_CACHE_SECONDS ({settings.PUBLIC_SLOTS_CACHE_SECONDS} s in this run) per server process and "
        "refreshes it in the background; a patient may see a time taken a few seconds earlier, which the hold "
        "refuses with the next free ones."
    )
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    return report


if __name__ == "__main__":
    main()
