"""Small query helpers for paths that run on every request."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, Model, QuerySet
from django.db.models.fields import AutoFieldMixin

M = TypeVar("M", bound=Model)


def unique_row(queryset: QuerySet[M]) -> M | None:
    """The one row a filter on a unique key matches, or None.

    Unlike ``first()``, no ORDER BY: sorting a single row costs the ORM its compilation (about 0.1 ms of
    CPU a query, on paths such as a booking that make twenty) and the database a sort, for nothing.
    """
    rows = list(queryset.order_by()[:1])
    return rows[0] if rows else None


@functools.cache
def _insert_plan(model: type[Model], rows: int) -> tuple[tuple[Field[Any, Any], ...], str]:
    """The fields a new row gets, and the INSERT of ``rows`` such rows returning their keys."""
    meta = model._meta
    fields = tuple(field for field in meta.concrete_fields if field is not meta.pk)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    key = quote(str(meta.pk.column if meta.pk is not None else "id"))
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([one_row] * rows)} RETURNING {key}"
    )
    return fields, sql


def insert_rows(objs: Sequence[M]) -> Sequence[M]:
    """Insert new instances of one model in one plain statement and set their keys; what ``bulk_create`` and
    ``create`` do for rows without save hooks, at a fraction of their cost.

    The statement text is built once per model and row count, and each value goes through its field's own
    preparation (``pre_save``, so ``auto_now_add`` and defaults hold, then ``get_db_prep_save``). On the booking
    path the ORM's compiler cost about 0.2 ms a statement, and several rows went through ``UNNEST`` arrays
    formatted in Python. For models whose ``save`` only guards updates (logs, busy rows, messages): no signal is
    sent, as with ``bulk_create``. The keys come back in the order of the rows, as ``bulk_create`` relies on too.
    """
    if not objs:
        return objs
    model = type(objs[0])
    if not isinstance(model._meta.pk, AutoFieldMixin) or any(obj.pk is not None for obj in objs):
        raise ValueError("insert_rows writes new rows of a model with an automatic key.")
    fields, sql = _insert_plan(model, len(objs))
    params = [
        field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in objs for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall()
    for obj, (key,) in zip(objs, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
