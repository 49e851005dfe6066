"""`maille serve`: the production server and its background processes start together and stop together.

These tests start real processes: gunicorn on a free loopback port over a fresh SQLite database, the task
worker and the housekeeping loop; they check that a page is served and that SIGTERM or the death of one child
leaves no process behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from maille.core import serving


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); read its state.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == pid:
                found.append(int(entry.name))
    return found


def _descendants(pid: int) -> list[int]:
    result, frontier = [], [pid]
    while frontier:
        children = [child for parent in frontier for child in _children_of(parent)]
        result += children
        frontier = children
    return result


def _wait_for(predicate, attempts: int = 600, pause: float = 0.1) -> bool:
    for _attempt in range(attempts):
        if predicate():
            return True
        time.sleep(pause)
    return False


def test_gunicorn_command_serves_the_wsgi_application_with_workers_and_threads():
    command = serving.gunicorn_command("127.0.0.1", "8123", workers=3, threads=4)
    assert command[:4] == [sys.executable, "-m", "gunicorn", "maille.wsgi:application"]
    assert command[command.index("--bind") + 1] == "127.0.0.1:8123"
    assert command[command.index("--workers") + 1] == "3"
    assert command[command.index("--threads") + 1] == "4"
    # The access log names the path, never the query string (search terms could identify a patient).
    assert "%(U)s" in command[command.index("--access-logformat") + 1]
    assert "%(r)s" not in command[command.index("--access-logformat") + 1]


def test_supervisor_stops_every_child_when_one_dies():
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    failing = [sys.executable, "-c", "import sys, time; time.sleep(0.5); sys.exit(3)"]
    supervisor = serving.Supervisor([serving.Child("a", sleeper), serving.Child("b", failing)])
    assert supervisor.run() == 3
    assert all(process.poll() is not None for process in supervisor.processes.values())


@pytest.fixture
def served(tmp_path):
    port = _free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    environment |= {"MAILLE_VAR_DIR": str(tmp_path), "WEB_WORKERS": "2", "WEB_THREADS": "2"}
    process = subprocess.Popen(
        [sys.executable, "-m", "maille.cli", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_serve_runs_gunicorn_and_the_background_processes_and_sigterm_leaves_no_orphan(served):
    process, base_url = served
    assert _wait_for(lambda: _answers(f"{base_url}/healthz")), "the server never answered"
    descendants = _descendants(process.pid)
    commands = [
        Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() for pid in descendants
    ]
    assert any("gunicorn" in command for command in commands)
    assert any("db_worker" in command for command in commands)
    assert any("housekeeping" in command for command in commands)
    # Static files come from the production server too (WhiteNoise).
    with urllib.request.urlopen(f"{base_url}/static/vendor/htmx/htmx.min.js", timeout=5) as response:
        assert response.status == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    assert _wait_for(lambda: not any(_alive(pid) for pid in descendants), attempts=100)
