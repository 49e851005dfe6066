"""Stored indicator cells give exactly the figures computed from the acts, and are built again when rows change."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from maille.accounts.models import Role
from maille.core.models import Channel
from maille.evaluation import views
from maille.evaluation.cells import (
    forget_indicator_cells,
    refresh_indicator_cells,
    stale_months,
    store_month,
)
from maille.evaluation.indicators import compute_indicators
from maille.evaluation.models import (
    Act,
    ActCategory,
    ActImport,
    ActSource,
    BillingLine,
    DoctorPractice,
    IndicatorCell,
    IndicatorMonth,
    OutcomeCell,
)
from maille.scheduling.services import appointment_book, appointment_cancel, appointment_no_show
from tests.accounts.factories import user_with_role
from tests.directory.factories import SiteFactory
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import make_network, paris
from tests.territory.factories import CommuneFactory, DepartementFactory

from .helpers import completed

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 5)  # months up to November are past, December is the current one
CATEGORIES = [ActCategory.TELECONSULTATION] * 6 + [ActCategory.TELEEXPERTISE, ActCategory.TELEMONITORING,
                                                    ActCategory.PREVENTION, ActCategory.IN_PERSON]  # fmt: skip


@pytest.fixture
def world():
    """Two communes of two départements, three sites, 400 acts from January to December 2026 drawn at random
    (patients and doctors seen at several sites and months, every attribute the indicators read)."""
    meuse = CommuneFactory(
        code="55029", departement=DepartementFactory(code="55"), latitude=49.1, longitude=5.4
    )
    marne = CommuneFactory(
        code="52448", departement=DepartementFactory(code="52"), latitude=48.1, longitude=5.1
    )
    sites = [SiteFactory(commune=meuse, host_organisation__commune=meuse),
             SiteFactory(commune=meuse, host_organisation__commune=meuse),
             SiteFactory(commune=marne, host_organisation__commune=marne)]  # fmt: skip
    batch = ActImport.objects.create(sha256="cells")
    rng = random.Random(7)
    acts = []
    for number in range(400):
        site = rng.choice([*sites, None])
        commune = site.commune if site else rng.choice([meuse, marne])
        category = rng.choice(CATEGORIES)
        acts.append(Act(
            source=ActSource.IMPORT, batch=batch, external_id=f"a{number}",
            performed_on=dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 345)), category=category,
            site=site if category != ActCategory.IN_PERSON else None, commune=commune,
            doctor_rpps=rng.choice(["", "D1", "D2", "D3", "D4", "D5"]),
            doctor_practice=rng.choice(list(DoctorPractice)), patient_pseudonym=rng.randrange(-40, 40) * 2**40,
            patient_commune=rng.choice([meuse, marne, None]), has_medecin_traitant=rng.choice([None, True, False]),
            is_ald=rng.random() < 0.3, report_sent_to_medecin_traitant=rng.random() < 0.5,
            booking_delay_days=rng.choice([None, 0, 1, 2, 5, 9, 20]), amount=rng.choice([0, 25, "33.50"]),
        ))  # fmt: skip
    acts = Act.objects.bulk_create(acts)
    BillingLine.objects.bulk_create(
        BillingLine(
            act=act, code_id=rng.choice(["TCG", "TLL", "TLM", "G"]), amount=rng.choice([None, 12, "25.5"])
        )
        for act in acts
        for _line in range(rng.randrange(0, 3))
    )
    return {"sites": sites, "meuse": meuse, "marne": marne}


def _comparable(report):
    figures = [(f.code, f.value, f.numerator, f.denominator, f.note) for f in report.figures]
    return figures, report.months, report.per_site


PERIODS = [
    (dt.date(2026, 9, 1), dt.date(2026, 11, 30)),  # whole past months
    (dt.date(2026, 2, 14), dt.date(2026, 10, 3)),  # cuts a month at each end
    (dt.date(2026, 6, 1), dt.date(2026, 12, 10)),  # reaches the current month
    (dt.date(2026, 3, 5), dt.date(2026, 3, 20)),  # inside one month
]


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_stored_cells_give_the_figures_computed_from_the_acts(world, start, end):
    site_ids = [site.pk for site in world["sites"]]
    computed = compute_indicators(Act.objects.all(), site_ids, start, end, today=TODAY)
    stored = compute_indicators(Act.objects.all(), site_ids, start, end, cells=IndicatorCell.objects.all(),
                                today=TODAY)  # fmt: skip
    assert _comparable(stored) == _comparable(computed)
    assert computed.figure("teleconsultations").value > 0  # the comparison is not between two empty reports
    assert IndicatorCell.objects.exists()
    assert not IndicatorMonth.objects.filter(
        month__gte=dt.date(2026, 12, 1)
    ).exists()  # never the current month


def test_a_zone_and_a_site_read_their_own_cells(world):
    start, end = dt.date(2026, 4, 1), dt.date(2026, 9, 30)
    codes = [world["meuse"].pk]
    acts = Act.objects.filter(commune_id__in=codes)
    cells = IndicatorCell.objects.filter(commune_id__in=codes)
    meuse_sites = [site.pk for site in world["sites"][:2]]
    computed = compute_indicators(acts, meuse_sites, start, end, today=TODAY)
    stored = compute_indicators(acts, meuse_sites, start, end, cells=cells, today=TODAY)
    assert _comparable(stored) == _comparable(computed)
    everywhere = compute_indicators(Act.objects.all(), [], start, end, today=TODAY)
    assert computed.figure("patients").value < everywhere.figure("patients").value
    site = world["sites"][0]
    one = compute_indicators(acts.filter(site=site), [site.pk], start, end, cells=cells.filter(site=site),
                             today=TODAY)  # fmt: skip
    assert _comparable(one) == _comparable(compute_indicators(acts.filter(site=site), [site.pk], start, end,
                                                              today=TODAY))  # fmt: skip
    assert [row["site_id"] for row in one.per_site] == [site.pk]


def test_a_new_act_in_a_stored_month_is_counted_at_once(world):
    start, end = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
    before = compute_indicators(
        Act.objects.all(), [], start, end, cells=IndicatorCell.objects.all(), today=TODAY
    )
    mark = IndicatorMonth.objects.get(month=start)
    assert stale_months([start]) == []
    site = world["sites"][0]
    Act.objects.create(source=ActSource.IMPORT, batch=ActImport.objects.first(), external_id="late",
                       performed_on=dt.date(2026, 10, 12), category=ActCategory.TELECONSULTATION, site=site,
                       commune=site.commune, patient_pseudonym=123456789)  # fmt: skip
    assert stale_months([start, dt.date(2026, 9, 1)]) == [start]  # September, stored too, did not change
    after = compute_indicators(
        Act.objects.all(), [], start, end, cells=IndicatorCell.objects.all(), today=TODAY
    )
    assert after.figure("teleconsultations").value == before.figure("teleconsultations").value + 1
    assert after.figure("patients").value == before.figure("patients").value + 1
    # the page computed October from the acts; the housekeeping stores it again
    assert IndicatorMonth.objects.get(month=start).acts_up_to == mark.acts_up_to
    refresh_indicator_cells(TODAY)
    assert IndicatorMonth.objects.get(month=start).acts_up_to > mark.acts_up_to
    again = compute_indicators(
        Act.objects.all(), [], start, end, cells=IndicatorCell.objects.all(), today=TODAY
    )
    assert _comparable(again) == _comparable(after)


def test_the_housekeeping_job_builds_again_only_the_months_that_changed(world):
    assert store_month(dt.date(2023, 7, 1))  # an old month a page once read: kept up to date too
    assert refresh_indicator_cells(TODAY) == 3  # three months a pass, the most recent first
    assert list(IndicatorMonth.objects.filter(month__gte=dt.date(2026, 1, 1)).order_by("month").values_list("month", flat=True)) == [
        dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)]  # fmt: skip
    # the other months of 2026 with acts (the world's acts run from January)
    assert refresh_indicator_cells(TODAY, limit=100) == 8
    assert not IndicatorMonth.objects.filter(month__lt=dt.date(2026, 1, 1)).exclude(month=dt.date(2023, 7, 1))
    assert refresh_indicator_cells(TODAY) == 0
    site = world["sites"][2]
    Act.objects.create(source=ActSource.IMPORT, batch=ActImport.objects.first(), external_id="august",
                       performed_on=dt.date(2026, 8, 30), category=ActCategory.TELEEXPERTISE, site=site,
                       commune=site.commune, patient_pseudonym=42)  # fmt: skip
    built = dict(IndicatorMonth.objects.values_list("month", "built_at"))
    Act.objects.create(source=ActSource.IMPORT, batch=ActImport.objects.first(), external_id="old",
                       performed_on=dt.date(2023, 7, 3), category=ActCategory.TELEEXPERTISE, site=site,
                       commune=site.commune, patient_pseudonym=43)  # fmt: skip
    assert refresh_indicator_cells(TODAY) == 2
    rebuilt = dict(IndicatorMonth.objects.values_list("month", "built_at"))
    assert rebuilt[dt.date(2026, 7, 1)] == built[dt.date(2026, 7, 1)]
    assert rebuilt[dt.date(2023, 7, 1)] > built[dt.date(2023, 7, 1)]
    assert rebuilt[dt.date(2026, 8, 1)] > built[dt.date(2026, 8, 1)]
    forget_indicator_cells()
    assert not IndicatorMonth.objects.exists()
    assert not IndicatorCell.objects.exists()


def test_outcomes_of_a_stored_month_follow_a_late_no_show_and_cancellation():
    net = make_network()
    completed(net, at=paris(2026, 3, 2, 9))
    absent = appointment_book(actor=None, channel=Channel.PHONE, patient=PatientFactory(), use=net.use,
                              site=net.site, starts_at=paris(2026, 3, 2, 10), now=paris(2026, 2, 25, 9))  # fmt: skip
    march = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))

    def rates():
        report = compute_indicators(Act.objects.all(), [net.site.pk], *march, cells=IndicatorCell.objects.all(),
                                    today=TODAY)  # fmt: skip
        no_show = report.figure("no_show_rate")
        return no_show.numerator, no_show.denominator, report.figure("occupancy").numerator

    assert rates() == (0, 1, 40)  # two appointments of 20 minutes hold the room; one is due and done
    assert OutcomeCell.objects.filter(month=march[0], site=net.site).exists()
    appointment_no_show(actor=None, channel=Channel.SITE, appointment=absent, now=paris(2026, 3, 2, 10, 30))
    assert rates() == (1, 2, 40)
    other = appointment_book(actor=None, channel=Channel.PHONE, patient=PatientFactory(), use=net.use,
                             site=net.site, starts_at=paris(2026, 3, 3, 9), now=paris(2026, 2, 25, 9))  # fmt: skip
    appointment_cancel(actor=None, channel=Channel.PHONE, appointment=other, reason="test")
    assert rates() == (1, 3, 40)


def _ledger_figures(response):
    assert response.status_code == 200
    page = response.context
    codes = [(row["code_id"], row["lines"], Decimal(row["amount"] or 0)) for row in page["per_code"]]
    totals = page["totals"]
    return totals["acts"], totals["patients"], Decimal(totals["amount"] or 0), page["per_category"], codes


@pytest.mark.parametrize(
    ("query", "role"),
    [("du=2026-02-01&au=2026-11-30", Role.PLATFORM_ADMIN),
     ("du=2026-02-10&au=2026-12-04", Role.PLATFORM_ADMIN),
     ("du=2026-03-01&au=2026-08-31&departement=55", Role.PLATFORM_ADMIN),
     ("du=2026-01-01&au=2026-11-30&zone=departement:52", Role.PLATFORM_ADMIN),
     ("du=2026-01-01&au=2026-11-30", Role.COORDINATOR)],
)  # fmt: skip
def test_the_ledger_totals_read_from_cells_equal_those_counted_on_the_acts(
    world, client, monkeypatch, query, role
):
    scope = {"departement_id": "55"} if role == Role.COORDINATOR else {}
    client.force_login(user_with_role(role, **scope))
    stored = client.get(f"/evaluation/activite/?{query}")
    assert IndicatorMonth.objects.exists()  # whole past months were read from stored cells
    acts, _patients, _amount, _per_category, codes = _ledger_figures(stored)
    # a filter cells do not keep: counted on the acts, and the two halves make the whole
    halves = [
        _ledger_figures(client.get(f"/evaluation/activite/?{query}&ald={value}"))[0]
        for value in ("oui", "non")
    ]
    assert acts == sum(halves)
    monkeypatch.setattr(views, "ledger_totals", lambda *args: None)  # the page's own aggregate over the acts
    assert _ledger_figures(stored) == _ledger_figures(client.get(f"/evaluation/activite/?{query}"))
    assert acts > 0
    assert codes


def test_a_month_s_appointments_are_counted_again_once_after_its_build():
    net = make_network()
    completed(net, at=paris(2026, 3, 2, 9))
    march = dt.date(2026, 3, 1)
    assert store_month(march)
    mark = IndicatorMonth.objects.get(month=march)
    assert not mark.outcomes_settled
    assert OutcomeCell.objects.get(month=march, site=net.site).completed == 1
    # a completion that was in flight during the build and committed below the marks: invisible to them
    OutcomeCell.objects.filter(month=march).update(completed=0)
    refresh_indicator_cells(TODAY)
    assert not IndicatorMonth.objects.get(
        month=march
    ).outcomes_settled  # too early: settled ten minutes later
    IndicatorMonth.objects.filter(month=march).update(built_at=mark.built_at - dt.timedelta(minutes=11))
    refresh_indicator_cells(TODAY)
    assert IndicatorMonth.objects.get(month=march).outcomes_settled
    assert OutcomeCell.objects.get(month=march, site=net.site).completed == 1


def test_marks_of_unchanged_months_follow_a_settled_watermark_so_checks_read_only_recent_rows(world):
    from maille.evaluation.models import IndicatorWatermark

    assert refresh_indicator_cells(TODAY, limit=100) == 11  # January to November
    first = IndicatorMonth.objects.get(month=dt.date(2026, 3, 1))
    site = world["sites"][0]
    Act.objects.create(source=ActSource.IMPORT, batch=ActImport.objects.first(), external_id="june",
                       performed_on=dt.date(2026, 6, 2), category=ActCategory.TELECONSULTATION, site=site,
                       commune=site.commune, patient_pseudonym=77)  # fmt: skip
    assert refresh_indicator_cells(TODAY) == 1  # June, built again
    watermark = IndicatorWatermark.objects.latest("taken_at")
    assert watermark.acts_up_to == Act.objects.latest("pk").pk
    assert (
        IndicatorMonth.objects.get(month=dt.date(2026, 3, 1)).acts_up_to == first.acts_up_to
    )  # too recent yet
    IndicatorWatermark.objects.update(taken_at=watermark.taken_at - dt.timedelta(minutes=61))
    refresh_indicator_cells(TODAY)
    march = IndicatorMonth.objects.get(month=dt.date(2026, 3, 1))
    assert march.acts_up_to == watermark.acts_up_to > first.acts_up_to
    # a late act of March is still seen above the raised mark
    Act.objects.create(source=ActSource.IMPORT, batch=ActImport.objects.first(), external_id="march",
                       performed_on=dt.date(2026, 3, 9), category=ActCategory.TELECONSULTATION, site=site,
                       commune=site.commune, patient_pseudonym=78)  # fmt: skip
    assert dt.date(2026, 3, 1) in stale_months([dt.date(2026, 3, 1), dt.date(2026, 4, 1)])
