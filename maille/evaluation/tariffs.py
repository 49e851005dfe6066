"""Tariffs over time: the amount of a code on a given day, and the next period of a code.

A new amount is a new period that starts on a future day (or today) and closes the period in force the day
before; a period never changes once an act may have been priced by it, so history is never rewritten.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.core.audit import audit_record
from maille.core.errors import DomainError
from maille.core.input_guards import french_decimal

from .models import BillingCode, Tariff

MAX_AMOUNT = Decimal("10000")


@dataclass(frozen=True)
class PricedCode:
    code: str
    tariff_id: int | None
    amount: Decimal | None


class TariffBook:
    """Every tariff in memory (a few dozen rows), for pricing many acts without a query each."""

    def __init__(self) -> None:
        self.codes: dict[str, BillingCode] = {c.code: c for c in BillingCode.objects.all()}
        self._periods: dict[str, list[Tariff]] = defaultdict(list)
        for tariff in Tariff.objects.order_by("code_id", "valid_from"):
            self._periods[tariff.code_id].append(tariff)
        self._starts = {code: [t.valid_from for t in periods] for code, periods in self._periods.items()}

    def in_force(self, code: str, day: dt.date) -> Tariff | None:
        periods = self._periods.get(code, [])
        index = bisect.bisect_right(self._starts.get(code, []), day) - 1
        if index < 0:
            return None
        tariff = periods[index]
        return tariff if tariff.valid_until is None or day <= tariff.valid_until else None

    def first_day(self, code: str) -> dt.date | None:
        starts = self._starts.get(code)
        return starts[0] if starts else None

    def price(self, code: str, day: dt.date) -> PricedCode:
        tariff = self.in_force(code, day)
        return PricedCode(code, tariff.pk if tariff else None, tariff.amount if tariff else None)


def tariff_in_force(code: str, day: dt.date) -> Tariff | None:
    return (
        Tariff.objects.filter(code_id=code, valid_from__lte=day)
        .exclude(valid_until__lt=day)
        .order_by("-valid_from")
        .first()
    )


def parse_amount(raw: str) -> Decimal:
    """An amount in euros typed the French way ("12,50", "1 225") or the English way."""
    amount = french_decimal(raw)
    if amount is None:
        raise DomainError(_("Montant illisible : un nombre d'euros, par exemple 23,00."), code="amount")
    if amount < 0:
        raise DomainError(_("Un tarif ne peut pas être négatif."), code="amount")
    if amount > MAX_AMOUNT:
        raise DomainError(_("Montant invraisemblable pour un acte (10 000 € au plus)."), code="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("Deux décimales au plus (des centimes)."), code="amount")
    return amount.quantize(Decimal("0.01"))


@transaction.atomic(durable=True)
def tariff_add(
    actor: Any, *, code: str, amount: Decimal, valid_from: dt.date, source: str, today: dt.date | None = None
) -> Tariff:
    """Open a new period for ``code`` from ``valid_from`` (today or later), closing the one in force."""
    today = today or timezone.localdate()
    billing_code = BillingCode.objects.select_for_update().filter(code=code).first()
    if billing_code is None:
        raise DomainError(_("Code de facturation inconnu : %(code)s.") % {"code": code}, code="code")
    if valid_from < today:
        raise DomainError(
            _("Un nouveau tarif prend effet aujourd'hui ou plus tard : les actes déjà valorisés gardent le tarif "
              "de leur date."),
            code="valid_from",
        )  # fmt: skip
    source = source.strip()
    if not source:
        raise DomainError(
            _("Indiquez la source du tarif (texte, décision, date de publication)."), code="source"
        )
    periods = list(Tariff.objects.filter(code=billing_code).order_by("valid_from"))
    if periods and valid_from <= periods[-1].valid_from:
        raise DomainError(
            _("Un tarif de %(code)s commence déjà le %(day)s : le nouveau doit commencer après.")
            % {"code": code, "day": periods[-1].valid_from.strftime("%d/%m/%Y")},
            code="valid_from",
        )
    previous = periods[-1] if periods else None
    if previous is not None and (previous.valid_until is None or previous.valid_until >= valid_from):
        previous.valid_until = valid_from - dt.timedelta(days=1)
        previous.save(update_fields=["valid_until"])
    tariff = Tariff.objects.create(
        code=billing_code, amount=amount, valid_from=valid_from, source=source[:300], created_by=actor
    )
    audit_record(
        actor=actor,
        action="tariff.add",
        target=tariff,
        details={"code": code, "amount": str(amount), "valid_from": valid_from.isoformat()},
    )
    return tariff
