"""Slot engine benchmark: earliest-10-slots search on a synthetic regional network.

Builds its own throwaway database (the test database of DATABASE_URL: in-memory SQLite by default),
with 300 sites, 600 rooms, 600 assistants, 150 remote doctors, 12 weeks of weekly availability and half
of the doctors' time booked, then measures the engine and a naive reference (every recurrence expanded
slot by slot, each resource checked one by one, as the reference system does) in the same run, checks
they agree, and prints p50/p95 and the ratio.

    .venv/bin/python -m benchmarks scheduling_engine
    BENCH_SITES=3000 BENCH_DOCTORS=1500 .venv/bin/python -m benchmarks scheduling_engine   # national size
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import statistics
import time

SITES = int(os.environ.get("BENCH_SITES", "300"))
DOCTORS = int(os.environ.get("BENCH_DOCTORS", str(max(1, SITES // 2))))
QUERIES = int(os.environ.get("BENCH_QUERIES", "60"))
NAIVE_QUERIES = int(os.environ.get("BENCH_NAIVE_QUERIES", "3"))
# BENCH_KEEP=1 keeps the test database between runs (built once, reused: for profiling).
KEEP = os.environ.get("BENCH_KEEP") == "1"
WEEKS = 12
SITES_PER_DOCTOR = 10
DEPARTEMENTS = ["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"]
RANGES = [(9 * 60, 12 * 60), (14 * 60, 17 * 60)]


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maille.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=KEEP)
    return connection


def _area(sites_count: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """(latitudes, longitudes) spread: a Grand Est-sized box for a regional network, and for a national-size
    one a box about eleven times larger (metropolitan France), so that the density of sites stays the same."""
    if sites_count <= 300:
        return (47.5, 49.9), (4.0, 8.0)
    return (42.5, 51.0), (-4.5, 8.0)


def _build(
    rng: random.Random,
    now: dt.datetime,
    *,
    sites_count: int = SITES,
    doctors_count: int = DOCTORS,
    booked_share: float = 0.5,
):
    """The synthetic network; ``booked_share`` of the doctors' time booked. Returns (use, appointments)."""
    from maille.core.identifiers import luhn_complete
    from maille.directory.models import (
        EquipmentType,
        NetworkRole,
        NetworkRoleKind,
        Organisation,
        OrganisationKind,
        Profession,
        Professional,
        Room,
        Site,
        SiteLevel,
        SiteUse,
        Use,
        UseKind,
    )
    from maille.scheduling.models import (
        Appointment,
        AppointmentStatus,
        AvailabilityRule,
        Patient,
        ResourceBooking,
        UseBookingPolicy,
        professional_key,
        room_key,
    )
    from maille.scheduling.wallclock import PARIS
    from maille.territory.models import Commune, Departement, Region

    region = Region.objects.create(code="44", name="Grand Est")
    for code in DEPARTEMENTS:
        Departement.objects.create(code=code, name=f"Département {code}", region=region)
    use = Use.objects.create(
        code="bench",
        name="Bench",
        kind=UseKind.GENERAL_TELECONSULTATION,
        default_duration_minutes=20,
        assisting_professions=[Profession.NURSE],
    )
    use.required_equipment.set(EquipmentType.objects.filter(code="otoscope"))
    UseBookingPolicy.objects.create(
        use=use, min_notice_minutes=60, horizon_days=WEEKS * 7, slot_step_minutes=20
    )
    otoscope = EquipmentType.objects.get(code="otoscope")
    communes, sites = [], []
    for i in range(sites_count):
        dep = DEPARTEMENTS[i % len(DEPARTEMENTS)]
        communes.append(
            Commune(
                code=f"{dep}{i // len(DEPARTEMENTS) + 1:03d}",
                name=f"C{i}",
                departement_id=dep,
                latitude=rng.uniform(*_area(sites_count)[0]),
                longitude=rng.uniform(*_area(sites_count)[1]),
            )
        )
    Commune.objects.bulk_create(communes)
    organisations = Organisation.objects.bulk_create(
        [
            Organisation(name=f"O{i}", kind=OrganisationKind.PHARMACY, commune=c)
            for i, c in enumerate(communes)
        ]
    )
    sites = Site.objects.bulk_create(
        [
            Site(
                name=f"S{i}",
                host_organisation=o,
                level=SiteLevel.HYPER_PROXIMITY,
                commune=c,
                address="x",
                latitude=c.latitude,
                longitude=c.longitude,
            )
            for i, (o, c) in enumerate(zip(organisations, communes, strict=True))
        ]
    )
    SiteUse.objects.bulk_create([SiteUse(site=s, use=use) for s in sites])
    rooms = Room.objects.bulk_create([Room(site=s, name=f"R{k}") for s in sites for k in range(2)])
    Room.equipment.through.objects.bulk_create(
        [Room.equipment.through(room_id=r.pk, equipmenttype_id=otoscope.pk) for r in rooms]
    )
    body = iter(range(10**6))
    nurses = Professional.objects.bulk_create(
        [
            Professional(
                last_name=f"N{i}",
                first_name="x",
                rpps=luhn_complete(f"1998{next(body):06d}"),
                profession=Profession.NURSE,
            )
            for i in range(2 * sites_count)
        ]
    )
    doctors = Professional.objects.bulk_create(
        [
            Professional(
                last_name=f"D{i}",
                first_name="x",
                rpps=luhn_complete(f"1998{next(body):06d}"),
                profession=Profession.DOCTOR,
            )
            for i in range(doctors_count)
        ]
    )
    roles = NetworkRole.objects.bulk_create(
        [NetworkRole(professional=p, kind=NetworkRoleKind.ASSISTANT) for p in nurses]
        + [NetworkRole(professional=p, kind=NetworkRoleKind.REMOTE_DOCTOR) for p in doctors]
    )
    through = NetworkRole.sites.through
    links = [through(networkrole_id=roles[i].pk, site_id=sites[i // 2].pk) for i in range(2 * sites_count)]
    served: dict[int, list] = {}
    for d, doctor in enumerate(doctors):
        chosen = rng.sample(range(sites_count), SITES_PER_DOCTOR)
        served[doctor.pk] = [sites[i] for i in chosen]
        links += [through(networkrole_id=roles[2 * sites_count + d].pk, site_id=sites[i].pk) for i in chosen]
    through.objects.bulk_create(links)
    start_day = now.date()
    rules = []
    for weekday in range(5):
        for starts, ends in RANGES:
            common = {
                "weekday": weekday,
                "starts": dt.time(starts // 60),
                "ends": dt.time(ends // 60),
                "valid_from": start_day,
            }
            rules += [AvailabilityRule(room=r, **common) for r in rooms]
            rules += [
                AvailabilityRule(professional=n, site=sites[i // 2], **common) for i, n in enumerate(nurses)
            ]
            rules += [AvailabilityRule(professional=d, **common) for d in doctors]
    AvailabilityRule.objects.bulk_create(rules, batch_size=5000)
    patients = Patient.objects.bulk_create([Patient(last_name=f"P{i}", phone="") for i in range(500)])
    # Half of each doctor's time booked, at a random served site with a free room and nurse.
    rooms_by_site = {s.pk: [r for r in rooms if r.site_id == s.pk] for s in sites}
    nurses_by_site = {s.pk: nurses[2 * i : 2 * i + 2] for i, s in enumerate(sites)}
    taken: set[tuple[str, dt.datetime]] = set()
    appointments, keys = [], []
    for offset in range(1, WEEKS * 7):
        day = start_day + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for starts, ends in RANGES:
            for minute in range(starts, ends, 20):
                at = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=PARIS)
                for doctor in doctors:
                    if rng.random() >= booked_share:
                        continue
                    site = rng.choice(served[doctor.pk])
                    room = next(
                        (r for r in rooms_by_site[site.pk] if (room_key(r.pk), at) not in taken), None
                    )
                    nurse = next(
                        (n for n in nurses_by_site[site.pk] if (professional_key(n.pk), at) not in taken),
                        None,
                    )
                    if room is None or nurse is None:
                        continue
                    row_keys = [room_key(room.pk), professional_key(nurse.pk), professional_key(doctor.pk)]
                    taken.update((k, at) for k in row_keys)
                    appointments.append(
                        Appointment(
                            use=use,
                            site=site,
                            room=room,
                            assistant=nurse,
                            doctor=doctor,
                            patient=rng.choice(patients),
                            starts_at=at,
                            ends_at=at + dt.timedelta(minutes=20),
                            status=AppointmentStatus.BOOKED,
                            channel="system",
                        )
                    )
                    keys.append(row_keys)
    Appointment.objects.bulk_create(appointments, batch_size=5000)
    ResourceBooking.objects.bulk_create(
        [
            ResourceBooking.build(appointment=a, resource_key=k, starts_at=a.starts_at, ends_at=a.ends_at)
            for a, row_keys in zip(appointments, keys, strict=True)
            for k in row_keys
        ],
        batch_size=5000,
    )
    return use, len(appointments)


def _reference_travel_minutes(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The travel model written out independently (haversine × 1.3 detour ÷ 60 km/h) for the reference."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(min(max(a, 0.0), 1.0))) * 1.3 / 60.0 * 60.0


def _naive(use, latitude: float, longitude: float, now: dt.datetime, limit: int = 10):
    """Reference: every recurrence expanded slot by slot, each resource checked one by one (no arrays)."""
    from maille.directory.models import NetworkRole, Room, Site
    from maille.scheduling.engine import policy_for
    from maille.scheduling.models import AvailabilityRule, ResourceBooking, professional_key, room_key
    from maille.scheduling.wallclock import PARIS, public_holidays

    policy = policy_for(use)
    earliest = now + dt.timedelta(minutes=policy.min_notice_minutes)
    sites = list(Site.objects.filter(site_uses__use=use).select_related("commune"))
    found: list[tuple[dt.date, float, dt.datetime, int]] = []
    day = earliest.astimezone(PARIS).date()
    while len(found) < limit and day <= (now + dt.timedelta(days=policy.horizon_days)).date():
        for site in sites:
            travel = _reference_travel_minutes(latitude, longitude, site.latitude, site.longitude)
            if day in public_holidays(site.commune.departement_id, day.year):
                continue
            rooms = list(Room.objects.filter(site=site, is_bookable=True))
            nurses = list(
                NetworkRole.objects.assistants().filter(sites=site).values_list("professional_id", flat=True)
            )
            doctors = list(
                NetworkRole.objects.remote_doctors()
                .filter(sites=site)
                .values_list("professional_id", flat=True)
            )
            for minute in range(0, 24 * 60, policy.slot_step_minutes):
                at = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=PARIS)
                end = at + dt.timedelta(minutes=use.default_duration_minutes)
                if at < earliest:
                    continue

                def free(rule_filter, key, at=at, end=end, minute=minute, day=day) -> bool:
                    rules = AvailabilityRule.objects.filter(rule_filter, weekday=day.weekday())
                    covered = any(
                        r.starts.hour * 60 + r.starts.minute <= minute
                        and minute + use.default_duration_minutes <= r.ends.hour * 60 + r.ends.minute
                        for r in rules
                    )
                    return (
                        covered
                        and not ResourceBooking.objects.filter(
                            resource_key=key, starts_at__lt=end, ends_at__gt=at
                        ).exists()
                    )

                from django.db.models import Q

                if (
                    any(free(Q(room=r), room_key(r.pk)) for r in rooms)
                    and any(free(Q(professional_id=n, site=site), professional_key(n)) for n in nurses)
                    and any(
                        free(Q(professional_id=d, site__isnull=True), professional_key(d)) for d in doctors
                    )
                ):
                    found.append((day, travel, at, site.pk))
        day += dt.timedelta(days=1)
    found.sort()
    return [(site_id, at) for _, _, at, site_id in found[:limit]]


def main() -> None:
    connection = _setup_django()
    from maille.scheduling.engine import SlotQuery, find_slots
    from maille.scheduling.wallclock import PARIS

    rng = random.Random(20261124)
    now = dt.datetime(2026, 1, 5, 8, tzinfo=PARIS)
    began = time.perf_counter()
    from maille.directory.models import Use
    from maille.scheduling.models import Appointment

    if KEEP and Use.objects.filter(code="bench").exists():
        use, booked = Use.objects.get(code="bench"), Appointment.objects.count()
    else:
        use, booked = _build(rng, now)
    print(
        f"network: {SITES} sites, {2 * SITES} rooms, {2 * SITES} assistants, {DOCTORS} doctors, "
        f"{WEEKS} weeks, {booked} appointments booked ({connection.vendor}); built in {time.perf_counter() - began:.1f} s"
    )
    (lat_lo, lat_hi), (lon_lo, lon_hi) = _area(SITES)
    origins = [
        (rng.uniform(lat_lo + 0.1, lat_hi - 0.1), rng.uniform(lon_lo + 0.1, lon_hi - 0.1))
        for _ in range(QUERIES)
    ]
    for label, max_travel in (("region-wide", None), ("within 45 min", 45.0)):
        timings = []
        for lat, lon in origins:
            query = SlotQuery(use=use, latitude=lat, longitude=lon, max_travel_minutes=max_travel, limit=10)
            t0 = time.perf_counter()
            slots = find_slots(query, now=now)
            timings.append((time.perf_counter() - t0) * 1000)
            if max_travel is None:
                assert len(slots) == 10
        timings.sort()
        p95 = timings[int(0.95 * (len(timings) - 1))]
        print(
            f"engine, earliest 10 slots, {label}: p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms ({QUERIES} queries)"
        )
        if max_travel is None:
            engine_median = statistics.median(timings)
    if NAIVE_QUERIES == 0:
        print("naive reference skipped (BENCH_NAIVE_QUERIES=0)")
        _finish(connection)
        return
    naive_timings = []
    for lat, lon in origins[:NAIVE_QUERIES]:
        t0 = time.perf_counter()
        reference = _naive(use, lat, lon, now)
        naive_timings.append((time.perf_counter() - t0) * 1000)
        engine = [
            (s.site_id, s.starts_at)
            for s in find_slots(SlotQuery(use=use, latitude=lat, longitude=lon), now=now)
        ]
        assert engine == reference, (engine, reference)
    naive_median = statistics.median(naive_timings)
    print(
        f"naive reference (slot by slot, resource by resource), region-wide: median {naive_median:.0f} ms "
        f"({NAIVE_QUERIES} queries, same results as the engine)"
    )
    print(f"ratio naive / engine (medians): {naive_median / engine_median:.0f}x")
    _finish(connection)


def _finish(connection) -> None:
    if not KEEP:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
