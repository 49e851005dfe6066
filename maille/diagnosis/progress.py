"""A one-line progress bar on stderr for long planning runs (silent when stderr is not a terminal)."""

from __future__ import annotations

import time
from typing import TextIO


class ProgressBar:
    """``[#####     ] 3/6 libellé`` redrawn in place; nothing at all when ``enabled`` is false."""

    width = 30

    def __init__(self, stream: TextIO, *, total: int, enabled: bool) -> None:
        self.stream = stream
        self.total = max(total, 1)
        self.enabled = enabled
        self.done = 0
        self.started = time.perf_counter()

    def step(self, label: str) -> None:
        """Announce the step about to run (its label) and draw the bar."""
        if not self.enabled:
            return
        filled = int(self.width * self.done / self.total)
        elapsed = time.perf_counter() - self.started
        self.stream.write(
            f"\r[{'#' * filled}{' ' * (self.width - filled)}] {self.done}/{self.total} "
            f"{elapsed:5.1f} s  {label[:60]:<60}"
        )
        self.stream.flush()
        self.done = min(self.done + 1, self.total)

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (self.width + 80) + "\r")
            self.stream.flush()
