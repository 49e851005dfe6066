"""A fake SMS gateway on 127.0.0.1, as a real one behaves: bearer token, idempotency key, scripted faults.

Each request is recorded. A request whose ``Idempotency-Key`` was already accepted is answered like the
first time (same id) and not delivered again — the contract the HTTP backend relies on. ``script`` lists
what the next requests get: an HTTP code, or "slow" (answers after ``slow_seconds``, past the client's
timeout).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSmsGateway:
    def __init__(
        self, script: list[int | str] | None = None, *, token: str = "test-token", slow_seconds: float = 2.0
    ):
        self.script = list(script or [])
        self.token = token
        self.slow_seconds = slow_seconds
        self.requests: list[dict] = []
        self.delivered: dict[str, dict] = {}  # idempotency key → message, once
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key", "")
                with gateway._lock:
                    gateway.requests.append(
                        {"key": key, "body": body, "auth": self.headers.get("Authorization")}
                    )
                    step = gateway.script.pop(0) if gateway.script else 200
                if step == "slow":
                    time.sleep(gateway.slow_seconds)
                    step = 200
                if self.headers.get("Authorization") != f"Bearer {gateway.token}":
                    step = 401
                if step == 200:
                    with gateway._lock:
                        gateway.delivered.setdefault(key, body)
                    self._answer(200, {"id": f"gw-{key[:8]}"})
                else:
                    self._answer(int(step), {"error": "scripted"})

            def _answer(self, code: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def __enter__(self) -> FakeSmsGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
