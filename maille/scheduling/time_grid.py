"""A week drawn as a time grid: days side by side, each split into one column per resource (rooms and
assisting professionals of a site, or the doctor), hours running down, every range placed at its time and
length. The page is one screen high whatever the week holds.

The layout is computed here and drawn with CSS grid classes (``gr-<first row>``, ``gs-<rows spanned>``,
``gc-<column>``) from ``static/maille/time-grid.css``: the Content-Security-Policy forbids inline styles.
A row is ``STEP_MINUTES`` long; the grid runs from the earliest hour any range of the week starts to the
latest it ends (``DEFAULT_HOURS`` for an empty week).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .wallclock import PARIS
from .week_grids import GridEntry, Week

STEP_MINUTES = 5
DEFAULT_HOURS = (8, 18)
MAX_COLUMNS = 24  # resource columns per day (the CSS has classes up to this)
ROWS_PER_DAY = 24 * 60 // STEP_MINUTES
# Drawn first (underneath): what is open, then what takes time away, then the bookings on top.
LAYER = {"available": 1, "moved": 1, "cancelled": 2, "reserved": 2, "absence": 3, "closure": 3,
         "holiday": 3, "appointment": 4, "busy": 4}  # fmt: skip


@dataclass(frozen=True)
class PlacedEntry:
    entry: GridEntry
    column: int | None  # 1-based resource column; None: every column of the day (site-wide)
    first_row: int  # 1-based
    rows: int
    layer: int
    column_label: str = ""

    @property
    def classes(self) -> str:
        column = "gc-all" if self.column is None else f"gc-{self.column}"
        return f"gr-{self.first_row} gs-{self.rows} {column} layer-{self.layer} tg-{self.entry.kind}"


@dataclass
class DayColumn:
    day: dt.date
    entries: list[PlacedEntry] = field(default_factory=list)


@dataclass(frozen=True)
class HourMark:
    label: str
    row: int


@dataclass
class TimeGrid:
    columns: list[tuple[str, str]]  # (short label, full label) of each resource column
    days: list[DayColumn]
    hours: list[HourMark]
    rows: int

    @property
    def columns_class(self) -> str:
        return f"cols-{len(self.columns) or 1}"

    @property
    def column_classes(self) -> str:
        return f"{self.columns_class} rows-{self.rows}"


def _short_labels(labels: list[str]) -> list[str]:
    """Column heads narrow enough for a week of seven days: "S1", "S2" for rooms, "A1" for assisting
    professionals (the legend under the grid gives the full names); a single column keeps its label."""
    if len(labels) == 1:
        return labels
    counts: dict[str, int] = {}
    shorts = []
    for label in labels:
        kind = label.partition(" : ")[0]
        letter = {"Salle": "S", "Assistant·e": "A"}.get(kind, kind[:1].upper() or "R")
        counts[letter] = counts.get(letter, 0) + 1
        shorts.append(f"{letter}{counts[letter]}")
    return shorts


def _minute_of_day(moment: dt.datetime, day: dt.date) -> int:
    """Minutes from the local midnight of ``day`` (Paris wall clock), within the day."""
    local = moment.astimezone(PARIS)
    if local.date() > day:
        return 24 * 60
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=PARIS)
    return max(0, min(24 * 60, int((local - midnight).total_seconds() // 60)))


def _bounds(week: Week) -> tuple[int, int]:
    """First and last minute of the day shown: whole hours around every timed range of the week."""
    starts, ends = [], []
    for row in [week.site_row, *week.rows]:
        if row is None:
            continue
        for day, entries in zip(week.days, row.days, strict=True):
            for entry in entries:
                if entry.starts is not None and entry.ends is not None:
                    starts.append(_minute_of_day(entry.starts, day))
                    ends.append(_minute_of_day(entry.ends, day))
    if not starts:
        return DEFAULT_HOURS[0] * 60, DEFAULT_HOURS[1] * 60
    first = min(min(starts) // 60 * 60, DEFAULT_HOURS[0] * 60)
    last = max(-(-max(ends) // 60) * 60, DEFAULT_HOURS[1] * 60)
    return first, min(last, 24 * 60)


def _place(
    entry: GridEntry, day: dt.date, column: int | None, first: int, last: int, column_label: str = ""
) -> PlacedEntry | None:
    if entry.starts is None or entry.ends is None:  # all day (a public holiday)
        start, end = first, last
    else:
        start = max(_minute_of_day(entry.starts, day), first)
        end = min(_minute_of_day(entry.ends, day), last)
    if end <= start:
        return None
    first_row = (start - first) // STEP_MINUTES + 1
    rows = max(1, -(-(end - start) // STEP_MINUTES))
    return PlacedEntry(entry, column, first_row, rows, LAYER.get(entry.kind, 1), column_label)


def time_grid(week: Week) -> TimeGrid:
    first, last = _bounds(week)
    resources = week.rows[:MAX_COLUMNS]
    labels = [row.label for row in resources]
    columns = list(zip(_short_labels(labels), labels, strict=True))
    days = [DayColumn(day) for day in week.days]
    for index, row in enumerate(resources):
        for day_index, entries in enumerate(row.days):
            for entry in entries:
                placed = _place(entry, week.days[day_index], index + 1, first, last, row.label)
                if placed is not None:
                    days[day_index].entries.append(placed)
    if week.site_row is not None:
        for day_index, entries in enumerate(week.site_row.days):
            for entry in entries:
                placed = _place(entry, week.days[day_index], None, first, last)
                if placed is not None:
                    days[day_index].entries.append(placed)
    for column in days:
        column.entries.sort(key=lambda p: (p.layer, p.first_row))
    hours = [
        HourMark(f"{minute // 60:02d}:00", (minute - first) // STEP_MINUTES + 1)
        for minute in range(first, last, 60)
    ]
    return TimeGrid(columns, days, hours, (last - first) // STEP_MINUTES)


def css() -> str:
    """The placement classes (``static/maille/time-grid.css`` is this text; a test keeps them equal)."""
    lines = [
        "/* Generated by maille.scheduling.time_grid.css(): placement classes of the agenda time grid. */"
    ]
    lines += [f".gr-{n}{{grid-row-start:{n}}}" for n in range(1, ROWS_PER_DAY + 1)]
    lines += [f".gs-{n}{{grid-row-end:span {n}}}" for n in range(1, ROWS_PER_DAY + 1)]
    lines += [f".gc-{n}{{grid-column:{n}}}" for n in range(1, MAX_COLUMNS + 1)]
    lines += [".gc-all{grid-column:1/-1}"]
    lines += [
        f".cols-{n}{{grid-template-columns:repeat({n},minmax(0,1fr))}}" for n in range(1, MAX_COLUMNS + 1)
    ]
    lines += [
        f".rows-{n}{{grid-template-rows:repeat({n},minmax(0,1fr))}}" for n in range(1, ROWS_PER_DAY + 1)
    ]
    return "\n".join(lines) + "\n"
