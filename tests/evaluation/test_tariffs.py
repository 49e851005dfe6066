"""Tariffs over time: the amount in force on a day, a new period that never rewrites history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from maille.core.errors import DomainError
from maille.core.models import AuditEvent
from maille.evaluation.models import BillingCode, Tariff
from maille.evaluation.tariffs import TariffBook, parse_amount, tariff_add, tariff_in_force
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("code", "day", "amount"),
    [
        ("TCG", dt.date(2018, 9, 15), Decimal("25.00")),
        ("TCG", dt.date(2018, 9, 14), None),  # before teleconsultation was billable
        ("TE2", dt.date(2025, 12, 31), Decimal("20.00")),
        ("TE2", dt.date(2026, 1, 1), Decimal("23.00")),
        ("RQD", dt.date(2022, 3, 31), None),
        ("RQD", dt.date(2022, 4, 1), Decimal("10.00")),
        ("TLL", dt.date(2019, 12, 31), None),
        ("TLL", dt.date(2020, 1, 1), Decimal("12.00")),
        ("TLS", dt.date(2026, 6, 1), Decimal("10.00")),
        ("TLD", dt.date(2026, 6, 1), Decimal("15.00")),
        ("TLM", dt.date(2026, 6, 1), Decimal("1.00")),
        ("G", dt.date(2023, 10, 31), Decimal("25.00")),
        ("G", dt.date(2024, 12, 21), Decimal("26.50")),
        ("G", dt.date(2024, 12, 22), Decimal("30.00")),
    ],
)
def test_shipped_tariffs_in_force_on_each_side_of_a_change(code, day, amount):
    book = TariffBook()
    in_force = book.in_force(code, day)
    assert (in_force.amount if in_force else None) == amount
    # the query the pages use agrees with the in-memory book
    single = tariff_in_force(code, day)
    assert (single.amount if single else None) == amount


def test_shipped_periods_of_a_code_neither_overlap_nor_leave_a_gap():
    for code in BillingCode.objects.all():
        periods = list(code.tariffs.order_by("valid_from"))
        assert periods, code
        for before, after in zip(periods, periods[1:], strict=False):
            assert before.valid_until == after.valid_from - dt.timedelta(days=1), code
        assert periods[-1].valid_until is None


def test_a_new_tariff_closes_the_one_in_force_the_day_before_and_is_audited():
    admin = UserFactory()
    admin.save()
    today = dt.date(2026, 12, 5)
    tariff = tariff_add(admin, code="TLL", amount=Decimal("13.50"), valid_from=dt.date(2027, 1, 1),
                        source="Avenant fictif", today=today)  # fmt: skip
    previous = Tariff.objects.get(code_id="TLL", valid_from=dt.date(2020, 1, 1))
    assert previous.valid_until == dt.date(2026, 12, 31)
    book = TariffBook()
    assert book.in_force("TLL", dt.date(2026, 12, 31)).amount == Decimal("12.00")
    assert book.in_force("TLL", dt.date(2027, 1, 1)) == tariff
    event = AuditEvent.objects.get(action="tariff.add")
    assert (event.actor, event.details["code"], event.details["amount"]) == (admin, "TLL", "13.50")


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"valid_from": dt.date(2026, 12, 4)}, "valid_from", "aujourd'hui ou plus tard"),
        ({"code": "XYZ"}, "code", "inconnu"),
        ({"source": "  "}, "source", "source"),
    ],
)
def test_a_tariff_in_the_past_an_unknown_code_or_no_source_is_refused(kwargs, field, words):
    arguments = {"code": "TCG", "amount": Decimal("26"), "valid_from": dt.date(2027, 1, 1), "source": "x"}
    arguments.update(kwargs)
    before = list(Tariff.objects.values_list("pk", "valid_until"))
    with pytest.raises(DomainError) as refused:
        tariff_add(None, today=dt.date(2026, 12, 5), **arguments)
    assert refused.value.code == field
    assert words in refused.value.message
    assert list(Tariff.objects.values_list("pk", "valid_until")) == before


def test_a_second_new_period_must_start_after_the_last_one():
    tariff_add(None, code="TCG", amount=Decimal("26"), valid_from=dt.date(2027, 3, 1), source="a",
               today=dt.date(2026, 12, 5))  # fmt: skip
    with pytest.raises(DomainError, match="commence déjà le 01/03/2027"):
        tariff_add(None, code="TCG", amount=Decimal("27"), valid_from=dt.date(2027, 2, 1), source="b",
                   today=dt.date(2026, 12, 5))  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12,50", Decimal("12.50")),
        ("1 225", Decimal("1225.00")),
        ("23 €", Decimal("23.00")),
        ("0", Decimal("0")),
    ],
)
def test_amounts_are_read_the_french_way(raw, expected):
    assert parse_amount(raw) == expected


@pytest.mark.parametrize(
    ("raw", "words"),
    [("-3", "négatif"), ("douze", "illisible"), ("12,345", "décimales"), ("20000", "invraisemblable"),
     ("NaN", "illisible"), ("Infinity", "illisible")],
)  # fmt: skip
def test_impossible_amounts_are_named(raw, words):
    with pytest.raises(DomainError, match=words):
        parse_amount(raw)


def test_the_pharmacists_forfaits_are_tariffs_with_their_tranche_and_cap_not_act_codes():
    activity = BillingCode.objects.get(code="FTA")
    assert (activity.is_forfait, activity.forfait_acts_per_tranche, activity.forfait_yearly_cap) == (
        True, 5, Decimal("750.00"))  # fmt: skip
    book = TariffBook()
    assert book.in_force("FTA", dt.date(2026, 6, 1)).amount == Decimal("25.00")
    assert book.in_force("FTE", dt.date(2026, 6, 1)).amount == Decimal("1225.00")
    assert not BillingCode.objects.filter(is_forfait=False, code__in=["FTA", "FTE"]).exists()
