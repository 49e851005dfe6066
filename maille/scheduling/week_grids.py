"""The week grids of the agenda pages and the API: each resource's availability, closures and bookings.

Who may read which appointment is decided by ``selectors.appointments_visible_to``; the grids receive that
decision and draw the other appointments as busy time, with no link and no detail.

The week grids expand weekly rules with the engine's own expansion (``engine.weekly_occurrences`` and
``wallclock.local_to_utc_minutes``), so a page shows the same occurrences the engine books.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from maille.directory.models import NetworkRole, Professional, Site

from .engine import weekly_occurrences
from .models import (
    Absence,
    Appointment,
    AppointmentStatus,
    AvailabilityException,
    AvailabilityRule,
    ReservedRange,
    SiteClosure,
    SiteSchedulingSettings,
)
from .wallclock import PARIS, day_number, from_minutes, local_to_utc_minutes, public_holidays

_FAR_DAY = day_number(dt.date(9999, 12, 31))
# Appointments drawn in the grid (the others no longer hold time).
SHOWN_STATUSES = [
    AppointmentStatus.HELD,
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_PROGRESS,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
]


def site_assistants(site: Site) -> list[Professional]:
    """Assisting professionals of the site: active network roles, and anyone with rules there."""
    role_holders = NetworkRole.objects.active().assistants().filter(sites=site).values("professional")
    with_rules = AvailabilityRule.objects.filter(site=site, professional__isnull=False).values("professional")
    return list(
        Professional.objects.filter(Q(pk__in=role_holders) | Q(pk__in=with_rules)).order_by("last_name", "pk")
    )


def site_resource_choices(site: Site) -> list[tuple[str, str]]:
    """Resources of a site as ("room:<id>" | "pro:<id>", label), the keys of the busy rows."""
    rooms = [(f"room:{room.pk}", _("Salle : %s") % room.name) for room in site.rooms.order_by("name")]
    people = [(f"pro:{pro.pk}", _("Assistant·e : %s") % pro) for pro in site_assistants(site)]
    return rooms + people


# --- week grids ------------------------------------------------------------------------------------
@dataclass
class GridEntry:
    kind: str  # available, moved, cancelled, absence, closure, holiday, reserved, appointment
    label: str
    starts: dt.datetime | None = None
    ends: dt.datetime | None = None
    url: str = ""


@dataclass
class GridRow:
    label: str
    days: list[list[GridEntry]] = field(default_factory=list)


@dataclass
class Week:
    monday: dt.date
    days: list[dt.date]
    rows: list[GridRow]
    site_row: GridRow | None = None

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)

    @property
    def sunday(self) -> dt.date:
        return self.days[-1]

    def cells(self, row: GridRow) -> list[tuple[dt.date, list[GridEntry]]]:
        return list(zip(self.days, row.days, strict=True))

    @property
    def table(self) -> list[tuple[GridRow, list[tuple[dt.date, list[GridEntry]]]]]:
        """Rows with each day's entries beside its date (the site-wide row first, when there is one)."""
        rows = [self.site_row, *self.rows] if self.site_row is not None else self.rows
        return [(row, self.cells(row)) for row in rows]


def _local(minutes: int) -> dt.datetime:
    return from_minutes(minutes).astimezone(PARIS)


def _week_bounds(monday: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(monday, dt.time(0), tzinfo=PARIS)
    return start, dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), tzinfo=PARIS)


def _split_by_day(
    starts_at: dt.datetime, ends_at: dt.datetime, days: list[dt.date]
) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """Pieces of an instant range inside each local day of the week: (day index, start, end)."""
    pieces = []
    for index, day in enumerate(days):
        day_start = dt.datetime.combine(day, dt.time(0), tzinfo=PARIS)
        day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=PARIS)
        start, end = max(starts_at, day_start), min(ends_at, day_end)
        if start < end:
            pieces.append((index, start.astimezone(PARIS), end.astimezone(PARIS)))
    return pieces


def _expand_rules(rules: list[AvailabilityRule], monday: dt.date) -> list[tuple[int, int, GridEntry]]:
    """(rule index, day index, entry) for each occurrence of the rules in the week, exceptions applied."""
    if not rules:
        return []
    first_day = day_number(monday)
    rows, days, starts, ends = weekly_occurrences(
        np.arange(len(rules), dtype=np.int64),
        np.array([r.weekday for r in rules], dtype=np.int64),
        np.array([r.starts.hour * 60 + r.starts.minute for r in rules], dtype=np.int64),
        np.array([r.ends.hour * 60 + r.ends.minute for r in rules], dtype=np.int64),
        np.array([day_number(r.valid_from) for r in rules], dtype=np.int64),
        np.array([day_number(r.valid_until) if r.valid_until else _FAR_DAY for r in rules], dtype=np.int64),
        first_day,
        first_day + 6,
    )
    exceptions = {
        (e.rule_id, e.date): e
        for e in AvailabilityException.objects.filter(
            rule__in=[r.pk for r in rules], date__gte=monday, date__lte=monday + dt.timedelta(days=6)
        )
    }
    result = []
    for row, day, start, end in zip(
        rows.tolist(), days.tolist(), starts.tolist(), ends.tolist(), strict=True
    ):
        rule = rules[row]
        date = monday + dt.timedelta(days=day - first_day)
        exception = exceptions.get((rule.pk, date))
        if exception is None:
            entry = GridEntry("available", _("disponible"), _local(start), _local(end))
        elif exception.is_cancelled:
            entry = GridEntry("cancelled", _("occurrence annulée"), _local(start), _local(end))
        else:
            moved = local_to_utc_minutes(
                np.array([day, day], dtype=np.int64),
                np.array(
                    [
                        exception.starts.hour * 60 + exception.starts.minute,
                        exception.ends.hour * 60 + exception.ends.minute,
                    ],
                    dtype=np.int64,
                ),
            )
            entry = GridEntry("moved", _("horaires modifiés"), _local(int(moved[0])), _local(int(moved[1])))
        if exception is not None and exception.reason:
            entry.label = f"{entry.label} ({exception.reason})"
        result.append((row, day - first_day, entry))
    return result


def _empty_days() -> list[list[GridEntry]]:
    return [[] for _day in range(7)]


# Within one start time: what is open first, then what takes it away, then the bookings.
KIND_ORDER = {
    kind: rank
    for rank, kind in enumerate(
        [
            "holiday",
            "closure",
            "available",
            "moved",
            "cancelled",
            "reserved",
            "absence",
            "appointment",
            "busy",
        ]
    )
}


def _sorted(row: GridRow) -> GridRow:
    for entries in row.days:
        entries.sort(key=lambda e: (e.starts or dt.datetime.min.replace(tzinfo=PARIS), KIND_ORDER[e.kind]))
    return row


def _appointment_entry(
    appointment: Appointment, url: str, readable: set[int], with_site: bool = False
) -> GridEntry:
    if appointment.pk not in readable:
        return GridEntry("busy", _("occupé"), appointment.starts_at, appointment.ends_at)
    label = _("rendez-vous : %(use)s (%(status)s)") % {
        "use": appointment.use.name,
        "status": appointment.get_status_display(),
    }
    if with_site:
        label = f"{label} — {appointment.site.name}"
    return GridEntry("appointment", label, appointment.starts_at, appointment.ends_at, url)


def _readable_ids(readable: QuerySet[Appointment], appointments: list[Appointment]) -> set[int]:
    ids = [appointment.pk for appointment in appointments]
    return set(readable.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()


def site_week(site: Site, monday: dt.date, appointment_url: Any, readable: QuerySet[Appointment]) -> Week:
    """The week of a site: each room and assistant with their availability and bookings, plus the
    site-wide closures, public holidays and reserved ranges. Appointments outside ``readable`` (the
    reader's visible appointments) are drawn as busy time."""
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    week_start, week_end = _week_bounds(monday)
    rooms = list(site.rooms.order_by("name"))
    assistants = site_assistants(site)
    rows: dict[str, GridRow] = {}
    for room in rooms:
        rows[f"room:{room.pk}"] = GridRow(_("Salle : %s") % room.name, _empty_days())
    for person in assistants:
        rows[f"pro:{person.pk}"] = GridRow(_("Assistant·e : %s") % person, _empty_days())
    rules = list(
        AvailabilityRule.objects.filter(
            Q(room__in=rooms) | Q(professional__in=assistants, site=site),
            valid_from__lte=days[-1],
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=monday))
    )
    for index, day, entry in _expand_rules(rules, monday):
        rule = rules[index]
        key = f"room:{rule.room_id}" if rule.room_id else f"pro:{rule.professional_id}"
        rows[key].days[day].append(entry)
    absences = Absence.objects.filter(
        Q(room__in=rooms) | Q(professional__in=assistants), starts_at__lt=week_end, ends_at__gt=week_start
    )
    for absence in absences:
        key = f"room:{absence.room_id}" if absence.room_id else f"pro:{absence.professional_id}"
        label = _("absence") + (f" ({absence.reason})" if absence.reason else "")
        for day, start, end in _split_by_day(absence.starts_at, absence.ends_at, days):
            rows[key].days[day].append(GridEntry("absence", label, start, end))
    appointments = list(
        Appointment.objects.filter(
            site=site, status__in=SHOWN_STATUSES, starts_at__lt=week_end, ends_at__gt=week_start
        ).select_related("use")
    )
    readable_ids = _readable_ids(readable, appointments)
    for appointment in appointments:
        entry_url = appointment_url(appointment)
        for key in (f"room:{appointment.room_id}", f"pro:{appointment.assistant_id}"):
            if key in rows:
                for day, _start, _end in _split_by_day(appointment.starts_at, appointment.ends_at, days):
                    rows[key].days[day].append(_appointment_entry(appointment, entry_url, readable_ids))
    site_row = GridRow(_("Tout le site"), _empty_days())
    for closure in SiteClosure.objects.filter(site=site, starts_at__lt=week_end, ends_at__gt=week_start):
        label = _("site fermé") + (f" ({closure.reason})" if closure.reason else "")
        for day, start, end in _split_by_day(closure.starts_at, closure.ends_at, days):
            site_row.days[day].append(GridEntry("closure", label, start, end))
    settings = SiteSchedulingSettings.objects.filter(site=site).first()
    if settings is None or not settings.open_on_public_holidays:
        holidays = set()
        for year in {monday.year, days[-1].year}:
            holidays |= public_holidays(site.commune.departement_id, year)
        for index, day in enumerate(days):
            if day in holidays:
                site_row.days[index].append(GridEntry("holiday", _("jour férié : site fermé")))
    reserved = list(
        ReservedRange.objects.filter(site=site, valid_from__lte=days[-1])
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=monday))
        .select_related("use")
    )
    if reserved:
        first_day = day_number(monday)
        rows_idx, occurrence_days, starts, ends = weekly_occurrences(
            np.arange(len(reserved), dtype=np.int64),
            np.array([r.weekday for r in reserved], dtype=np.int64),
            np.array([r.starts.hour * 60 + r.starts.minute for r in reserved], dtype=np.int64),
            np.array([r.ends.hour * 60 + r.ends.minute for r in reserved], dtype=np.int64),
            np.array([day_number(r.valid_from) for r in reserved], dtype=np.int64),
            np.array([day_number(r.valid_until) if r.valid_until else _FAR_DAY for r in reserved], np.int64),
            first_day,
            first_day + 6,
        )
        for row, day, start, end in zip(
            rows_idx.tolist(), occurrence_days.tolist(), starts.tolist(), ends.tolist(), strict=True
        ):
            kept = reserved[row]
            label = _("réservé à %(use)s (libéré %(hours)s h avant)") % {
                "use": kept.use.name,
                "hours": kept.release_hours_before,
            }
            site_row.days[day - first_day].append(GridEntry("reserved", label, _local(start), _local(end)))
    return Week(monday, days, [_sorted(row) for row in rows.values()], _sorted(site_row))


def doctor_week(
    doctor: Professional, monday: dt.date, appointment_url: Any, readable: QuerySet[Appointment]
) -> Week:
    """A remote doctor's week: their rules (shared by every site served), absences and appointments (those
    outside ``readable`` drawn as busy time)."""
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    week_start, week_end = _week_bounds(monday)
    row = GridRow(str(doctor), _empty_days())
    rules = list(
        AvailabilityRule.objects.filter(
            professional=doctor, site__isnull=True, valid_from__lte=days[-1]
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=monday))
    )
    for _index, day, entry in _expand_rules(rules, monday):
        row.days[day].append(entry)
    for absence in Absence.objects.filter(
        professional=doctor, starts_at__lt=week_end, ends_at__gt=week_start
    ):
        label = _("absence") + (f" ({absence.reason})" if absence.reason else "")
        for day, start, end in _split_by_day(absence.starts_at, absence.ends_at, days):
            row.days[day].append(GridEntry("absence", label, start, end))
    appointments = list(
        Appointment.objects.filter(
            doctor=doctor, status__in=SHOWN_STATUSES, starts_at__lt=week_end, ends_at__gt=week_start
        ).select_related("use", "site")
    )
    readable_ids = _readable_ids(readable, appointments)
    for appointment in appointments:
        entry_url = appointment_url(appointment)
        for day, _start, _end in _split_by_day(appointment.starts_at, appointment.ends_at, days):
            row.days[day].append(_appointment_entry(appointment, entry_url, readable_ids, with_site=True))
    return Week(monday, days, [_sorted(row)])


def site_rules(site: Site) -> QuerySet[AvailabilityRule]:
    return (
        AvailabilityRule.objects.filter(Q(room__site=site) | Q(site=site, professional__isnull=False))
        .select_related("room", "professional")
        .order_by("room__name", "professional__last_name", "weekday", "starts", "pk")
    )


def doctor_rules(doctor: Professional) -> QuerySet[AvailabilityRule]:
    return AvailabilityRule.objects.filter(professional=doctor, site__isnull=True).order_by(
        "weekday", "starts", "pk"
    )
