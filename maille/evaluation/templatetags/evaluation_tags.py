"""Template filters of the evaluation pages (sums and shares of the cost model's rows)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def sum_list(values: list[Any]) -> Any:
    """The sum of a row's values (None counted as nothing)."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    return sum(present, Decimal("0")) if isinstance(present[0], Decimal) else sum(present)


@register.filter
def funder_share(results: Any, row: Any) -> Any:
    return results.funder_share(row)


@register.filter
def per_inhabitant(results: Any, row: Any) -> Any:
    return results.per_inhabitant(row)


@register.filter
def item(values: Any, key: Any) -> Any:
    """``values[key]``: a position in a list, a key in a dict (None when absent)."""
    if isinstance(values, dict):
        return values.get(key)
    try:
        return values[int(key)]
    except (IndexError, TypeError, ValueError):
        return None
