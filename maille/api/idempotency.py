"""``Idempotency-Key`` on every POST of /api/v1 (and FHIR creates): a retry gets the first answer.

- Same user, same key, same method, path and body: the stored answer is returned as it was (with
  ``Idempotent-Replayed: true``) and nothing runs twice.
- Same key with another body or path: 422, the key is not reused for something else.
- While the first request still runs, a second one with the same key waits for its answer (up to
  ``WAIT_SECONDS``), then gets 409.
- Keys are kept 24 hours; server errors (5xx) are not stored, so a retry runs again.

The key row is committed before the work starts (autocommit, outside the service's transaction): that row,
unique per (user, key), is what makes two concurrent requests with the same key run the work once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.api.models import IdempotencyKey
from maille.core.queries import insert_rows

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL = dt.timedelta(hours=24)
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05
MAX_KEY_LENGTH = 255

Problem = Callable[[int, str, str, str], HttpResponse]  # (status, slug, title, detail) -> response


def request_fingerprint(request: HttpRequest) -> str:
    """The method, path and body, the JSON body compared by content (key order and spacing ignored)."""
    body = request.body
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), canonical):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _claim(
    user: Any, key: str, request: HttpRequest, fingerprint: str, now: dt.datetime
) -> IdempotencyKey | None:
    """Create the key row (None: this request runs the work) or return the existing, unexpired one."""
    for _attempt in range(3):
        # In autocommit the INSERT is a transaction of its own (a BEGIN and a COMMIT less on every POST); inside
        # a caller's transaction, a savepoint keeps it usable after a conflict.
        guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
        try:
            with guard:
                insert_rows(
                    [
                        IdempotencyKey(
                            user=user,
                            key=key,
                            method=request.method,
                            path=request.path[:500],
                            request_hash=fingerprint,
                            created_at=now,
                            expires_at=now + TTL,
                        )
                    ]
                )
            return None
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(user=user, key=key).first()
            if existing is None:
                continue  # deleted meanwhile (its request failed): claim it again
            if existing.expires_at > now:
                return existing
            # An expired key is free again: delete that very row (not a newer claim) and retry.
            IdempotencyKey.objects.filter(pk=existing.pk, expires_at__lte=now).delete()
    raise RuntimeError("idempotency key could not be claimed")  # pragma: no cover - rows vanish in a loop


def _replay(stored: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(stored.response_body, status=stored.status_code, content_type=stored.content_type)
    response[REPLAYED_HEADER] = "true"
    return response


def _wait_for_answer(stored: IdempotencyKey) -> IdempotencyKey | None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        current = IdempotencyKey.objects.filter(pk=stored.pk).first()
        if current is None or current.status_code is not None:
            return current
    return IdempotencyKey.objects.filter(pk=stored.pk).first()


def run_idempotently(
    request: HttpRequest, user: Any, run: Callable[[], HttpResponse], problem: Problem
) -> HttpResponse:
    key = request.headers.get(HEADER)
    if key is None:
        return run()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        return problem(
            400,
            "cle-idempotence-invalide",
            _("Clé d'idempotence invalide"),
            _("L'en-tête Idempotency-Key doit contenir de 1 à %(max)s caractères.") % {"max": MAX_KEY_LENGTH},
        )
    fingerprint = request_fingerprint(request)
    stored = _claim(user, key, request, fingerprint, timezone.now())
    if stored is not None:
        if stored.request_hash != fingerprint:
            return problem(
                422,
                "cle-idempotence-reutilisee",
                _("Clé d'idempotence déjà utilisée"),
                _("Cette clé a déjà servi pour une autre requête : utilisez une nouvelle clé."),
            )
        if stored.status_code is None:
            stored = _wait_for_answer(stored)
        if stored is None or stored.status_code is None:
            return problem(
                409,
                "requete-en-cours",
                _("Requête en cours"),
                _("Une requête avec cette clé d'idempotence est encore en cours : réessayez plus tard."),
            )
        return _replay(stored)

    try:
        response = run()
    except BaseException:
        IdempotencyKey.objects.filter(user=user, key=key).delete()
        raise
    if response.status_code >= 500 or getattr(response, "streaming", False):
        IdempotencyKey.objects.filter(user=user, key=key).delete()
        return response
    # A plain statement: on every POST, the ORM's compilation of this update cost more than the database's work.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(IdempotencyKey._meta.db_table)} "
            "SET status_code = %s, content_type = %s, response_body = %s WHERE user_id = %s AND key = %s",
            [
                response.status_code,
                response.get("Content-Type", ""),
                response.content.decode(response.charset or "utf-8"),
                user.pk,
                key,
            ],
        )
    return response
