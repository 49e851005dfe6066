"""Each indicator against values computed by hand on a small ledger, the regional indicators against their
definitions (seed 004, footnotes 7 and 8), and the appointments' outcomes and occupancy."""

from __future__ import annotations

import datetime as dt

import pytest

from maille.core.models import Channel
from maille.evaluation.indicators import compute_indicators
from maille.evaluation.models import Act, ActCategory, ActImport, ActSource, DoctorPractice
from maille.scheduling.models import AppointmentTransition
from maille.scheduling.services import appointment_book, appointment_cancel, appointment_no_show
from tests.directory.factories import SiteFactory
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import make_network, paris
from tests.territory.factories import CommuneFactory, DepartementFactory

from .helpers import completed

pytestmark = pytest.mark.django_db

NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


@pytest.fixture
def ledger():
    """Five teleconsultations in November at one site, two in-person consultations, three earlier acts."""
    commune = CommuneFactory(code="55500", departement=DepartementFactory(code="55"))
    site = SiteFactory(commune=commune, host_organisation__commune=commune)
    batch = ActImport.objects.create(sha256="x")

    def act(day, patient, *, category=ActCategory.TELECONSULTATION, doctor="D1", practice=DoctorPractice.LIBERAL,
            mt=None, ald=False, report=False, delay=None, at_site=True):  # fmt: skip
        return Act.objects.create(
            source=ActSource.IMPORT, batch=batch, external_id=f"{patient}-{day}-{doctor}", performed_on=day,
            category=category, site=site if at_site else None, commune=commune, doctor_rpps=doctor,
            doctor_practice=practice, patient_pseudonym=int(patient[1:]), has_medecin_traitant=mt, is_ald=ald,
            report_sent_to_medecin_traitant=report, booking_delay_days=delay,
        )  # fmt: skip

    nov = dt.date(2026, 11, 10)
    act(nov, "p1", mt=False, ald=True, delay=1)
    act(nov + dt.timedelta(days=1), "p1", mt=False, ald=True, delay=3)
    act(nov, "p2", doctor="D2", practice=DoctorPractice.HEALTH_CENTRE, mt=True, report=True, delay=5)
    act(nov, "p3", doctor="D2", practice=DoctorPractice.HEALTH_CENTRE, mt=True, delay=10)
    act(nov, "p4", doctor="D3", practice=DoctorPractice.SALARIED)
    act(nov, "p7", category=ActCategory.IN_PERSON, doctor="D5", at_site=False)
    # before the period: they count for footnote 8 only
    act(dt.date(2026, 9, 15), "p1", ald=True)
    act(dt.date(2026, 2, 10), "p6", ald=True)
    act(dt.date(2026, 10, 20), "p5", category=ActCategory.IN_PERSON, doctor="D4", ald=True, at_site=False)
    return {"site": site}


def figures(acts, start, end, site_ids=()):
    report = compute_indicators(acts, list(site_ids), start, end)
    return report, {f.code: f for f in report.figures}


def test_activity_shares_and_delays_match_the_hand_computed_values(ledger):
    report, f = figures(Act.objects.all(), *NOVEMBER)
    assert f["teleconsultations"].value == 5
    assert f["teleconsultations_per_month"].value == 5.1  # 5 over 30 days / 30.44
    assert f["patients"].value == 4  # p1 twice, p2, p3, p4
    assert (f["without_gp_share"].value, f["without_gp_share"].numerator, f["without_gp_share"].denominator) == (
        50.0, 2, 4)  # fmt: skip
    assert (f["ald_share"].value, f["ald_share"].numerator, f["ald_share"].denominator) == (40.0, 2, 5)
    assert (f["report_sent_share"].value, f["report_sent_share"].numerator, f["report_sent_share"].denominator) == (
        50.0, 1, 2)  # fmt: skip
    # delays 1, 3, 5, 10 (one unknown): nearest-rank median the 2nd, 90th percentile the 4th
    assert (f["delay_median"].value, f["delay_median"].denominator) == (3.0, 4)
    assert f["delay_p90"].value == 10.0
    assert report.months == [(dt.date(2026, 11, 1), 5)]
    assert [(row["site_id"], row["acts"], row["patients"]) for row in report.per_site] == [
        (ledger["site"].pk, 5, 4)
    ]


def test_the_appropriation_rate_follows_footnote_7(ledger):
    _report, f = figures(Act.objects.all(), *NOVEMBER)
    # liberal or health-centre doctors with a consultation in November: D1, D2 (teleconsultations), D5 (in
    # person); D3 is salaried, D4's consultation was in October. With a teleconsultation: D1, D2.
    rate = f["appropriation_rate"]
    assert (rate.value, rate.numerator, rate.denominator) == (66.7, 2, 3)
    assert rate.note == ""


def test_the_chronic_disease_indicator_follows_footnote_8(ledger):
    _report, f = figures(Act.objects.all(), *NOVEMBER)
    # end of M-1 = 31 October 2026. ALD patients known from acts of Nov 2025 - Oct 2026: p1 (September), p6
    # (February), p5 (October, in person). A telehealth act from May to October: p1 only.
    share = f["chronic_telehealth_share"]
    assert (share.value, share.numerator, share.denominator) == (33.3, 1, 3)
    assert "10/2026" in share.note


def test_an_empty_scope_gives_no_figure_rather_than_a_zero_division(db):
    _report, f = figures(Act.objects.none(), *NOVEMBER)
    assert f["teleconsultations"].value == 0
    assert f["without_gp_share"].value is None
    assert f["delay_median"].value is None
    assert f["occupancy"].value is None
    assert f["no_show_rate"].value is None


def test_no_shows_late_cancellations_and_occupancy_come_from_the_appointments():
    net = make_network()  # one room open Monday to Friday 9:00-12:00: 900 minutes a week
    done = completed(net, at=paris(2026, 3, 2, 9))  # 20 minutes held
    absent = appointment_book(actor=None, channel=Channel.PHONE, patient=PatientFactory(), use=net.use,
                              site=net.site, starts_at=paris(2026, 3, 2, 10), now=paris(2026, 2, 25, 9))  # fmt: skip
    appointment_no_show(actor=None, channel=Channel.SITE, appointment=absent, now=paris(2026, 3, 2, 10, 30))
    early, late = (
        appointment_book(actor=None, channel=Channel.PHONE, patient=PatientFactory(), use=net.use, site=net.site,
                         starts_at=paris(2026, 3, 3, hour), now=paris(2026, 2, 25, 9))
        for hour in (9, 10)
    )  # fmt: skip
    for appointment, cancelled_at in ((early, paris(2026, 2, 27, 9)), (late, paris(2026, 3, 2, 16))):
        appointment_cancel(actor=None, channel=Channel.PHONE, appointment=appointment, reason="test")
        AppointmentTransition.objects.filter(appointment=appointment, name="cancel").update(
            occurred_at=cancelled_at
        )
    _report, f = figures(Act.objects.all(), dt.date(2026, 3, 1), dt.date(2026, 3, 31), site_ids=[net.site.pk])
    assert (f["no_show_rate"].value, f["no_show_rate"].numerator, f["no_show_rate"].denominator) == (
        25.0,
        1,
        4,
    )
    late_rate = f["late_cancellation_rate"]
    assert (late_rate.value, late_rate.numerator, late_rate.denominator) == (
        25.0,
        1,
        4,
    )  # 18 h before its start
    # held: the completed and the no-show, 20 minutes each; offered: 900 minutes a week × 31/7 weeks
    occupancy = f["occupancy"]
    assert (occupancy.numerator, occupancy.denominator) == (40, round(900 * 31 / 7))
    assert occupancy.value == round(100 * 40 / (900 * 31 / 7), 1)
    assert Act.objects.get().appointment == done
