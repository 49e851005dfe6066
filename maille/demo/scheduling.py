"""Demo agendas: weekly availability for the next weeks, fictional patients and six months of past
appointments, anchored on the day the demo is loaded.

Everything is bulk-inserted (the demo must load in seconds), but each appointment gets exactly the
rows the booking and lifecycle services write (``tests/demo/test_demo_scheduling.py`` compares them):
the appointment, one transition log row and one audit row per transition, and one busy row per
resource while the appointment holds it (cancelled ones free theirs). The generator keeps its own
per-resource agenda, so no resource is ever double-booked.

Rates follow the e-Meuse figures: about 97 % of kept appointments honoured, 2-3 % no-shows, a few
cancellations with a reason; about 80 % of patients without a médecin traitant. Patients are
fictional: names from a clearly fake list, phone numbers in the range ARCEP keeps for fiction
(03 53 01 xx xx), no NIR.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import models, transaction

from maille.core.models import AuditEvent, Channel
from maille.directory.models import NetworkRole, NetworkRoleKind, Professional, Room, Site, SiteLevel, Use
from maille.evaluation.models import Act
from maille.notifications.services import LIVE_STATUSES as LIVE
from maille.notifications.services import messages_for_booked
from maille.patients.models import Patient, name_key
from maille.scheduling.engine import policy_for
from maille.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentTransition,
    AvailabilityRule,
    ReservedRange,
    ResourceBooking,
    professional_key,
    room_key,
)
from maille.scheduling.wallclock import PARIS, public_holidays
from maille.territory.models import Commune

from .network import DEMO_DOCTORS, DEMO_SITES, FICTIONAL, fake_rpps

S = AppointmentStatus
WEEKS_AHEAD = 8
PAST_DAYS = 182
UPCOMING_DAYS = 21
STEP_MINUTES = 10
PATIENTS_PER_SITE = 90
PATIENT_PHONE_PREFIX = "+3335301"  # 03 53 01 xx xx: numbers ARCEP keeps for fiction
FIRST_PATIENT_PHONE = 1000  # 0000-0999 are the sites' numbers
# Mean appointments per site and open half-day (the territorial house sees twice as many).
DEMAND_PER_HALF_DAY = 1.1
CANCEL_RATE = 0.05
NO_SHOW_RATE = 0.025
CONFIRM_RATE = 0.6
MEDECIN_TRAITANT_RATE = 0.2
ALD_RATE = 0.3
PRESCRIPTION_RATE = 0.7
REFERRAL_RATE = 0.08
CANCEL_REASONS = [
    ("Patient hospitalisé", True),
    ("Patient indisponible (rendez-vous pris ailleurs)", True),
    ("Amélioration de l'état de santé", True),
    ("Transport indisponible", True),
    ("Médecin téléconsultant indisponible", False),
    ("Panne de la connexion du site", False),
]
CHANNELS = [(Channel.PHONE, 0.55), (Channel.SITE, 0.35), (Channel.ONLINE, 0.10)]
FAKE_LAST_NAMES = ["Exemple", "Fictif", "Témoin", "Essai", "Démo", "Spécimen", "Modèle", "Maquette",
                   "Prototype", "Échantillon", "Factice", "Imaginaire", "Simulé", "Inventé"]  # fmt: skip
FIRST_NAMES = ["Marie", "Jean", "Monique", "Michel", "Françoise", "Pierre", "Nicole", "André", "Sylvie",
               "Bernard", "Martine", "Gérard", "Nathalie", "Daniel", "Isabelle", "Alain", "Léa", "Hugo",
               "Chloé", "Louis", "Emma", "Lucas", "Jeanne", "Paul", "Colette", "René", "Odile", "Marcel"]  # fmt: skip

# Remote doctors' weekly half-days (their time is shared by every site they serve): weekday, start, end.
DOCTOR_WEEKS: dict[int, list[tuple[int, dt.time, dt.time]]] = {
    1: [(d, dt.time(8, 30), dt.time(12, 30)) for d in range(5)],
    2: [(d, dt.time(13, 30), dt.time(18, 30)) for d in range(5)],
    3: [(d, dt.time(9), dt.time(12, 30)) for d in (0, 2, 4)] + [(d, dt.time(14), dt.time(18)) for d in (1, 3)],
    4: [(1, dt.time(14), dt.time(17, 30))],  # the dermatologist: Tuesday afternoon
}  # fmt: skip
DERMATOLOGY_RANGE = (1, dt.time(14), dt.time(17, 30))  # kept for dermatology at MSP 2.0 sites


@dataclass
class PlannedAppointment:
    """One appointment as it happened: the inputs of the services and the moment of each transition."""

    use: Use
    site_id: int
    room_id: int
    assistant_id: int | None
    doctor_id: int
    patient_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    channel: str
    booked_at: dt.datetime
    confirmed_at: dt.datetime | None = None
    outcome: str = S.BOOKED  # final status: booked, confirmed, completed, no_show or cancelled
    cancelled_at: dt.datetime | None = None
    cancel_reason: str = ""
    cancelled_by_patient: bool = False
    checked_in_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    no_show_at: dt.datetime | None = None
    duration_minutes: int | None = None
    act_code: str = ""
    report_sent_to_medecin_traitant: bool = False
    prescription_issued: bool = False
    referred_in_person: bool = False

    def history(self) -> list[tuple[str, str, str, dt.datetime, str, str]]:
        """(name, from, to, when, channel, reason) in order, as the services would log them."""
        steps = [("book", "", S.BOOKED, self.booked_at, self.channel, "")]
        current = S.BOOKED
        if self.confirmed_at is not None:
            steps.append(("confirm", current, S.CONFIRMED, self.confirmed_at, Channel.PHONE, ""))
            current = S.CONFIRMED
        if self.outcome == S.CANCELLED:
            assert self.cancelled_at is not None
            steps.append(
                ("cancel", current, S.CANCELLED, self.cancelled_at, Channel.PHONE, self.cancel_reason)
            )
        elif self.outcome == S.NO_SHOW:
            assert self.no_show_at is not None
            steps.append(("no_show", current, S.NO_SHOW, self.no_show_at, Channel.SITE, ""))
        elif self.outcome == S.COMPLETED:
            assert self.checked_in_at is not None
            assert self.started_at is not None
            assert self.completed_at is not None
            steps += [
                ("check_in", current, S.CHECKED_IN, self.checked_in_at, Channel.SITE, ""),
                ("start", S.CHECKED_IN, S.IN_PROGRESS, self.started_at, Channel.SITE, ""),
                ("complete", S.IN_PROGRESS, S.COMPLETED, self.completed_at, Channel.SITE, ""),
            ]
        return steps


@contextlib.contextmanager
def _historical_timestamps(*fields: models.DateTimeField) -> Iterator[None]:
    """Let bulk inserts keep the moments of the past: ``auto_now_add`` would stamp every row "now"."""
    saved = [f.auto_now_add for f in fields]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, value in zip(fields, saved, strict=True):
            f.auto_now_add = value


def write_appointments(plans: list[PlannedAppointment]) -> list[Appointment]:
    """Insert appointments with their transition log, audit rows and busy rows, in bulk."""
    appointments = [
        Appointment(
            use=p.use,
            site_id=p.site_id,
            room_id=p.room_id,
            assistant_id=p.assistant_id,
            doctor_id=p.doctor_id,
            patient_id=p.patient_id,
            starts_at=p.starts_at,
            ends_at=p.ends_at,
            status=p.outcome,
            channel=p.channel,
            created_at=p.booked_at,
            cancel_reason=p.cancel_reason[:300],
            cancelled_by_patient=p.cancelled_by_patient,
            checked_in_at=p.checked_in_at,
            started_at=p.started_at,
            completed_at=p.completed_at,
            duration_minutes=p.duration_minutes,
            act_code=p.act_code,
            is_fictional=True,
            report_sent_to_medecin_traitant=p.report_sent_to_medecin_traitant,
            prescription_issued=p.prescription_issued,
            referred_in_person=p.referred_in_person,
        )
        for p in plans
    ]
    transition_rows, audit_rows, busy_rows = [], [], []
    with _historical_timestamps(
        Appointment._meta.get_field("created_at"),  # type: ignore[arg-type]
        AppointmentTransition._meta.get_field("occurred_at"),  # type: ignore[arg-type]
        AuditEvent._meta.get_field("occurred_at"),  # type: ignore[arg-type]
    ):
        Appointment.objects.bulk_create(appointments, batch_size=2000)
        buffers: dict[int, int] = {}
        for plan, appointment in zip(plans, appointments, strict=True):
            for name, source, target, when, channel, reason in plan.history():
                transition_rows.append(
                    AppointmentTransition(
                        appointment=appointment,
                        name=name,
                        from_status=source,
                        to_status=target,
                        occurred_at=when,
                        channel=channel,
                        reason=reason[:300],
                    )
                )
                audit_rows.append(
                    AuditEvent(
                        occurred_at=when,
                        actor_label="système",
                        action=f"appointment.{name}",
                        target_type=Appointment._meta.label_lower,
                        target_id=str(appointment.pk),
                        channel=channel,
                        reason=reason[:300],
                        details={"from": source, "to": target},
                    )
                )
            if plan.outcome in {S.CANCELLED, S.EXPIRED, S.RESCHEDULED}:
                continue  # their busy rows were deleted when the resources were freed
            if plan.use.pk not in buffers:
                buffers[plan.use.pk] = policy_for(plan.use).buffer_minutes
            busy_until = plan.ends_at + dt.timedelta(minutes=buffers[plan.use.pk])
            keys = [room_key(plan.room_id), professional_key(plan.doctor_id)]
            if plan.assistant_id is not None:
                keys.append(professional_key(plan.assistant_id))
            busy_rows += [
                ResourceBooking.build(
                    appointment=appointment, resource_key=key, starts_at=plan.starts_at, ends_at=busy_until
                )
                for key in keys
            ]
        AppointmentTransition.objects.bulk_create(transition_rows, batch_size=2000)
        AuditEvent.objects.bulk_create(audit_rows, batch_size=2000)
    ResourceBooking.objects.bulk_create(busy_rows, batch_size=2000)
    return appointments


# --- the demo's agendas -----------------------------------------------------------------------------------
@dataclass
class _Unit:
    """A resource of the generator: its weekly ranges (local minutes) and its busy ranges per day."""

    ranges: dict[int, list[tuple[int, int]]]
    busy: dict[dt.date, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))

    def free(self, day: dt.date, start: int, end: int) -> bool:
        if not any(s <= start and end <= e for s, e in self.ranges.get(day.weekday(), [])):
            return False
        return all(end <= s or e <= start for s, e in self.busy[day])


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def _weekly_ranges(hours: list[tuple[int, dt.time, dt.time]]) -> dict[int, list[tuple[int, int]]]:
    ranges: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for weekday, starts, ends in hours:
        ranges[weekday].append((_minutes(starts), _minutes(ends)))
    return dict(ranges)


def _at(day: dt.date, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=PARIS)


def _demo_anchor_loaded(anchor: dt.date, room_ids: list[int]) -> bool:
    return AvailabilityRule.objects.filter(
        room_id__in=room_ids, valid_until=anchor + dt.timedelta(weeks=WEEKS_AHEAD)
    ).exists()


def _clear(site_ids: list[int], room_ids: list[int], professional_ids: list[int]) -> None:
    """Replace an earlier demo's agendas (loaded on another day): they are anchored on their own day."""
    appointments = Appointment.objects.filter(site_id__in=site_ids)
    # Their acts go first (the ledger protects the appointments it was written from).
    Act.objects.filter(appointment__site_id__in=site_ids).delete()
    appointment_ids = [str(pk) for pk in appointments.values_list("pk", flat=True)]
    appointments.update(rescheduled_from=None)
    appointments.delete()
    # Ids first, then plain updates by primary key: an UPDATE … WHERE id IN (a join) planned on freshly
    # loaded tables without statistics ran for minutes on PostgreSQL.
    orphan_ids = list(
        Patient.objects.filter(phone__startswith=PATIENT_PHONE_PREFIX, appointments__isnull=True).values_list(
            "pk", flat=True
        )
    )
    patients = Patient.objects.filter(pk__in=orphan_ids)
    patients.update(caregiver=None, merged_into=None)
    patients.delete()
    patient_ids = [str(pk) for pk in orphan_ids]
    # Demo data only: the audit rows of records that no longer exist go with them.
    AuditEvent.objects.filter(
        target_type=Appointment._meta.label_lower, target_id__in=appointment_ids
    ).delete()
    AuditEvent.objects.filter(target_type=Patient._meta.label_lower, target_id__in=patient_ids).delete()
    AvailabilityRule.objects.filter(room_id__in=room_ids).delete()
    AvailabilityRule.objects.filter(professional_id__in=professional_ids).delete()
    ReservedRange.objects.filter(site_id__in=site_ids).delete()


def _create_patients(rng: random.Random, sites: list[Site], anchor: dt.date) -> dict[int, list[Patient]]:
    """Fictional patients living in communes around each site (within about 15 km)."""
    communes = list(Commune.objects.with_coordinates().filter(departement_id__in={"52", "54", "55"})
                    .values_list("code", "latitude", "longitude"))  # fmt: skip
    patients: list[Patient] = []
    home: list[int] = []
    for site in sites:
        near = [
            code
            for code, lat, lon in communes
            if math.hypot(lat - site.latitude, (lon - site.longitude) * 0.66) < 0.14
        ] or [site.commune_id]
        for _ in range(PATIENTS_PER_SITE * (2 if site.level == SiteLevel.TERRITORIAL_HOUSE else 1)):
            number = FIRST_PATIENT_PHONE + len(patients)
            first, last = rng.choice(FIRST_NAMES), rng.choice(FAKE_LAST_NAMES)
            age_days = int(365.25 * min(98, max(18, rng.gauss(66, 16))))
            patients.append(
                Patient(
                    last_name=last,
                    first_name=first,
                    name_key=name_key(last, first),
                    birth_date=anchor - dt.timedelta(days=age_days + rng.randrange(365)),
                    sex=rng.choice(["F", "M"]),
                    phone=f"{PATIENT_PHONE_PREFIX}{number:04d}",
                    # two in three give an email (example.org: reserved, reaches nobody) for their messages
                    email=f"patient{number:04d}@example.org" if number % 3 else "",
                    commune_id=rng.choice(near),
                    has_medecin_traitant=rng.random() < MEDECIN_TRAITANT_RATE,
                    is_ald=rng.random() < ALD_RATE,
                    consents_to_teleconsultation=True,
                    consents_to_data_use=rng.random() < 0.8,
                    is_fictional=True,
                )
            )
            home.append(site.pk)
    Patient.objects.bulk_create(patients, batch_size=2000)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor_label="système",
                action="patient.create",
                target_type=Patient._meta.label_lower,
                target_id=str(p.pk),
                channel=Channel.CLI,
                details={
                    "fields": sorted(
                        f
                        for f in _PATIENT_FIELDS
                        if getattr(p, f"{f}_id" if f == "commune" else f) not in ("", None)
                    )
                },
            )
            for p in patients
        ],
        batch_size=2000,
    )
    by_site: dict[int, list[Patient]] = defaultdict(list)
    for patient, site_id in zip(patients, home, strict=True):
        by_site[site_id].append(patient)
    return by_site


_PATIENT_FIELDS = ("last_name", "first_name", "birth_date", "sex", "phone", "commune", "has_medecin_traitant",
                   "is_ald", "consents_to_teleconsultation", "consents_to_data_use")  # fmt: skip


def _create_availability(anchor: dt.date, resources: _DemoResources) -> int:
    """Rooms and assistants follow their site's opening hours; doctors keep their half-days."""
    valid_from = anchor - dt.timedelta(days=PAST_DAYS + 7)
    valid_until = anchor + dt.timedelta(weeks=WEEKS_AHEAD)
    rules = []
    for spec, site in zip(DEMO_SITES, resources.sites, strict=True):
        for weekday, starts, ends in spec.hours:
            common = {"weekday": weekday, "starts": starts, "ends": ends,
                      "valid_from": valid_from, "valid_until": valid_until}  # fmt: skip
            rules += [AvailabilityRule(room_id=pk, **common) for pk in resources.rooms[site.pk]]
            rules += [
                AvailabilityRule(professional_id=pk, site=site, **common)
                for pk in resources.assistants[site.pk]
            ]
    for number, doctor_id in resources.doctors.items():
        rules += [
            AvailabilityRule(
                professional_id=doctor_id,
                weekday=weekday,
                starts=starts,
                ends=ends,
                valid_from=valid_from,
                valid_until=valid_until,
            )  # fmt: skip
            for weekday, starts, ends in DOCTOR_WEEKS[number]
        ]
    AvailabilityRule.objects.bulk_create(rules, batch_size=2000)
    weekday, starts, ends = DERMATOLOGY_RANGE
    ReservedRange.objects.bulk_create(
        ReservedRange(
            site=site,
            use=resources.dermatology,
            weekday=weekday,
            starts=starts,
            ends=ends,
            valid_from=valid_from,
            valid_until=valid_until,
            release_hours_before=48,
        )  # fmt: skip
        for site in resources.sites
        if site.level == SiteLevel.MSP_2_0
    )
    return len(rules)


@dataclass
class _DemoResources:
    sites: list[Site]
    rooms: dict[int, list[int]]  # site -> room ids (the first one carries the specialist kit)
    assistants: dict[int, list[int]]  # site -> professional ids
    doctors: dict[int, int]  # number in DEMO_DOCTORS (from 1) -> professional id
    general: Use
    dermatology: Use


def _demo_resources() -> _DemoResources:
    sites_by_name = {
        s.name: s for s in Site.objects.filter(name__in=[d.name + FICTIONAL for d in DEMO_SITES])
    }
    sites = [sites_by_name[spec.name + FICTIONAL] for spec in DEMO_SITES]
    rooms: dict[int, list[int]] = defaultdict(list)
    for pk, site_id in Room.objects.filter(site__in=sites).order_by("pk").values_list("pk", "site_id"):
        rooms[site_id].append(pk)
    assistants: dict[int, list[int]] = defaultdict(list)
    for professional_id, site_id in (
        NetworkRole.objects.filter(kind=NetworkRoleKind.ASSISTANT, sites__in=sites)
        .order_by("professional_id")
        .values_list("professional_id", "sites")
    ):
        assistants[site_id].append(professional_id)
    by_rpps = dict(Professional.objects.values_list("rpps", "pk").filter(
        rpps__in=[fake_rpps(n) for n in range(1, len(DEMO_DOCTORS) + 1)]))  # fmt: skip
    doctors = {n: by_rpps[fake_rpps(n)] for n in range(1, len(DEMO_DOCTORS) + 1)}
    uses = Use.objects.in_bulk(["tlc-mg", "tlc-dermato"], field_name="code")
    return _DemoResources(sites, dict(rooms), dict(assistants), doctors, uses["tlc-mg"], uses["tlc-dermato"])


class _Planner:
    """Books requests one by one on the generator's own agendas (earliest free start from a wish)."""

    def __init__(self, resources: _DemoResources, *, anchor: dt.date, now: dt.datetime) -> None:
        self.resources, self.anchor, self.now = resources, anchor, now
        self.units: dict[str, _Unit] = {}
        for spec, site in zip(DEMO_SITES, resources.sites, strict=True):
            ranges = _weekly_ranges(spec.hours)
            for pk in resources.rooms[site.pk]:
                self.units[room_key(pk)] = _Unit(ranges)
            for pk in resources.assistants[site.pk]:
                self.units[professional_key(pk)] = _Unit(ranges)
        for number, pk in resources.doctors.items():
            self.units[professional_key(pk)] = _Unit(_weekly_ranges(DOCTOR_WEEKS[number]))
        self.week_load: dict[tuple[int, dt.date], int] = defaultdict(int)

    def place(self, *, use: Use, site: Site, day: dt.date, wish: int, until: int) -> tuple | None:
        """(start minute, room, assistant, doctor) of the first free start from ``wish`` to ``until``."""
        dermatology = use.pk == self.resources.dermatology.pk
        rooms = self.resources.rooms[site.pk][:1] if dermatology else self.resources.rooms[site.pk]
        doctors = [pk for n, pk in self.resources.doctors.items() if (n == 4) == dermatology]
        duration = use.default_duration_minutes
        week = day - dt.timedelta(days=day.weekday())
        for start in range(wish - wish % STEP_MINUTES, until - duration + 1, STEP_MINUTES):
            end = start + duration
            room = next((r for r in rooms if self.units[room_key(r)].free(day, start, end)), None)
            assistants = self.resources.assistants[site.pk]
            assistant = next(
                (a for a in assistants if self.units[professional_key(a)].free(day, start, end)), None
            )
            free_doctors = [d for d in doctors if self.units[professional_key(d)].free(day, start, end)]
            if room is None or assistant is None or not free_doctors:
                continue
            doctor = min(free_doctors, key=lambda d: (self.week_load[(d, week)], d))
            return start, room, assistant, doctor
        return None

    def occupy(self, day: dt.date, start: int, end: int, keys: list[str], doctor: int) -> None:
        for key in keys:
            self.units[key].busy[day].append((start, end))
        self.week_load[(doctor, day - dt.timedelta(days=day.weekday()))] += 1


def _plan_day(planner: _Planner, rng: random.Random, day: dt.date, patients: dict[int, list[Patient]],
              past: bool) -> list[PlannedAppointment]:  # fmt: skip
    resources = planner.resources
    plans = []
    for spec, site in zip(DEMO_SITES, resources.sites, strict=True):
        if day in public_holidays(site.commune.departement_id, day.year):
            continue
        for weekday, opens, closes in spec.hours:
            if weekday != day.weekday():
                continue
            demand = DEMAND_PER_HALF_DAY * (2 if site.level == SiteLevel.TERRITORIAL_HOUSE else 1)
            if not past:  # the agenda fills up as the day comes closer
                demand *= max(0.15, 1 - (day - planner.anchor).days / UPCOMING_DAYS)
            for _ in range(_poisson(rng, demand)):
                dermatology_day = site.level == SiteLevel.MSP_2_0 and weekday == DERMATOLOGY_RANGE[0]
                use = resources.dermatology if dermatology_day and rng.random() < 0.6 else resources.general
                wish = rng.randrange(_minutes(opens), _minutes(closes))
                placed = planner.place(use=use, site=site, day=day, wish=wish, until=_minutes(closes))
                if placed is None:
                    continue
                plans.append(_appointment(planner, rng, use, site, day, placed, patients, past))
    return plans


def _poisson(rng: random.Random, mean: float) -> int:
    threshold, count, product = math.exp(-mean), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def _appointment(planner: _Planner, rng: random.Random, use: Use, site: Site, day: dt.date, placed: tuple,
                 patients: dict[int, list[Patient]], past: bool) -> PlannedAppointment:  # fmt: skip
    start, room, assistant, doctor = placed
    patient = rng.choice(patients[site.pk])
    starts_at = _at(day, start)
    booked_at = _at(day - dt.timedelta(days=rng.randint(1, 12)), rng.randrange(8 * 60, 18 * 60))
    channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
    plan = PlannedAppointment(
        use=use, site_id=site.pk, room_id=room, assistant_id=assistant, doctor_id=doctor, patient_id=patient.pk,
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=use.default_duration_minutes),
        channel=channel, booked_at=min(booked_at, planner.now - dt.timedelta(hours=1)),
    )  # fmt: skip
    if rng.random() < CONFIRM_RATE:
        plan.confirmed_at = starts_at - dt.timedelta(days=1, hours=rng.randint(0, 6))
        plan.confirmed_at = max(plan.confirmed_at, plan.booked_at + dt.timedelta(minutes=5))
        if plan.confirmed_at >= planner.now:
            plan.confirmed_at = None
    plan.outcome = S.CONFIRMED if plan.confirmed_at else S.BOOKED
    if past and rng.random() < CANCEL_RATE:
        reason, by_patient = rng.choice(CANCEL_REASONS)
        last = plan.confirmed_at or plan.booked_at
        plan.outcome, plan.cancel_reason, plan.cancelled_by_patient = S.CANCELLED, reason, by_patient
        plan.cancelled_at = last + (starts_at - last) * rng.uniform(0.2, 0.95)
        return plan
    keys = [room_key(room), professional_key(doctor), professional_key(assistant)]
    planner.occupy(day, start, start + use.default_duration_minutes, keys, doctor)
    if not past:
        return plan
    if rng.random() < NO_SHOW_RATE:
        plan.outcome, plan.no_show_at = S.NO_SHOW, starts_at + dt.timedelta(minutes=15)
        return plan
    plan.outcome = S.COMPLETED
    plan.checked_in_at = starts_at - dt.timedelta(minutes=rng.randint(0, 12))
    plan.started_at = starts_at + dt.timedelta(minutes=rng.randint(0, 6))
    plan.duration_minutes = rng.randint(20, 25)
    plan.completed_at = plan.started_at + dt.timedelta(minutes=plan.duration_minutes)
    plan.act_code = "TC" if use.pk == planner.resources.dermatology.pk else "TCG"
    plan.report_sent_to_medecin_traitant = bool(patient.has_medecin_traitant)
    plan.prescription_issued = rng.random() < PRESCRIPTION_RATE
    plan.referred_in_person = rng.random() < REFERRAL_RATE
    return plan


@transaction.atomic
def load_demo_scheduling(*, today: dt.date | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Agendas, patients and appointments of the demo network, anchored on ``today`` (idempotent that day)."""
    from django.utils import timezone

    now = now or timezone.now()
    anchor = today or timezone.localdate(now)
    resources = _demo_resources()
    room_ids = [pk for pks in resources.rooms.values() for pk in pks]
    if _demo_anchor_loaded(anchor, room_ids):
        return {"rules": 0, "patients": 0, "appointments": 0, "skipped": 1}
    professional_ids = [pk for pks in resources.assistants.values() for pk in pks] + list(
        resources.doctors.values()
    )
    _clear([s.pk for s in resources.sites], room_ids, professional_ids)
    rules = _create_availability(anchor, resources)
    rng = random.Random(20260105)
    for site in resources.sites:
        site.commune = Commune.objects.get(pk=site.commune_id)  # département for public holidays
    patients = _create_patients(rng, resources.sites, anchor)
    planner = _Planner(resources, anchor=anchor, now=now)
    plans: list[PlannedAppointment] = []
    for offset in range(-PAST_DAYS, UPCOMING_DAYS + 1):
        if offset == 0:
            continue  # today stays free for the visitor to book
        day = anchor + dt.timedelta(days=offset)
        plans += _plan_day(planner, rng, day, patients, past=offset < 0)
    appointments = write_appointments(plans)
    # upcoming bookings get their confirmation and reminders, as if booked through the services; the worker
    # of `maille serve` sends them to the local outbox (var/outbox.jsonl) and the "Messages" page shows them
    messages_for_booked([a.pk for a in appointments if a.status in LIVE and a.starts_at > now])
    return {"rules": rules, "patients": sum(len(p) for p in patients.values()), "appointments": len(plans),
            "skipped": 0}  # fmt: skip
