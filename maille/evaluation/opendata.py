"""The open-data export of the ledger: aggregates anyone may publish, with every count under 11 suppressed.

One row per month × département × type of act: acts, distinct patients and amount billed. A count under
``SMALL_COUNT`` (11, the threshold of the French public statistics' and health data's usual secrecy rule) is
replaced by ``SUPPRESSED``, and so is everything that would let it be recomputed on that row (the patients and
the amount of a row whose acts are suppressed). No total or margin is published, so a suppressed cell cannot be
found again by difference.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from .models import Act, ActCategory

SMALL_COUNT = 11
SUPPRESSED = "<11"


@dataclass(frozen=True)
class OpenDataRow:
    month: str  # YYYY-MM
    departement: str
    category: str
    acts: int | str
    patients: int | str
    amount: Decimal | str


def _cell(value: int) -> int | str:
    return value if value >= SMALL_COUNT else SUPPRESSED


def open_data_rows(acts: QuerySet[Act], start: dt.date, end: dt.date) -> list[OpenDataRow]:
    """The aggregates of ``acts`` between two days, grouped in the database by day, département and type (then
    summed by month here: a few thousand rows at most), small counts suppressed."""
    grouped: dict[tuple[str, str, str], dict[str, object]] = {}
    daily = (
        acts.filter(performed_on__gte=start, performed_on__lte=end)
        .values_list("performed_on", "commune__departement_id", "category")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by()
    )
    for day, departement, category, n, amount in daily:
        key = (day.strftime("%Y-%m"), departement, category)
        row = grouped.setdefault(key, {"acts": 0, "amount": Decimal("0")})
        row["acts"] = int(row["acts"]) + n  # type: ignore[call-overload]
        row["amount"] = row["amount"] + (amount or Decimal("0"))  # type: ignore[operator]
    # Distinct patients per month cannot be summed from days: one grouped query by month bounds.
    patients: dict[tuple[str, str, str], int] = {}
    month = start.replace(day=1)
    while month <= end:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        for departement, category, n in (
            acts.filter(
                performed_on__gte=max(month, start),
                performed_on__lte=min(following - dt.timedelta(days=1), end),
            )
            .values_list("commune__departement_id", "category")
            .annotate(n=Count("patient_pseudonym", distinct=True))
            .order_by()
        ):
            patients[(month.strftime("%Y-%m"), departement, category)] = n
        month = following
    labels = dict(ActCategory.choices)
    rows = []
    for key in sorted(grouped):
        count = int(grouped[key]["acts"])  # type: ignore[call-overload]
        shown = count >= SMALL_COUNT
        rows.append(OpenDataRow(
            month=key[0], departement=key[1], category=str(labels.get(key[2], key[2])),
            acts=_cell(count),
            patients=_cell(patients.get(key, 0)) if shown else SUPPRESSED,
            amount=Decimal(grouped[key]["amount"]).quantize(Decimal("0.01")) if shown else SUPPRESSED,  # type: ignore[arg-type]
        ))  # fmt: skip
    return rows
