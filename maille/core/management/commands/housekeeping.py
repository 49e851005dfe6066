"""``maille housekeeping``: run the registered periodic jobs once, or every N seconds (``core.housekeeping``)."""

from __future__ import annotations

import signal
import threading
from contextlib import suppress
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils.translation import gettext as _

from maille.core.housekeeping import housekeeping_run, summary


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

    def handle(
        self, *args: Any, every: float | None = None, iterations: int | None = None, **options: Any
    ) -> None:
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
