"""The slot engine: resources, DST, holidays (Alsace-Moselle), reserved ranges, buffers, notice, horizon."""

from __future__ import annotations

import datetime as dt

import pytest

from maille.core.models import Channel
from maille.directory.models import SiteUse
from maille.scheduling.engine import SlotQuery, candidates_at, find_slots
from maille.scheduling.engine import search as engine
from maille.scheduling.models import (
    Absence,
    AvailabilityException,
    AvailabilityRule,
    ReservedRange,
    SiteClosure,
    UseBookingPolicy,
)
from maille.scheduling.services import appointment_book, appointment_hold
from maille.scheduling.wallclock import PARIS
from tests.patients.factories import PatientFactory

from .factories import add_doctor, make_network, make_use, paris, weekly

pytestmark = pytest.mark.django_db

MONDAY_8AM = paris(2026, 3, 2, 8)


def local_starts(slots):
    return [slot.starts_at.astimezone(PARIS).replace(tzinfo=None) for slot in slots]


def search(use, now=MONDAY_8AM, **options):
    return find_slots(SlotQuery(use=use, **options), now=now)


def test_earliest_slots_name_the_room_the_assistant_and_the_doctor():
    net = make_network()
    slots = search(net.use, limit=3)
    assert local_starts(slots) == [
        dt.datetime(2026, 3, 2, 9, 0),
        dt.datetime(2026, 3, 2, 9, 10),
        dt.datetime(2026, 3, 2, 9, 20),
    ]
    first = slots[0]
    assert (first.site_id, first.room_id, first.assistant_id, first.doctor_ids) == (
        net.site.pk,
        net.room.pk,
        net.nurse.pk,
        (net.doctor.pk,),
    )
    assert first.ends_at - first.starts_at == dt.timedelta(minutes=20)


def test_the_last_slot_of_a_morning_ends_with_the_availability():
    net = make_network()
    monday = [
        s for s in search(net.use, limit=40) if s.starts_at.astimezone(PARIS).date() == dt.date(2026, 3, 2)
    ]
    assert local_starts(monday)[-1] == dt.datetime(2026, 3, 2, 11, 40)
    assert len(monday) == 17


def test_a_room_without_the_required_equipment_is_never_offered():
    net = make_network()
    net.room.equipment.clear()
    assert search(net.use) == []


def test_an_assistant_of_another_profession_is_not_eligible():
    use = make_use(assisting=("pharmacien",))
    make_network(use=use)
    assert search(use) == []


def test_a_use_without_assistance_needs_no_assistant():
    use = make_use(assisting=())
    net = make_network(use=use)
    slot = search(use, limit=1)[0]
    assert slot.assistant_id is None
    assert slot.doctor_ids == (net.doctor.pk,)


def test_opening_stays_at_nine_local_across_the_dst_change():
    net = make_network()
    slots = search(net.use, now=paris(2026, 3, 26, 12), limit=40)
    friday = [s for s in slots if s.starts_at.astimezone(PARIS).date() == dt.date(2026, 3, 27)]
    monday = [s for s in slots if s.starts_at.astimezone(PARIS).date() == dt.date(2026, 3, 30)]
    assert friday[0].starts_at.astimezone(dt.UTC).hour == 8  # UTC+1 before the change
    assert monday[0].starts_at.astimezone(dt.UTC).hour == 7  # UTC+2 after it
    assert {s.starts_at.astimezone(PARIS).time() for s in friday} == {
        s.starts_at.astimezone(PARIS).time() for s in monday
    }
    assert len(friday) == len(monday) == 17


@pytest.mark.parametrize(
    ("departement", "closed"),
    [("55", False), ("57", True), ("67", True), ("68", True)],
)
def test_good_friday_closes_sites_in_alsace_moselle_only(departement, closed):
    net = make_network(departement=departement)
    slots = search(net.use, now=paris(2026, 4, 2, 12), starts_after=paris(2026, 4, 3), limit=1)
    first_day = slots[0].starts_at.astimezone(PARIS).date()
    # Good Friday 3 April 2026; Easter Monday 6 April is a holiday everywhere.
    assert first_day == (dt.date(2026, 4, 7) if closed else dt.date(2026, 4, 3))


@pytest.mark.parametrize(
    ("departement", "first_day"), [("55", dt.date(2025, 12, 26)), ("68", dt.date(2025, 12, 29))]
)
def test_saint_stephens_day_closes_sites_in_alsace_moselle(departement, first_day):
    use = make_use()
    net = make_network(use=use, departement=departement)
    for rule in (
        *net.room.availability_rules.all(),
        *net.nurse.availability_rules.all(),
        *net.doctor.availability_rules.all(),
    ):
        rule.valid_from = dt.date(2025, 1, 1)
        rule.save()
    slots = search(use, now=paris(2025, 12, 24, 12), starts_after=paris(2025, 12, 26), limit=1)
    assert slots[0].starts_at.astimezone(PARIS).date() == first_day


def test_a_site_open_on_holidays_keeps_its_slots():
    from maille.scheduling.models import SiteSchedulingSettings

    net = make_network(departement="57")
    SiteSchedulingSettings.objects.create(site=net.site, open_on_public_holidays=True)
    slots = search(net.use, now=paris(2026, 4, 2, 12), starts_after=paris(2026, 4, 3), limit=1)
    assert slots[0].starts_at.astimezone(PARIS).date() == dt.date(2026, 4, 3)


def test_reserved_range_blocks_other_uses_until_released():
    net = make_network()
    dermato = make_use("test-dermato", equipment=())
    SiteUse.objects.create(site=net.site, use=dermato)
    # Tuesday mornings kept for dermatology, released 48 hours before each occurrence.
    ReservedRange.objects.create(
        site=net.site,
        use=dermato,
        weekday=1,
        starts=dt.time(9),
        ends=dt.time(12),
        valid_from=dt.date(2026, 1, 1),
        release_hours_before=48,
    )
    tuesday = paris(2026, 3, 10)  # 8 days after "now": still reserved
    assert search(net.use, starts_after=tuesday, ends_before=tuesday + dt.timedelta(days=1)) == []
    assert local_starts(search(dermato, starts_after=tuesday, limit=1)) == [dt.datetime(2026, 3, 10, 9)]
    # Tomorrow's range is less than 48 hours away: released, open to every use.
    tomorrow = paris(2026, 3, 3)
    assert local_starts(search(net.use, starts_after=tomorrow, limit=1)) == [dt.datetime(2026, 3, 3, 9)]


def test_buffer_keeps_resources_busy_after_each_appointment():
    use = make_use(buffer=10)
    net = make_network(use=use)
    appointment_book(
        actor=None,
        channel=Channel.SYSTEM,
        patient=PatientFactory(),
        use=use,
        site=net.site,
        starts_at=paris(2026, 3, 2, 9),
        now=MONDAY_8AM,
    )
    assert local_starts(search(use, limit=1)) == [dt.datetime(2026, 3, 2, 9, 30)]


def test_without_buffer_the_next_slot_follows_at_once():
    net = make_network()
    appointment_book(
        actor=None,
        channel=Channel.SYSTEM,
        patient=PatientFactory(),
        use=net.use,
        site=net.site,
        starts_at=paris(2026, 3, 2, 9),
        now=MONDAY_8AM,
    )
    assert local_starts(search(net.use, limit=1)) == [dt.datetime(2026, 3, 2, 9, 20)]


def test_minimum_notice_and_horizon():
    use = make_use(notice=180, horizon=7)
    make_network(use=use)
    slots = search(use, limit=200)
    assert local_starts(slots)[0] == dt.datetime(2026, 3, 2, 11, 0)
    assert max(s.ends_at for s in slots) <= MONDAY_8AM + dt.timedelta(days=7)
    assert search(use, starts_after=MONDAY_8AM + dt.timedelta(days=8)) == []


def test_cancelled_and_edited_occurrences():
    net = make_network()
    monday_rule = net.doctor.availability_rules.get(weekday=0)
    AvailabilityException.objects.create(
        rule=monday_rule, date=dt.date(2026, 3, 2), starts=dt.time(10), ends=dt.time(11)
    )
    assert local_starts(search(net.use, limit=1)) == [dt.datetime(2026, 3, 2, 10)]
    exception = AvailabilityException.objects.get(rule=monday_rule)
    exception.is_cancelled, exception.starts, exception.ends = True, None, None
    exception.save()  # save(), not update(): the engine's rule cache watches updated_at
    assert local_starts(search(net.use, limit=1)) == [dt.datetime(2026, 3, 3, 9)]


def test_validity_period_ends_a_rule():
    net = make_network()
    for rule in net.doctor.availability_rules.all():
        rule.valid_until = dt.date(2026, 3, 1)
        rule.save()
    weekly(professional=net.doctor, valid_from=dt.date(2026, 3, 4), starts="14:00", ends="15:00")
    assert search(net.use, limit=1) == []  # the room and the nurse work mornings only


def test_absence_and_site_closure():
    net = make_network()
    Absence.objects.create(professional=net.doctor, starts_at=paris(2026, 3, 2), ends_at=paris(2026, 3, 3))
    assert local_starts(search(net.use, limit=1)) == [dt.datetime(2026, 3, 3, 9)]
    SiteClosure.objects.create(site=net.site, starts_at=paris(2026, 3, 3), ends_at=paris(2026, 3, 3, 10))
    assert local_starts(search(net.use, limit=1)) == [dt.datetime(2026, 3, 3, 10)]


def test_slots_ranked_by_date_then_travel_time():
    use = make_use()
    near = make_network(use=use, latitude=49.10, longitude=5.30, commune_code="55002")
    far = make_network(use=use, latitude=49.60, longitude=5.30, commune_code="55003")
    slots = search(use, latitude=49.12, longitude=5.30, limit=4)
    assert [s.site_id for s in slots] == [near.site.pk, near.site.pk, near.site.pk, near.site.pk]
    assert slots[0].travel_minutes < 5
    # The far site's Monday slots come before the near site's Tuesday ones.
    slots = search(use, latitude=49.12, longitude=5.30, limit=40)
    site_order = [s.site_id for s in slots]
    assert site_order == [near.site.pk] * 17 + [far.site.pk] * 17 + [near.site.pk] * 6
    assert slots[34].starts_at.astimezone(PARIS).date() == dt.date(2026, 3, 3)
    limited = search(use, latitude=49.12, longitude=5.30, max_travel_minutes=30, limit=40)
    assert {s.site_id for s in limited} == {near.site.pk}


@pytest.mark.parametrize("ring", [1, 2])
def test_rings_of_nearest_sites_give_the_same_slots_as_all_sites_at_once(monkeypatch, ring):
    use = make_use()
    # Four sites going north; the nearest opens only on Tuesday, the second only in the afternoon.
    nearest = make_network(use=use, latitude=49.10, longitude=5.30, commune_code="55002")
    AvailabilityRule.objects.filter(room=nearest.room, weekday=0).delete()
    afternoon = make_network(
        use=use, latitude=49.20, longitude=5.30, commune_code="55003", starts="14:00", ends="15:00"
    )
    make_network(use=use, latitude=49.30, longitude=5.30, commune_code="55004")
    make_network(use=use, latitude=49.30, longitude=5.30, commune_code="55005")  # same distance as the third
    options = {"latitude": 49.10, "longitude": 5.30, "limit": 60}
    monkeypatch.setattr(engine, "FIRST_RING_SITES", 10_000)
    everything = [(s.site_id, s.starts_at, s.room_id) for s in search(use, **options)]
    monkeypatch.setattr(engine, "FIRST_RING_SITES", ring)
    by_rings = [(s.site_id, s.starts_at, s.room_id) for s in search(use, **options)]
    assert by_rings == everything
    assert len(everything) == 60
    # Monday: the nearest site is closed; the second (nearer than the third) comes first, in its afternoon.
    assert everything[0][:2] == (afternoon.site.pk, paris(2026, 3, 2, 14))
    assert nearest.site.pk not in {
        site for site, starts, _ in everything if starts.date() == dt.date(2026, 3, 2)
    }


def test_any_eligible_doctor_and_load_balancing():
    net = make_network()
    second = add_doctor(net.site)
    weekly(professional=second)
    slot = search(net.use, limit=1)[0]
    assert slot.doctor_ids == tuple(sorted((net.doctor.pk, second.pk)))
    first = appointment_book(
        actor=None,
        channel=Channel.SYSTEM,
        patient=PatientFactory(),
        use=net.use,
        site=net.site,
        starts_at=paris(2026, 3, 2, 9),
        now=MONDAY_8AM,
    )
    room2 = type(net.room).objects.create(site=net.site, name="Salle 2")
    room2.equipment.set(net.use.required_equipment.all())
    weekly(room=room2)
    nurse2 = make_network(use=net.use).nurse
    nurse2.network_roles.get().sites.add(net.site)
    weekly(professional=nurse2, site=net.site)
    other = appointment_book(
        actor=None,
        channel=Channel.SYSTEM,
        patient=PatientFactory(),
        use=net.use,
        site=net.site,
        starts_at=paris(2026, 3, 2, 10),
        now=MONDAY_8AM,
    )
    assert {first.doctor_id, other.doctor_id} == {net.doctor.pk, second.pk}


def test_doctor_time_is_shared_across_sites():
    use = make_use()
    a = make_network(use=use, commune_code="55010")
    b = make_network(use=use, commune_code="55011")
    b.doctor.network_roles.update(is_active=False)
    a.doctor.network_roles.get().sites.add(b.site)
    appointment_book(
        actor=None,
        channel=Channel.SYSTEM,
        patient=PatientFactory(),
        use=use,
        site=a.site,
        starts_at=paris(2026, 3, 2, 9),
        now=MONDAY_8AM,
    )
    assert local_starts(find_slots(SlotQuery(use=use, site_ids=(b.site.pk,), limit=1), now=MONDAY_8AM)) == [
        dt.datetime(2026, 3, 2, 9, 20)
    ]


def test_doctor_sex_and_language_constraints():
    net = make_network()
    net.doctor.sex, net.doctor.languages = "M", ["fr"]
    net.doctor.save()
    assert search(net.use, doctor_sex="F") == []
    assert search(net.use, doctor_language="ar") == []
    assert len(search(net.use, doctor_sex="M", doctor_language="fr", limit=2)) == 2


def test_an_expired_hold_frees_its_slot_by_itself():
    net = make_network()
    appointment_hold(
        actor=None,
        channel=Channel.SYSTEM,
        use=net.use,
        site=net.site,
        starts_at=paris(2026, 3, 2, 9),
        now=paris(2026, 3, 2, 7),
    )
    assert local_starts(search(net.use, now=paris(2026, 3, 2, 7, 7), limit=1)) == [
        dt.datetime(2026, 3, 2, 9, 20)
    ]
    later = paris(2026, 3, 2, 7, 9)
    assert local_starts(search(net.use, now=later, limit=1)) == [dt.datetime(2026, 3, 2, 9)]
    booked = appointment_book(
        actor=None,
        channel=Channel.SYSTEM,
        patient=PatientFactory(),
        use=net.use,
        site=net.site,
        starts_at=paris(2026, 3, 2, 9),
        now=later,
    )
    assert booked.status == "booked"


def test_candidates_at_validates_one_start():
    net = make_network()
    assert candidates_at(
        use=net.use, site_id=net.site.pk, starts_at=paris(2026, 3, 2, 9), now=MONDAY_8AM
    ).bookable
    assert not candidates_at(
        use=net.use, site_id=net.site.pk, starts_at=paris(2026, 3, 2, 11, 50), now=MONDAY_8AM
    ).bookable
    assert not candidates_at(
        use=net.use, site_id=net.site.pk, starts_at=paris(2026, 3, 2, 8, 30), now=MONDAY_8AM
    ).bookable


def test_policy_step_changes_the_grid():
    net = make_network()
    UseBookingPolicy.objects.filter(use=net.use).update(slot_step_minutes=30)
    assert local_starts(search(net.use, limit=3)) == [
        dt.datetime(2026, 3, 2, 9),
        dt.datetime(2026, 3, 2, 9, 30),
        dt.datetime(2026, 3, 2, 10),
    ]


def test_an_edited_rule_is_seen_by_the_next_search():
    net = make_network()
    assert local_starts(search(net.use, limit=1)) == [dt.datetime(2026, 3, 2, 9)]
    for rule in net.doctor.availability_rules.all():
        rule.starts = dt.time(10, 30)
        rule.save()
    assert local_starts(search(net.use, limit=1)) == [dt.datetime(2026, 3, 2, 10, 30)]


def test_site_duration_override_applies_to_its_use_only():
    net = make_network()
    other = make_use("test-other", equipment=())
    SiteUse.objects.create(site=net.site, use=other, duration_minutes=45)
    SiteUse.objects.filter(site=net.site, use=net.use).update(duration_minutes=30)
    slots = search(net.use, limit=3)
    assert [s.ends_at - s.starts_at for s in slots] == [dt.timedelta(minutes=30)] * 3
    assert len({s.starts_at for s in slots}) == 3
    assert search(other, limit=1)[0].ends_at - search(other, limit=1)[0].starts_at == dt.timedelta(minutes=45)


@pytest.mark.parametrize("site_list_limit", [0, 100])
def test_many_sites_path_skips_sites_beyond_the_travel_limit(monkeypatch, site_list_limit):
    from maille.scheduling.engine import search as engine

    monkeypatch.setattr(engine, "SITE_LIST_LIMIT", site_list_limit)
    use = make_use()
    near = make_network(use=use, latitude=49.10, longitude=5.30, commune_code="55002")
    make_network(use=use, latitude=49.60, longitude=5.30, commune_code="55003")
    ReservedRange.objects.create(
        site=near.site,
        use=make_use("test-dermato", equipment=()),
        weekday=1,
        starts=dt.time(9),
        ends=dt.time(12),
        valid_from=dt.date(2026, 1, 1),
        release_hours_before=0,
    )
    slots = search(use, latitude=49.12, longitude=5.30, max_travel_minutes=30, limit=20)
    assert {s.site_id for s in slots} == {near.site.pk}
    assert len(slots) == 20


def test_a_walk_in_skips_the_minimum_notice_and_can_be_held():
    from maille.core.errors import ConflictError, DomainError

    net = make_network()  # notice 60 minutes, step 10
    now = paris(2026, 3, 2, 9, 5)
    assert local_starts(search(net.use, now=now, limit=1)) == [dt.datetime(2026, 3, 2, 10, 10)]
    assert local_starts(search(net.use, now=now, limit=1, walk_in=True)) == [dt.datetime(2026, 3, 2, 9, 10)]
    soon = paris(2026, 3, 2, 9, 10)
    with pytest.raises(ConflictError):
        appointment_hold(
            actor=None, channel=Channel.SITE, use=net.use, site=net.site, starts_at=soon, now=now
        )
    hold = appointment_hold(actor=None, channel=Channel.SITE, use=net.use, site=net.site, starts_at=soon,
                            now=now, walk_in=True)  # fmt: skip
    assert hold.starts_at == soon
    with pytest.raises(DomainError, match="déjà passé"):  # the past stays the past, walk-in or not
        appointment_hold(actor=None, channel=Channel.SITE, use=net.use, site=net.site,
                         starts_at=paris(2026, 3, 2, 9, 0), now=now, walk_in=True)  # fmt: skip


def test_each_site_s_next_free_times_match_the_search_at_that_site():
    from maille.scheduling.engine import next_free_by_site

    net = make_network()
    other = make_network(use=net.use, departement="52", latitude=48.1, longitude=5.1)
    booked = appointment_book(actor=None, channel=Channel.PHONE, patient=PatientFactory(), use=net.use,
                              site=net.site, starts_at=paris(2026, 3, 2, 10, 0), now=MONDAY_8AM)  # fmt: skip
    found = next_free_by_site(net.use, now=MONDAY_8AM, per_site=5)
    assert set(found) == {net.site.pk, other.site.pk}
    for site in (net.site, other.site):
        alone = search(net.use, site_ids=(site.pk,), limit=5)
        assert [s.starts_at for s in found[site.pk]] == [s.starts_at for s in alone]
        assert all(s.travel_minutes is None for s in found[site.pk])
    assert booked.starts_at not in [s.starts_at for s in found[net.site.pk]]
    # a start date and a short window
    later = next_free_by_site(net.use, now=MONDAY_8AM, starts_after=paris(2026, 3, 6), days=1, per_site=3)
    assert {s.starts_at.astimezone(PARIS).date() for slots in later.values() for s in slots} == {
        dt.date(2026, 3, 6)
    }


def test_the_load_that_balances_doctors_counts_their_live_appointments_of_that_week_only():
    from maille.scheduling.models import Appointment, AppointmentStatus
    from maille.scheduling.services import _least_loaded

    net = make_network()
    second = add_doctor(net.site)
    tuesday = paris(2026, 3, 3, 10)

    def appointment(doctor, starts_at, status=AppointmentStatus.BOOKED):
        Appointment.objects.create(
            use=net.use, site=net.site, room=net.room, doctor=doctor, patient=PatientFactory(), starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=20), status=status, channel=Channel.SYSTEM,
        )  # fmt: skip

    low, high = sorted((net.doctor, second), key=lambda doctor: doctor.pk)
    assert _least_loaded([low.pk, high.pk], tuesday) == low.pk  # a tie: the lowest id
    appointment(low, paris(2026, 3, 4, 9))
    assert _least_loaded([low.pk, high.pk], tuesday) == high.pk
    # neither a cancelled appointment nor one two weeks later weighs on the other doctor
    appointment(high, paris(2026, 3, 5, 9), status=AppointmentStatus.CANCELLED)
    appointment(high, paris(2026, 3, 17, 9))
    assert _least_loaded([low.pk, high.pk], tuesday) == high.pk
    appointment(high, paris(2026, 3, 6, 9))
    appointment(high, paris(2026, 3, 6, 10))
    assert _least_loaded([low.pk, high.pk], tuesday) == low.pk
    assert _least_loaded([high.pk], tuesday) == high.pk
