"""Run the web server and its background processes together, and stop them together.

``maille serve`` is the process a person starts and stops: it launches the production WSGI server (gunicorn,
static files through WhiteNoise), the task worker and the housekeeping loop as children, forwards Ctrl-C and
SIGTERM to all of them, and stops them all if one dies, so no orphan process is left behind.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# Time given to a child to finish its requests or its task after SIGTERM, before SIGKILL.
GRACEFUL_STOP_SECONDS = 15


@dataclass(frozen=True)
class Child:
    name: str
    command: list[str]


def gunicorn_command(host: str, port: str, workers: int, threads: int) -> list[str]:
    """The production server: preloaded WSGI app, sync workers with threads, access log without query
    strings (they could carry search terms)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "maille.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--preload",
        "--graceful-timeout",
        str(GRACEFUL_STOP_SECONDS - 5),
        "--backlog",
        "2048",
        "--access-logfile",
        "-",
        "--access-logformat",
        '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
    ]


def development_server_command(host: str, port: str) -> list[str]:
    return [sys.executable, "-m", "maille.cli", "runserver", "--noreload", f"{host}:{port}"]


def background_commands() -> list[Child]:
    """The processes run beside the web server.

    The worker runs background tasks (webhooks, reminders, long imports); django-tasks has no periodic
    scheduler, so housekeeping (expired holds, webhook retries, idempotency keys) runs in a loop of its own.
    """
    maille = [sys.executable, "-m", "maille.cli"]
    return [
        Child("worker", [*maille, "db_worker", "--interval", "1"]),
        Child("housekeeping", [*maille, "housekeeping", "--every", "60"]),
    ]


class Supervisor:
    """Start children, wait until one exits or a stop signal arrives, then stop the others."""

    def __init__(self, children: Sequence[Child]) -> None:
        self.children = list(children)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._stopping = False

    def _on_signal(self, signum: int, _frame: object) -> None:
        self._stopping = True

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in self.children:
                # Own process group: a Ctrl-C in the terminal reaches the supervisor only, which then stops
                # each child in order (gunicorn first, so no request is cut by a worker vanishing).
                self.processes[child.name] = subprocess.Popen(child.command, start_new_session=True)
            exit_code = 0
            while not self._stopping:
                for name, process in self.processes.items():
                    code = process.poll()
                    if code is not None:
                        logger.error(
                            "maille serve: %s stopped (exit code %s); stopping the others.", name, code
                        )
                        exit_code = code or 1
                        self._stopping = True
                        break
                time.sleep(0.2)
            return exit_code
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACEFUL_STOP_SECONDS
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
