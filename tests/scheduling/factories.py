"""Scheduling test data: a small assisted-teleconsultation network with weekly availability."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from maille.directory.models import (
    EquipmentType,
    NetworkRole,
    NetworkRoleKind,
    Profession,
    Professional,
    Room,
    Site,
    SiteUse,
    Use,
    UseKind,
)
from maille.scheduling.models import AvailabilityRule, UseBookingPolicy
from maille.scheduling.wallclock import PARIS
from tests.factories import (
    CommuneFactory,
    DepartementFactory,
    NetworkRoleFactory,
    ProfessionalFactory,
    RoomFactory,
    SiteFactory,
)

WEEKDAYS = (0, 1, 2, 3, 4)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def weekday_at(days_ahead: int, hour: int, minute: int = 0) -> dt.datetime:
    """The first weekday at least ``days_ahead`` days from today (for a negative ``days_ahead``, at least as
    many days before it), at ``hour`` Paris time: the network's sites open on weekdays."""
    day = timezone.localdate() + dt.timedelta(days=days_ahead)
    step = dt.timedelta(days=-1 if days_ahead < 0 else 1)
    while day.weekday() >= 5:
        day += step
    return paris(day.year, day.month, day.day, hour, minute)


def weekly(
    *,
    room: Room | None = None,
    professional: Professional | None = None,
    site: Site | None = None,
    weekdays: tuple[int, ...] = WEEKDAYS,
    starts: str = "09:00",
    ends: str = "12:00",
    valid_from: dt.date = dt.date(2026, 1, 1),
    valid_until: dt.date | None = None,
) -> list[AvailabilityRule]:
    return [
        AvailabilityRule.objects.create(
            room=room,
            professional=professional,
            site=site,
            weekday=day,
            starts=dt.time.fromisoformat(starts),
            ends=dt.time.fromisoformat(ends),
            valid_from=valid_from,
            valid_until=valid_until,
        )
        for day in weekdays
    ]


def make_use(
    code: str = "test-tlc",
    *,
    duration: int = 20,
    equipment: tuple[str, ...] = ("otoscope",),
    assisting: tuple[str, ...] = (Profession.NURSE,),
    notice: int = 60,
    horizon: int = 56,
    buffer: int = 0,
    step: int = 10,
) -> Use:
    use = Use.objects.create(
        code=code,
        name=f"Usage {code}",
        kind=UseKind.GENERAL_TELECONSULTATION,
        default_duration_minutes=duration,
        assisting_professions=list(assisting),
    )
    use.required_equipment.set(EquipmentType.objects.filter(code__in=equipment))
    UseBookingPolicy.objects.create(
        use=use,
        min_notice_minutes=notice,
        horizon_days=horizon,
        buffer_minutes=buffer,
        slot_step_minutes=step,
    )
    return use


def make_site(
    *,
    use: Use,
    departement: str = "55",
    latitude: float = 49.0,
    longitude: float = 5.3,
    commune_code: str | None = None,
) -> Site:
    dep = DepartementFactory(code=departement, name=f"Département {departement}")
    commune = CommuneFactory(
        code=commune_code or f"{departement}001", departement=dep, latitude=latitude, longitude=longitude
    )
    site = SiteFactory(
        host_organisation__commune=commune, commune=commune, latitude=latitude, longitude=longitude
    )
    SiteUse.objects.create(site=site, use=use)
    return site


@dataclass
class Network:
    use: Use
    site: Site
    room: Room
    nurse: Professional
    doctor: Professional
    others: dict = field(default_factory=dict)


def make_network(
    *,
    use: Use | None = None,
    departement: str = "55",
    starts: str = "09:00",
    ends: str = "12:00",
    latitude: float = 49.0,
    longitude: float = 5.3,
    commune_code: str | None = None,
) -> Network:
    """One site with one equipped room, one nurse and one doctor, all free Mon-Fri ``starts``-``ends``."""
    use = use or make_use()
    site = make_site(
        use=use, departement=departement, latitude=latitude, longitude=longitude, commune_code=commune_code
    )
    room = RoomFactory(site=site)
    room.equipment.set(use.required_equipment.all())
    nurse = NetworkRoleFactory(assistant=True, sites=[site]).professional
    doctor = add_doctor(site)
    weekly(room=room, starts=starts, ends=ends)
    weekly(professional=nurse, site=site, starts=starts, ends=ends)
    weekly(professional=doctor, starts=starts, ends=ends)
    return Network(use=use, site=site, room=room, nurse=nurse, doctor=doctor)


def add_doctor(*sites: Site, **professional: object) -> Professional:
    doctor = ProfessionalFactory(profession=Profession.DOCTOR, **professional)
    role: NetworkRole = NetworkRoleFactory(professional=doctor, kind=NetworkRoleKind.REMOTE_DOCTOR)
    role.sites.add(*sites)
    return doctor
