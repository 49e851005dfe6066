"""Indicator cells: what the indicators need of one month's acts at one (commune, site), stored for past months.

A region's year is a million acts; the same year is a few thousand cells. Each cell keeps the additive figures as
counts and the distinct ones as their members (patients' pseudonyms, doctors' RPPS), so that the union of any
cells — a zone is a set of communes, a scope a set of communes and sites — counts each patient and doctor once:
exact figures, not estimates. ``build_cells`` computes cells from any set of acts and dates; the indicators use it
directly for what is not stored (a month not yet ended, the days of a period that cut a month, a remote doctor's
own acts) and read the stored cells for whole past months.

Stored months (``IndicatorMonth``) remember the highest act, appointment and transition ids they include; an act,
appointment or transition written since in that month makes it stale: pages compute it from the acts until the
housekeeping job stores it again (a month never stored is built by the first page that asks for it). A month's
acts are read under a SHARE lock of the acts table on PostgreSQL: writers in flight commit first and new ones
(completions, imports) wait for the build, about a second, so that no act committed late with a lower id is missed. Bookings never wait: the appointments are not locked, and
their outcomes are counted once more ``SETTLE_MINUTES`` after the build, when whatever was in flight has committed.
Months not yet ended are never stored: they change all day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import DatabaseError, connection, transaction
from django.db.models import (
    Aggregate,
    BigIntegerField,
    BinaryField,
    Case,
    Count,
    Func,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.utils import timezone

from maille.scheduling.models import Appointment, AppointmentTransition
from maille.scheduling.selectors import appointment_outcomes_by_site_month
from maille.scheduling.wallclock import PARIS

from .models import (
    TELEHEALTH_CATEGORIES,
    Act,
    ActCategory,
    BillingLine,
    DoctorPractice,
    IndicatorCell,
    IndicatorMonth,
    IndicatorWatermark,
    OutcomeCell,
)

logger = logging.getLogger(__name__)

TELEHEALTH = list(TELEHEALTH_CATEGORIES)
IS_TELEHEALTH = Q(category__in=TELEHEALTH)
APPROPRIATION_PRACTICES = [DoctorPractice.LIBERAL, DoctorPractice.HEALTH_CENTRE]
# the doctors of the appropriation rate (note 7), and the teleconsultations whose trip is estimated
CONSULTING = Q(
    doctor_practice__in=APPROPRIATION_PRACTICES,
    category__in=[ActCategory.TELECONSULTATION, ActCategory.IN_PERSON],
) & ~Q(doctor_rpps="")
TRIP = Q(category=ActCategory.TELECONSULTATION, patient_commune__isnull=False, site__isnull=False)
LATE_CANCELLATION_HOURS = 24  # a cancellation later than this before the start is "late" (the time is lost)
COUNTED = ("teleconsultations", "acts", "gp_known", "without_gp", "with_gp", "report_sent", "ald", "in_person",
           "amount_cents")  # fmt: skip
OUTCOMES = ("completed", "no_show", "cancelled", "cancelled_late", "held_minutes")
MONTHS_KEPT = 25  # two years of quarters and their look-back (note 8 reads the twelve months before a period)
MONTHS_PER_PASS = 3  # a month of a million-act year builds in about a second
LOCK_TIMEOUT = "3s"  # a month build waits this long for writers in flight, then the page computes it unstored
SETTLE_MINUTES = 10  # longer than any booking or status change transaction
MARKS_LAG_MINUTES = 60  # longer than any import of acts: marks are raised to a watermark this old

CellKey = tuple[dt.date, str, int | None]  # (month, commune, site)
_EMPTY = np.zeros(0, dtype=np.int64)
_NO_TRIPS = np.zeros((0, 2), dtype=np.int64)


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an int64 array. Sorting is far quicker here than ``np.unique`` (hashing in
    NumPy 2.4): 6 ms against 670 ms for a million pseudonyms."""
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def union(arrays: list[np.ndarray]) -> np.ndarray:
    """The distinct members of several arrays."""
    return distinct(np.concatenate(arrays)) if arrays else _EMPTY


def union_size(arrays: list[np.ndarray]) -> int:
    return int(union(arrays).size)


def commune_number(code: str) -> int:
    """A commune code as a number (base 36: Corsica's 2A and 2B codes too), to pack trips as integers."""
    return int(code, 36)


def commune_code(number: int) -> str:
    return np.base_repr(number, 36).rjust(5, "0")


def doctor_number(rpps: str) -> int:
    """An RPPS as a number (11 digits); anything else as a negative 62-bit hash, to count doctors as integers."""
    if rpps.isdigit() and len(rpps) <= 18:
        return int(rpps)
    return -1 - int.from_bytes(hashlib.blake2b(rpps.encode(), digest_size=8).digest(), "big") % (1 << 62)


@dataclass
class Cell:
    counts: Counter[str] = field(default_factory=Counter)
    patients: np.ndarray = field(default_factory=lambda: _EMPTY)  # sorted, unique
    ald_patients: np.ndarray = field(default_factory=lambda: _EMPTY)
    doctors: np.ndarray = field(default_factory=lambda: _EMPTY)  # RPPS as numbers (``doctor_number``)
    teleconsulting_doctors: np.ndarray = field(default_factory=lambda: _EMPTY)
    delays: Counter[int] = field(default_factory=Counter)
    trips: np.ndarray = field(default_factory=lambda: _NO_TRIPS)  # rows (patient's commune number, count)
    # the ledger page's (built only when asked: ``ledger=True``)
    all_patients: np.ndarray = field(default_factory=lambda: _EMPTY)
    categories: dict[str, list[int]] = field(default_factory=dict)  # kind → [acts, cents]
    codes: dict[str, list[int]] = field(default_factory=dict)  # billing code → [lines, cents]


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + 1, 1, 1) if day.month == 12 else dt.date(day.year, day.month + 1, 1)


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return next_month(day) - dt.timedelta(days=1)


def months_back(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_from(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of the months from ``first``'s to ``last``'s, both included."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def instant(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=PARIS)


# --- computed from acts -------------------------------------------------------------------------------------
class PackedMembers(Aggregate):
    """PostgreSQL: the group's pseudonyms as one bytea of big-endian int64s (duplicates left to NumPy), so that a
    month of patients crosses to Python as a few bytes strings instead of a row per (cell, patient)."""

    function = "string_agg"
    template = "%(function)s(int8send(%(expressions)s), ''::bytea)"
    output_field = BinaryField()


class PackedDelays(Aggregate):
    """PostgreSQL: the group's booking delays as one bytea of big-endian int16s (counted by NumPy)."""

    function = "string_agg"
    template = "%(function)s(int2send((%(expressions)s)::int2), ''::bytea)"
    output_field = BinaryField()


class ConcatenatedCodes(Aggregate):
    """PostgreSQL: the group's commune codes as one comma-separated string (counted in Python)."""

    function = "string_agg"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = TextField()


class DoctorNumber(Func):
    """PostgreSQL: an RPPS as a number, anything else as a negative 62-bit hash (``doctor_number``'s rule; the
    hash differs from Python's, each database keeping to its own)."""

    template = (
        "CASE WHEN %(expressions)s ~ '^[0-9]{1,18}$' THEN (%(expressions)s)::bigint "
        "ELSE -1 - (hashtextextended(%(expressions)s, 0) & 4611686018427387903) END"
    )
    output_field = BigIntegerField()


def _members(value: bytes | memoryview | None) -> np.ndarray:
    return distinct(np.frombuffer(bytes(value or b""), dtype=">i8").astype(np.int64))


def _delays(value: bytes | memoryview | None) -> Counter[int]:
    counts = np.bincount(np.frombuffer(bytes(value or b""), dtype=">i2").astype(np.int64))
    return Counter({int(days): int(n) for days, n in enumerate(counts.tolist()) if n})


def _trips(codes: str | None) -> np.ndarray:
    if not codes:
        return _NO_TRIPS
    counted = Counter(codes.split(","))
    return np.asarray([(commune_number(code), n) for code, n in counted.items()], dtype=np.int64).reshape(
        -1, 2
    )


def build_cells(
    acts: QuerySet[Act], start: dt.date, end: dt.date, *, ledger: bool = False
) -> dict[CellKey, Cell]:
    """The cells of ``acts`` performed from ``start`` to ``end`` (both included), month by month: a few grouped
    queries each (``ledger``: with the ledger page's figures: every act's kind, patient and billing codes)."""
    cells: dict[CellKey, Cell] = {}
    day = start
    while day <= end:
        month = month_start(day)
        run_end = min(end, month_end(month))
        _build_month(
            acts.filter(performed_on__gte=day, performed_on__lte=run_end), month, cells, ledger=ledger
        )
        day = run_end + dt.timedelta(days=1)
    return cells


def _count_aggregates(ledger: bool, packed: bool) -> dict[str, Any]:
    aggregates: dict[str, Any] = {
        "teleconsultations": Count("pk", filter=Q(category=ActCategory.TELECONSULTATION)),
        "acts": Count("pk", filter=IS_TELEHEALTH),
        "gp_known": Count("pk", filter=IS_TELEHEALTH & Q(has_medecin_traitant__isnull=False)),
        "without_gp": Count("pk", filter=IS_TELEHEALTH & Q(has_medecin_traitant=False)),
        "with_gp": Count("pk", filter=IS_TELEHEALTH & Q(has_medecin_traitant=True)),
        "report_sent": Count("pk", filter=IS_TELEHEALTH & Q(has_medecin_traitant=True,
                                                            report_sent_to_medecin_traitant=True)),
        "ald": Count("pk", filter=IS_TELEHEALTH & Q(is_ald=True)),
        "in_person": Count("pk", filter=Q(category=ActCategory.IN_PERSON)),
        "telehealth_amount": Sum("amount", filter=IS_TELEHEALTH),
    }  # fmt: skip
    if packed:  # one pass over the month's acts for everything (each other grouped query reads them again)
        aggregates["patients"] = PackedMembers("patient_pseudonym", filter=IS_TELEHEALTH)
        aggregates["ald_patients"] = PackedMembers("patient_pseudonym", filter=Q(is_ald=True))
        aggregates["doctors"] = PackedMembers(DoctorNumber("doctor_rpps"), filter=CONSULTING)
        aggregates["teleconsulting_doctors"] = PackedMembers(
            DoctorNumber("doctor_rpps"), filter=CONSULTING & Q(category=ActCategory.TELECONSULTATION)
        )
        aggregates["delays"] = PackedDelays(
            "booking_delay_days", filter=IS_TELEHEALTH & Q(booking_delay_days__isnull=False)
        )
        aggregates["trips"] = ConcatenatedCodes("patient_commune_id", filter=TRIP)
        if ledger:
            aggregates["all_patients"] = PackedMembers("patient_pseudonym")
    if ledger:
        for kind in ActCategory.values:
            aggregates[f"n_{kind}"] = Count("pk", filter=Q(category=kind))
            aggregates[f"a_{kind}"] = Sum("amount", filter=Q(category=kind))
    return aggregates


def _build_month(period: QuerySet[Act], month: dt.date, cells: dict[CellKey, Cell], *, ledger: bool) -> None:
    """Add the acts of ``period`` (days of one ``month``) to ``cells``."""
    keys = ("commune_id", "site_id")
    packed = connection.vendor == "postgresql"

    def cell(commune: str, site: int | None) -> Cell:
        return cells.setdefault((month, commune, site), Cell())

    for row in period.values(*keys).annotate(**_count_aggregates(ledger, packed)).order_by():
        target = cell(row["commune_id"], row["site_id"])
        for name in COUNTED[:-1]:
            target.counts[name] += row[name]
        target.counts["amount_cents"] += _cents(row["telehealth_amount"])
        if packed:
            for attribute in ("patients", "ald_patients", "doctors", "teleconsulting_doctors"):
                setattr(target, attribute, _members(row[attribute]))
            if ledger:
                target.all_patients = _members(row["all_patients"])
            target.delays = _delays(row["delays"])
            target.trips = _trips(row["trips"])
        if ledger:
            for kind in ActCategory.values:
                if row[f"n_{kind}"]:
                    totals = target.categories.setdefault(kind, [0, 0])
                    totals[0] += row[f"n_{kind}"]
                    totals[1] += _cents(row[f"a_{kind}"])
    if not packed:
        _patients_row_by_row(period, keys, cell, ledger=ledger)
        _doctors_delays_trips(period, keys, cell)
    if ledger:
        for commune, site, code, lines, amount in (
            BillingLine.objects.filter(act__in=period.values("pk"))
            .values_list("act__commune_id", "act__site_id", "code_id")
            .annotate(n=Count("pk"), amount=Sum("amount"))
            .order_by()
        ):
            totals = cell(commune, site).codes.setdefault(code, [0, 0])
            totals[0] += lines
            totals[1] += _cents(amount)


def _patients_row_by_row(period: QuerySet[Act], keys: tuple[str, ...], cell: Any, *, ledger: bool) -> None:
    """SQLite (development, tests): the members read as one row per (cell, patient)."""
    flag = {"output_field": IntegerField()}
    members: dict[str, dict[tuple[str, int | None], list[int]]] = {
        "patients": defaultdict(list), "ald_patients": defaultdict(list), "all_patients": defaultdict(list)}  # fmt: skip
    for commune, site, pseudonym, telehealth, ald in (
        (period if ledger else period.filter(IS_TELEHEALTH | Q(is_ald=True)))
        .values_list(*keys, "patient_pseudonym")
        .annotate(t=Max(Case(When(IS_TELEHEALTH, then=1), default=0, **flag)),
                  a=Max(Case(When(is_ald=True, then=1), default=0, **flag)))
        .order_by()
    ):  # fmt: skip
        if ledger:
            members["all_patients"][(commune, site)].append(pseudonym)
        if telehealth:
            members["patients"][(commune, site)].append(pseudonym)
        if ald:
            members["ald_patients"][(commune, site)].append(pseudonym)
    for attribute, of_cell in members.items():
        for (commune, site), values in of_cell.items():
            setattr(cell(commune, site), attribute, distinct(np.asarray(values, dtype=np.int64)))


def _doctors_delays_trips(period: QuerySet[Act], keys: tuple[str, ...], cell: Any) -> None:
    """SQLite: the doctors, delays and trips by grouped queries of their own."""
    teleconsulting = Max(Case(When(category=ActCategory.TELECONSULTATION, then=1), default=0,
                              output_field=IntegerField()))  # fmt: skip
    doctors: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    by_video: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    for commune, site, rpps, video in (
        period.filter(CONSULTING).values_list(*keys, "doctor_rpps").annotate(t=teleconsulting).order_by()
    ):
        doctors[(commune, site)].append(doctor_number(rpps))
        if video:
            by_video[(commune, site)].append(doctor_number(rpps))
    for place, numbers in doctors.items():
        cell(*place).doctors = distinct(np.asarray(numbers, dtype=np.int64))
    for place, numbers in by_video.items():
        cell(*place).teleconsulting_doctors = distinct(np.asarray(numbers, dtype=np.int64))
    for commune, site, delay, n in (
        period.filter(IS_TELEHEALTH, booking_delay_days__isnull=False)
        .values_list(*keys, "booking_delay_days")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        cell(commune, site).delays[delay] += n
    trips: dict[tuple[str, int | None], list[tuple[int, int]]] = defaultdict(list)
    for commune, site, origin, n in (
        period.filter(TRIP).values_list(*keys, "patient_commune_id").annotate(n=Count("pk")).order_by()
    ):
        trips[(commune, site)].append((commune_number(origin), n))
    for place, rows in trips.items():
        cell(*place).trips = np.asarray(rows, dtype=np.int64).reshape(-1, 2)


def _cents(amount: Any) -> int:
    return int(round((amount or 0) * 100))


def build_outcomes(
    site_ids: list[int] | None, start: dt.date, end: dt.date
) -> dict[tuple[dt.date, int], dict[str, int]]:
    return appointment_outcomes_by_site_month(
        site_ids, instant(start), instant(end + dt.timedelta(days=1)), late_hours=LATE_CANCELLATION_HOURS
    )


# --- stored -------------------------------------------------------------------------------------------------
def _pack(members: np.ndarray) -> bytes:
    return np.asarray(members, dtype="<i8").tobytes()


def _unpack(value: bytes | memoryview | None) -> np.ndarray:
    return np.frombuffer(bytes(value or b""), dtype="<i8").astype(np.int64, copy=False)


# What a page reads of a stored cell: the indicators (``INDICATOR_COLUMNS``) or the ledger (``LEDGER_COLUMNS``).
INDICATOR_COLUMNS = ("month", "commune_id", "site_id", "figures", "patients", "ald_patients", "doctors",
                     "teleconsulting_doctors", "trips")  # fmt: skip
LEDGER_COLUMNS = ("month", "commune_id", "site_id", "ledger", "all_patients")


def _indicator_cell(figures: dict[str, Any], patients: bytes, ald_patients: bytes, doctors: bytes,
                    teleconsulting_doctors: bytes, trips: bytes) -> Cell:  # fmt: skip
    return Cell(
        counts=Counter(figures["counts"]),
        patients=_unpack(patients),
        ald_patients=_unpack(ald_patients),
        doctors=_unpack(doctors),
        teleconsulting_doctors=_unpack(teleconsulting_doctors),
        delays=Counter({int(days): n for days, n in figures["delays"].items()}),
        trips=_unpack(trips).reshape(-1, 2),
    )


def _ledger_cell(ledger: dict[str, Any], all_patients: bytes) -> Cell:
    return Cell(all_patients=_unpack(all_patients), categories=ledger["categories"], codes=ledger["codes"])


def _high_water() -> tuple[int, int, int]:
    """The highest act, appointment and transition ids, in one statement."""
    tables = [model._meta.db_table for model in (Act, Appointment, AppointmentTransition)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT MAX(id) FROM {table})" for table in tables))
        row = cursor.fetchone()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


def stale_months(months: list[dt.date]) -> list[dt.date]:
    """Which of these past months have no stored cells, or rows written since they were built (index scans of
    the rows above the oldest mark: nothing to read when nothing changed)."""
    if not months:
        return []
    marks = {row.month: row for row in IndicatorMonth.objects.filter(month__in=months)}
    stale = {month for month in months if month not in marks}
    built = [marks[month] for month in months if month in marks]
    if built:
        first, after = min(months), next_month(max(months))
        lowest = min(row.acts_up_to for row in built)
        for day, top in (
            Act.objects.filter(pk__gt=lowest, performed_on__gte=first, performed_on__lt=after)
            .values_list("performed_on")
            .annotate(top=Max("pk"))
            .order_by()
        ):
            mark = marks.get(month_start(day))
            if mark is not None and top > mark.acts_up_to:
                stale.add(mark.month)
        _stale_by_appointments(marks, stale, instant(first), instant(after))
    return sorted(stale)


def _stale_by_appointments(
    marks: dict[dt.date, IndicatorMonth], stale: set[dt.date], since: dt.datetime, until: dt.datetime
) -> None:
    lowest = min(row.appointments_up_to for row in marks.values())
    for starts_at, top in (
        Appointment.objects.filter(pk__gt=lowest, starts_at__gte=since, starts_at__lt=until)
        .values_list("starts_at", "pk")
        .order_by()
    ):
        mark = marks.get(month_start(starts_at.astimezone(PARIS).date()))
        if mark is not None and top > mark.appointments_up_to:
            stale.add(mark.month)
    lowest = min(row.transitions_up_to for row in marks.values())
    for starts_at, top in (
        AppointmentTransition.objects.filter(
            pk__gt=lowest, appointment__starts_at__gte=since, appointment__starts_at__lt=until
        )
        .values_list("appointment__starts_at", "pk")
        .order_by()
    ):
        mark = marks.get(month_start(starts_at.astimezone(PARIS).date()))
        if mark is not None and top > mark.transitions_up_to:
            stale.add(mark.month)


def store_month(month: dt.date) -> bool:
    """Build and store one past month's cells, network-wide; False when writers held the tables too long."""
    began = time.perf_counter()
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                    cursor.execute(f"LOCK TABLE {Act._meta.db_table} IN SHARE MODE")
            acts_up_to, appointments_up_to, transitions_up_to = _high_water()
            cells = build_cells(Act.objects.all(), month, month_end(month), ledger=True)
            IndicatorCell.objects.filter(month=month).delete()
            IndicatorCell.objects.bulk_create(
                [_row(key, cell) for key, cell in cells.items()], batch_size=500
            )
            _store_outcomes(month)
            IndicatorMonth.objects.update_or_create(
                month=month,
                defaults={
                    "acts_up_to": acts_up_to,
                    "appointments_up_to": appointments_up_to,
                    "transitions_up_to": transitions_up_to,
                    "built_at": timezone.now(),
                    "build_seconds": time.perf_counter() - began,
                    "outcomes_settled": False,
                },
            )
    except DatabaseError:  # the lock waited too long (an import in progress): the page computes it unstored
        logger.warning("indicator cells of %s not stored: tables busy", month.isoformat())
        return False
    return True


def settle_outcomes(month: dt.date) -> None:
    """Count a stored month's appointments again, once, ``SETTLE_MINUTES`` after it was built: a booking or
    transition in flight during the build (the appointments' tables are not locked: bookings never wait for the
    indicators) has committed since, even with a lower id than the marks."""
    with transaction.atomic():
        mark = IndicatorMonth.objects.select_for_update().filter(month=month).first()
        if mark is None:
            return
        _acts, appointments_up_to, transitions_up_to = _high_water()
        _store_outcomes(month)
        mark.appointments_up_to = max(mark.appointments_up_to, appointments_up_to)
        mark.transitions_up_to = max(mark.transitions_up_to, transitions_up_to)
        mark.outcomes_settled = True
        mark.save(update_fields=["appointments_up_to", "transitions_up_to", "outcomes_settled"])


def _store_outcomes(month: dt.date) -> None:
    """Replace a month's outcome cells (in the caller's transaction)."""
    outcomes = build_outcomes(None, month, month_end(month))
    OutcomeCell.objects.filter(month=month).delete()
    OutcomeCell.objects.bulk_create(
        [OutcomeCell(month=key[0], site_id=key[1], **counts) for key, counts in outcomes.items()],
        batch_size=1000,
    )


def _row(key: CellKey, cell: Cell) -> IndicatorCell:
    return IndicatorCell(
        month=key[0],
        commune_id=key[1],
        site_id=key[2],
        figures={"counts": dict(cell.counts), "delays": {str(days): n for days, n in cell.delays.items()}},
        doctors=_pack(cell.doctors),
        teleconsulting_doctors=_pack(cell.teleconsulting_doctors),
        trips=_pack(cell.trips.reshape(-1)),
        ledger={"categories": cell.categories, "codes": cell.codes},
        patients=_pack(cell.patients),
        ald_patients=_pack(cell.ald_patients),
        all_patients=_pack(cell.all_patients),
    )  # fmt: skip


def storable_months(months: Iterable[dt.date], today: dt.date | None = None) -> list[dt.date]:
    """Months that have ended (the current one changes all day: never stored)."""
    current = month_start(today or timezone.localdate())
    return [month for month in months if month < current]


def refresh_indicator_cells(today: dt.date | None = None, limit: int | None = None) -> int:
    """The housekeeping job: the past months a dashboard reads most (the last ``MONTHS_KEPT``) and every month
    already stored, built when missing or stale, the most recent first and at most ``limit`` (default
    ``MONTHS_PER_PASS``) at a time, so that a pass stays short (the holds expire in the same loop). Returns how
    many months were built."""
    current = month_start(today or timezone.localdate())
    stored = set(IndicatorMonth.objects.values_list("month", flat=True))
    months = sorted(set(months_from(months_back(current, MONTHS_KEPT), current)) | stored)
    now = timezone.now()
    high_water = _high_water()  # before the check: a later pass may raise marks to it
    changed = stale_months(storable_months(months, current))
    stale = [
        month
        for month in sorted(changed, reverse=True)
        # a month never stored and without acts is left to the page that asks for it (an empty ledger: nothing)
        if month in stored
        or Act.objects.filter(performed_on__gte=month, performed_on__lte=month_end(month)).exists()
    ]
    built = sum(1 for month in stale[: limit or MONTHS_PER_PASS] if store_month(month))
    settled_before = now - dt.timedelta(minutes=SETTLE_MINUTES)
    for month in IndicatorMonth.objects.filter(
        outcomes_settled=False, built_at__lt=settled_before
    ).values_list("month", flat=True)[:MONTHS_PER_PASS]:
        settle_outcomes(month)
    _raise_marks(stored - set(changed), now - dt.timedelta(minutes=MARKS_LAG_MINUTES))
    IndicatorWatermark.objects.create(
        taken_at=now,
        acts_up_to=high_water[0],
        appointments_up_to=high_water[1],
        transitions_up_to=high_water[2],
    )
    IndicatorWatermark.objects.filter(taken_at__lt=now - dt.timedelta(days=1)).delete()
    return built


def _raise_marks(unchanged: set[dt.date], settled_before: dt.datetime) -> None:
    """Raise the marks of months just found unchanged to a watermark taken ``MARKS_LAG_MINUTES`` ago or more: every
    row up to it had committed when they were checked (no booking, completion or import lasts that long), and
    none was theirs. The next checks then read only the rows written since, not every booking since a month was
    built."""
    settled = IndicatorWatermark.objects.filter(taken_at__lte=settled_before).order_by("-taken_at").first()
    if settled is None or not unchanged:
        return
    IndicatorMonth.objects.filter(month__in=sorted(unchanged)).update(
        acts_up_to=Greatest("acts_up_to", Value(settled.acts_up_to)),
        appointments_up_to=Greatest("appointments_up_to", Value(settled.appointments_up_to)),
        transitions_up_to=Greatest("transitions_up_to", Value(settled.transitions_up_to)),
    )


def forget_indicator_cells() -> None:
    """After acts or appointments were deleted (the demo's reloads): every month is built again when needed."""
    IndicatorMonth.objects.all().delete()
    IndicatorCell.objects.all().delete()
    OutcomeCell.objects.all().delete()


# --- read ---------------------------------------------------------------------------------------------------
@dataclass
class CellSource:
    """Where the cells of a query come from: the stored cells within the reader's scope and zone (None: the
    scope cannot be written in communes and sites — a remote doctor's own acts — so everything is computed),
    and the same acts as a queryset for what is computed."""

    acts: QuerySet[Act]
    stored: QuerySet[IndicatorCell] | None


def usable_months(source: CellSource, months: list[dt.date], today: dt.date | None = None) -> set[dt.date]:
    """The months whose stored cells can be read (none for a computed source). A past month never stored is
    built now, once; one that changed since its build is computed by the page from the acts and left to the
    housekeeping job to store again (a page never makes its reader wait for a network-wide build twice)."""
    if source.stored is None:
        return set()
    storable = storable_months(months, today)
    stale = stale_months(storable)
    stored = set(IndicatorMonth.objects.filter(month__in=stale).values_list("month", flat=True))
    unstored = [month for month in stale if month not in stored and not store_month(month)]
    return set(storable) - set(unstored) - stored


def _runs(start: dt.date, end: dt.date, usable: set[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """The days from ``start`` to ``end`` that stored months do not cover, as runs of consecutive days (a month
    counts as stored only when the period holds all of it)."""
    day, runs = start, []
    while day <= end:
        month = month_start(day)
        run_end = min(end, month_end(month))
        if not (month in usable and day == month and run_end == month_end(month)):
            if runs and runs[-1][1] + dt.timedelta(days=1) == day:
                runs[-1] = (runs[-1][0], run_end)
            else:
                runs.append((day, run_end))
        day = run_end + dt.timedelta(days=1)
    return runs


def _whole_months(start: dt.date, end: dt.date, usable: set[dt.date]) -> list[dt.date]:
    return [
        month
        for month in months_from(start, end)
        if month in usable and month >= start and month_end(month) <= end
    ]


def cells_between(
    source: CellSource,
    start: dt.date,
    end: dt.date,
    usable: set[dt.date],
    *,
    ledger: bool = False,
    read: dict[Any, list[tuple[CellKey, Cell]]] | None = None,
) -> list[tuple[CellKey, Cell]]:
    """The cells of ``start``–``end``: the ``usable`` whole months from storage, the rest computed from the acts
    (``ledger``: the ledger page's figures instead of the indicators'; ``read``: the months already read or computed
    by the same page, kept there)."""
    read = {} if read is None else read
    result: list[tuple[CellKey, Cell]] = []
    stored = _whole_months(start, end, usable) if source.stored is not None else []
    missing = [month for month in stored if month not in read]
    if missing and source.stored is not None:
        for month in missing:
            read[month] = []
        for month, commune, site, *columns in (
            source.stored.filter(month__in=missing).values_list(*(LEDGER_COLUMNS if ledger else INDICATOR_COLUMNS))
            .order_by()
            .iterator(chunk_size=2000)
        ):  # fmt: skip
            cell = _ledger_cell(*columns) if ledger else _indicator_cell(*columns)
            read[month].append(((month, commune, site), cell))
    for month in stored:
        result.extend(read[month])
    for run_start, run_end in _runs(start, end, usable if source.stored is not None else set()):
        day = run_start
        # month by month, each computed once per page (the period and note 8 share months)
        while day <= run_end:
            chunk_end = min(run_end, month_end(day))
            chunk = ("computed", day, chunk_end)
            if chunk not in read:
                read[chunk] = list(build_cells(source.acts, day, chunk_end, ledger=ledger).items())
            result.extend(read[chunk])
            day = chunk_end + dt.timedelta(days=1)
    return result


def outcomes_between(
    site_ids: list[int], start: dt.date, end: dt.date, usable: set[dt.date]
) -> dict[str, int]:
    """The appointments' outcomes of the sites over the period: stored months summed, the rest computed."""
    totals: Counter[str] = Counter(dict.fromkeys(OUTCOMES, 0))
    if not site_ids:
        return dict(totals)
    stored = _whole_months(start, end, usable)
    if stored:
        for row in (
            OutcomeCell.objects.filter(month__in=stored, site_id__in=site_ids).values(*OUTCOMES).order_by()
        ):
            totals.update(row)
    for run_start, run_end in _runs(start, end, usable):
        for counts in build_outcomes(site_ids, run_start, run_end).values():
            totals.update(counts)
    return dict(totals)


@dataclass
class LedgerTotals:
    acts: int
    patients: int
    amount: Decimal
    per_category: dict[str, int]  # kind → acts
    per_code: list[tuple[str, int, Decimal]]  # (code, lines, amount), by code


def ledger_totals(source: CellSource, start: dt.date, end: dt.date) -> LedgerTotals | None:
    """The ledger page's totals from the cells (whole past months stored, the rest computed); None when no whole
    stored month is in the period (the page's own aggregate is then as quick)."""
    if source.stored is None:
        return None
    usable = usable_months(source, months_from(start, end))
    if not _whole_months(start, end, usable):
        return None
    per_category: Counter[str] = Counter()
    cents: Counter[str] = Counter()
    code_lines: Counter[str] = Counter()
    code_cents: Counter[str] = Counter()
    members = []
    for _key, cell in cells_between(source, start, end, usable, ledger=True):
        for kind, (acts, amount) in cell.categories.items():
            per_category[kind] += acts
            cents[kind] += amount
        for code, (lines, amount) in cell.codes.items():
            code_lines[code] += lines
            code_cents[code] += amount
        members.append(cell.all_patients)
    patients = union_size(members)
    return LedgerTotals(
        acts=sum(per_category.values()),
        patients=patients,
        amount=Decimal(sum(cents.values())).scaleb(-2),
        per_category=dict(per_category),
        per_code=[
            (code, code_lines[code], Decimal(code_cents[code]).scaleb(-2)) for code in sorted(code_lines)
        ],
    )
