"""The week as a time grid: ranges placed at their Paris wall-clock time and length, in their resource's
column (site-wide ones across the day), hours bounded by the week's ranges; the CSS has every class used."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse

from maille.accounts.models import Role
from maille.core.models import Channel
from maille.scheduling.engine import SlotQuery, find_slots
from maille.scheduling.services import appointment_book
from maille.scheduling.time_grid import DEFAULT_HOURS, MAX_COLUMNS, STEP_MINUTES, css, time_grid
from maille.scheduling.wallclock import PARIS
from maille.scheduling.week_grids import GridEntry, GridRow, Week
from tests.factories import user_with_role
from tests.patients.factories import PatientFactory

from .factories import make_network

MONDAY = dt.date(2026, 10, 19)  # the week before the change to winter time (Sunday 25 October)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


def week(rows: list[GridRow], site_row: GridRow | None = None, monday: dt.date = MONDAY) -> Week:
    return Week(monday, [monday + dt.timedelta(days=i) for i in range(7)], rows, site_row)


def row(label: str, **entries_by_day: list[GridEntry]) -> GridRow:
    days: list[list[GridEntry]] = [[] for _ in range(7)]
    for index, entries in entries_by_day.items():
        days[int(index[1:])] = entries
    return GridRow(label, days)


def test_a_range_is_placed_at_its_time_and_length_in_its_column():
    appointment = GridEntry("appointment", "rendez-vous", at(MONDAY, 9), at(MONDAY, 9, 20), "/rdv/1/")
    grid = time_grid(week([row("Salle : A"), row("Salle : B", d0=[appointment])]))
    assert grid.hours[0].label == f"{DEFAULT_HOURS[0]:02d}:00"
    assert grid.rows == (DEFAULT_HOURS[1] - DEFAULT_HOURS[0]) * 60 // STEP_MINUTES
    (placed,) = grid.days[0].entries
    assert placed.column == 2
    assert placed.first_row == (9 - DEFAULT_HOURS[0]) * 60 // STEP_MINUTES + 1
    assert placed.rows == 20 // STEP_MINUTES
    assert "gc-2" in placed.classes
    assert "tg-appointment" in placed.classes
    assert [short for short, _full in grid.columns] == ["S1", "S2"]


def test_hours_follow_the_week_and_site_wide_ranges_span_the_day():
    early = GridEntry("available", "disponible", at(MONDAY, 7, 30), at(MONDAY, 12))
    wednesday = MONDAY + dt.timedelta(days=2)
    late = GridEntry("available", "disponible", at(wednesday, 14), at(wednesday, 20, 10))
    closure = GridEntry("closure", "site fermé", at(MONDAY, 13), at(MONDAY, 15))
    holiday = GridEntry("holiday", "jour férié")
    site_row = row("Tout le site", d0=[closure], d3=[holiday])
    grid = time_grid(week([row("Salle : A", d0=[early], d2=[late])], site_row))
    assert grid.hours[0].label == "07:00"
    assert grid.hours[-1].label == "20:00"  # 20:10 ends in the 20:00 hour
    monday_closure = next(p for p in grid.days[0].entries if p.entry.kind == "closure")
    assert monday_closure.column is None
    assert "gc-all" in monday_closure.classes
    (whole_day,) = grid.days[3].entries
    assert (whole_day.first_row, whole_day.rows) == (1, grid.rows)
    # layers: the open time under the closure
    assert [p.entry.kind for p in grid.days[0].entries] == ["available", "closure"]


def test_times_are_paris_wall_clock_across_the_change_of_time():
    sunday = MONDAY + dt.timedelta(days=6)  # 25 October 2026: 03:00 becomes 02:00
    entry = GridEntry(
        "appointment", "rdv", at(sunday, 10).astimezone(dt.UTC), at(sunday, 10, 30).astimezone(dt.UTC)
    )
    grid = time_grid(week([row("Salle : A", d6=[entry])]))
    (placed,) = grid.days[6].entries
    assert placed.first_row == (10 - DEFAULT_HOURS[0]) * 60 // STEP_MINUTES + 1
    assert placed.rows == 6


def test_the_stylesheet_holds_every_class_the_grid_uses():
    path = Path(__file__).resolve().parents[2] / "maille" / "static" / "maille" / "time-grid.css"
    assert path.read_text(encoding="utf-8") == css()
    assert f".gc-{MAX_COLUMNS}{{" in css()
    assert ".gr-288{" in css()
    assert ".gs-288{" in css()


@pytest.mark.django_db
def test_the_site_agenda_draws_its_appointments_in_the_time_grid(client):
    net = make_network()
    slot = find_slots(SlotQuery(use=net.use, site_ids=(net.site.pk,), limit=1))[0]
    booked = appointment_book(actor=None, channel=Channel.PHONE, patient=PatientFactory(), use=net.use,
                              site=net.site, starts_at=slot.starts_at)  # fmt: skip
    client.force_login(user_with_role(Role.SITE_STAFF, site=net.site))
    local = slot.starts_at.astimezone(PARIS)
    monday = local.date() - dt.timedelta(days=local.weekday())
    page = client.get(reverse("scheduling:site_agenda", args=[net.site.pk]), {"semaine": monday.isoformat()})
    html = page.content.decode()
    assert 'data-testid="time-grid"' in html
    link = f'href="{reverse("scheduling:appointment", args=[booked.pk])}"'
    assert html.count(link) == 4  # its room's and its assistant's columns, in the grid and in the list
    assert f"{local:%H:%M}</span>" in html
