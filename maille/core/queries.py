"""Small query helpers for paths that run on every request."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model, QuerySet
from django.db.models.fields import AutoFieldMixin
from django.db.models.query import RelatedPopulator, get_related_populators

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
    # The connection itself, not the ``django.db.connection`` proxy: each attribute read through the proxy
    # looks the connection up again (a thread-local read), and the fields' preparation reads it per value.
    database = connections[DEFAULT_DB_ALIAS]
    params = [field.get_db_prep_save(field.pre_save(obj, True), database) for obj in objs for field in fields]
    with database.cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall()
    for obj, (key,) in zip(objs, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS
    return objs


# A key no row has: it marks the place of the looked-up key among the compiled statement's parameters.
_KEY_MARK = -4_611_686_018_427_387_903
_LOOKUPS_KEPT = 512


@dataclass(frozen=True)
class _CompiledLookup:
    """What reading one row of a queryset needs once its SQL is compiled: the statement and its parameters,
    where the key goes, and how Django's iterator turns a row into the instance and its ``select_related``
    relations (immutable, shared by the threads of a process)."""

    sql: str
    params: tuple[Any, ...]
    key_index: int
    model: type[Model]
    init_list: tuple[str, ...]
    model_columns: slice
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]
    related_populators: tuple[RelatedPopulator, ...]
    # What the key's column can hold: beyond it no row, as in the ORM (and no error from the database).
    key_range: tuple[int | None, int | None]


# A shape whose queryset matches no row whatever the key (``none()``, an empty scope): no statement at all.
_MATCHES_NOTHING = "matches nothing"

_compiled_lookups: dict[Hashable, _CompiledLookup | str | None] = {}
_compiled_lookups_lock = threading.Lock()


def _compile_lookup(queryset: QuerySet[M]) -> _CompiledLookup | str | None:
    """The statement of ``queryset.filter(pk=…)[:1]``; ``_MATCHES_NOTHING``; or None when its shape does not allow
    a reuse (the key mark not found exactly once among the parameters)."""
    compiler = queryset.filter(pk=_KEY_MARK).order_by()[:1].query.get_compiler(using=DEFAULT_DB_ALIAS)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return _MATCHES_NOTHING
    marks = [index for index, value in enumerate(params) if value == _KEY_MARK and type(value) is int]
    if len(marks) != 1:
        return None
    select, klass_info = compiler.select, compiler.klass_info
    fields = klass_info["select_fields"]
    columns = slice(fields[0], fields[-1] + 1)
    converters = compiler.get_converters([column[0] for column in select[0 : compiler.col_count]])
    return _CompiledLookup(
        sql=sql,
        params=tuple(params),
        key_index=marks[0],
        model=klass_info["model"],
        init_list=tuple(column[0].target.attname for column in select[columns]),
        model_columns=columns,
        converters=tuple(
            (position, tuple(convs), expression) for position, (convs, expression) in converters.items()
        ),
        # Django 5.2's signature (the type stubs already follow 6.0's, which adds ``fetch_mode``).
        related_populators=tuple(get_related_populators(klass_info, select, DEFAULT_DB_ALIAS)),  # type: ignore[call-arg]
        key_range=connection.ops.integer_field_range(queryset.model._meta.pk.get_internal_type()),
    )


def row_by_key(shape: Hashable, queryset: Callable[[], QuerySet[M]], key: int) -> M | None:
    """The row of ``queryset()`` whose primary key is ``key`` (its ``select_related`` relations loaded), or None:
    ``unique_row(queryset().filter(pk=key))``, with the SQL compiled once per ``shape`` and process.

    For scoped lookups on every booking (the site in the caller's scope, the patient booked for): the ORM's
    compilation of such a read cost several times the database's answer. ``shape`` must determine the statement
    entirely but for the key, e.g. the caller's scope (a frozen value) and the lookup's name; ``queryset`` builds
    the queryset only when that shape is met for the first time.
    """
    compiled = _compiled_lookups.get(shape, False)
    if compiled is False:
        compiled = _compile_lookup(queryset())
        with _compiled_lookups_lock:
            if len(_compiled_lookups) >= _LOOKUPS_KEPT:
                _compiled_lookups.clear()  # scopes seen once long ago: compiled again when met
            _compiled_lookups[shape] = compiled
    if compiled is _MATCHES_NOTHING:
        return None
    if not isinstance(compiled, _CompiledLookup):
        return unique_row(queryset().filter(pk=key))
    lowest, highest = compiled.key_range
    if (lowest is not None and key < lowest) or (highest is not None and key > highest):
        return None
    params = list(compiled.params)
    params[compiled.key_index] = key
    database = connections[DEFAULT_DB_ALIAS]  # not the proxy: converters read it once per value
    with database.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    row = list(rows[0])
    for position, converters, expression in compiled.converters:
        value = row[position]
        for converter in converters:
            value = converter(value, expression, database)
        row[position] = value
    obj = cast(
        M, compiled.model.from_db(DEFAULT_DB_ALIAS, list(compiled.init_list), row[compiled.model_columns])
    )
    for populator in compiled.related_populators:
        populator.populate(row, obj)
    return obj
