"""``maille housekeeping``: the periodic jobs of the booking engine, run once, or every N seconds.

django-tasks has no periodic scheduler, so something must call these jobs regularly: a systemd timer or a
cron line running ``maille housekeeping`` each minute, or ``maille housekeeping --every 60`` under a
supervisor (``maille serve`` starts the latter beside the task worker). See ``docs/deploy.md``.

- Each job runs in its own transaction; a failing job is logged with its traceback and the others still run
  (and, with ``--every``, the loop goes on).
- Several processes may run it at once. Webhook deliveries are only *enqueued* here: sending claims each
  attempt with a conditional UPDATE (``webhooks.deliver``), so a delivery enqueued by two processes is still
  sent once. On PostgreSQL a session advisory lock per job also keeps a job to one process at a time (two
  processes expiring the same hold would log its expiry twice).
- Logs and output carry counts only, never patient data.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maille.scheduling.models import IdempotencyKey
from maille.scheduling.services import holds_expire
from maille.scheduling.webhooks import webhook_deliveries_resend

logger = logging.getLogger(__name__)


def expired_idempotency_keys_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the idempotency keys past their time (they are already ignored by the API)."""
    return IdempotencyKey.objects.purge_expired(now or timezone.now())


def _expire_holds() -> int:
    # ``holds_expire`` is its own durable transaction: it cannot be nested in another one.
    return holds_expire()


def _resend_webhook_deliveries() -> int:
    with transaction.atomic(durable=True):
        return webhook_deliveries_resend()


def _purge_idempotency_keys() -> int:
    with transaction.atomic(durable=True):
        return expired_idempotency_keys_purge()


@dataclass(frozen=True)
class Job:
    name: str  # for logs and the PostgreSQL lock
    label: Any  # what the summary calls the count (lazy translation)
    run: Callable[[], int]


JOBS = (
    Job("holds_expire", gettext_lazy("options expirées"), _expire_holds),
    Job("webhook_deliveries_resend", gettext_lazy("notifications renvoyées"), _resend_webhook_deliveries),
    Job("idempotency_keys_purge", gettext_lazy("clés d'idempotence purgées"), _purge_idempotency_keys),
)
FAILED = "failed"
BUSY = "busy"  # another process runs this job right now (PostgreSQL only)


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


def housekeeping_run(jobs: tuple[Job, ...] = JOBS) -> dict[str, int | str]:
    """Run every job once: job name → count, ``FAILED`` or ``BUSY``. A failure never stops the others."""
    results: dict[str, int | str] = {}
    for job in jobs:
        try:
            with _only_one_process(job.name) as granted:
                results[job.name] = job.run() if granted else BUSY
        except Exception:
            # The traceback names code and SQL, not patient data: the jobs handle ids and dates only.
            logger.exception("Housekeeping job %s failed", job.name)
            results[job.name] = FAILED
    return results


def summary(results: dict[str, int | str], jobs: tuple[Job, ...] = JOBS) -> str:
    parts = []
    for job in jobs:
        outcome = results[job.name]
        if outcome == FAILED:
            value = _("échec (voir le journal)")
        elif outcome == BUSY:
            value = _("déjà en cours dans un autre processus")
        else:
            value = str(outcome)
        parts.append(_("%(label)s : %(value)s") % {"label": job.label, "value": value})
    return _("Ménage : %(parts)s.") % {"parts": ", ".join(parts)}


class _StopRequested:
    """Set by SIGTERM: the loop ends after the run in progress, without waiting for the next one."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: Any = None

    def __enter__(self) -> _StopRequested:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: self.event.set())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  # translated when asked (argparse wants a real str)
        return _(
            "Ménage périodique des réservations : expire les options échues, renvoie les notifications "
            "(webhooks) en attente, purge les clés d'idempotence périmées."
        )

    # ``iterations`` bounds the loop (tests); not a command-line option.
    stealth_options = ("iterations",)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--every",
            type=float,
            metavar="SECONDES",
            help=_("recommencer toutes les SECONDES secondes, jusqu'à SIGTERM ou Ctrl-C"),
        )

    def handle(self, *args: Any, every: float | None = None, iterations: int | None = None, **options: Any):
        if every is None:
            self.stdout.write(summary(housekeeping_run()))
            return
        if every <= 0:
            raise CommandError(_("--every attend un nombre de secondes positif."))
        with suppress(KeyboardInterrupt):  # Ctrl-C: the same clean stop as SIGTERM
            self._loop(every, iterations)
        self.stdout.write(_("Ménage périodique arrêté."))

    @staticmethod
    def _drop_stale_connections() -> None:
        """A long-lived process: drop a connection the database closed or that is too old (as Django does
        around each request), never one inside a caller's transaction."""
        if not connection.in_atomic_block:
            close_old_connections()

    def _loop(self, every: float, iterations: int | None) -> None:
        runs = 0
        with _StopRequested() as stop:
            while not stop.event.is_set():
                self._drop_stale_connections()
                results = housekeeping_run()
                self._drop_stale_connections()
                # Every minute under `maille serve`: say something only when there was something to do.
                if any(outcome != 0 for outcome in results.values()):
                    self.stdout.write(summary(results))
                runs += 1
                if iterations is not None and runs >= iterations:
                    return
                stop.event.wait(every)
