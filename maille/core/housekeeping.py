"""Periodic jobs ("housekeeping"): each app registers its own; ``maille housekeeping`` runs them all.

django-tasks has no periodic scheduler, so something must call these jobs regularly: a systemd timer or a
cron line running ``maille housekeeping`` each minute, or ``maille housekeeping --every 60`` under a
supervisor (``maille serve`` starts the latter beside the task worker). See ``docs/deploy.md``.

- Apps register their jobs in ``AppConfig.ready()`` (``register``), so this module imports no app: the
  booking engine registers hold expiry and webhook resends, the API its idempotency-key purge.
- Each job runs in its own transaction; a failing job is logged with its traceback and the others still run
  (and, with ``--every``, the loop goes on).
- Several processes may run it at once. On PostgreSQL a session advisory lock per job keeps a job to one
  process at a time (two processes expiring the same hold would log its expiry twice).
- Logs and output carry counts only, never patient data.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

FAILED = "failed"
BUSY = "busy"  # another process runs this job right now (PostgreSQL only)


@dataclass(frozen=True)
class Job:
    name: str  # for logs and the PostgreSQL lock
    label: Any  # what the summary calls the count (lazy translation)
    run: Callable[[], int]  # its own transaction(s); returns how many things it did


_registered: dict[str, Job] = {}


def register(*jobs: Job) -> None:
    """Add jobs (idempotent: ``ready()`` may run twice in tests); they run in registration order."""
    for job in jobs:
        _registered[job.name] = job


def registered_jobs() -> tuple[Job, ...]:
    return tuple(_registered.values())


def advisory_lock_key(job_name: str) -> int:
    return zlib.crc32(f"maille.housekeeping.{job_name}".encode())


@contextmanager
def _only_one_process(job_name: str) -> Iterator[bool]:
    """A session advisory lock on PostgreSQL (taken outside the job's transaction); always granted elsewhere.

    SQLite needs none: its write transactions are serialised (``transaction_mode`` IMMEDIATE).
    """
    if connection.vendor != "postgresql":
        yield True
        return
    key = advisory_lock_key(job_name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        granted = bool(cursor.fetchone()[0])
    try:
        yield granted
    finally:
        if granted:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def housekeeping_run(jobs: tuple[Job, ...] | None = None) -> dict[str, int | str]:
    """Run every job once: job name → count, ``FAILED`` or ``BUSY``. A failure never stops the others."""
    results: dict[str, int | str] = {}
    for job in registered_jobs() if jobs is None else jobs:
        try:
            with _only_one_process(job.name) as granted:
                results[job.name] = job.run() if granted else BUSY
        except Exception:
            # The traceback names code and SQL, not patient data: the jobs handle ids and dates only.
            logger.exception("Housekeeping job %s failed", job.name)
            results[job.name] = FAILED
    return results


def summary(results: dict[str, int | str], jobs: tuple[Job, ...] | None = None) -> str:
    parts = []
    for job in registered_jobs() if jobs is None else jobs:
        outcome = results[job.name]
        if outcome == FAILED:
            value = _("échec (voir le journal)")
        elif outcome == BUSY:
            value = _("déjà en cours dans un autre processus")
        else:
            value = str(outcome)
        parts.append(_("%(label)s : %(value)s") % {"label": job.label, "value": value})
    return _("Ménage : %(parts)s.") % {"parts": ", ".join(parts)}
