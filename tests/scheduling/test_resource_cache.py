"""The engine's per-process cache follows every change to the tables it holds (PostgreSQL triggers)."""

from __future__ import annotations

import importlib
from unittest import mock

import pytest
from django.db import connection, transaction

from maille.scheduling.engine import SlotQuery, find_slots
from maille.scheduling.engine.resource_cache import cached_tables, change_token, use_resources
from maille.scheduling.engine.search import _Problem, candidates_at
from maille.scheduling.models import Absence, SiteClosure

from .factories import add_doctor, make_network, paris

NOW = paris(2026, 3, 2, 8)


def _starts(net) -> list:
    return [slot.starts_at for slot in find_slots(SlotQuery(use=net.use, site_ids=[net.site.pk]), now=NOW)]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_migration_triggers_every_cached_table():
    frozen = importlib.import_module("maille.scheduling.migrations.0005_engine_data_version").TABLES
    assert sorted(frozen) == sorted(cached_tables())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'maille_engine_data_changed'"
        )
        triggered = sorted(row[0] for row in cursor.fetchall())
    assert triggered == sorted(cached_tables())


@pytest.mark.postgres
@pytest.mark.django_db
def test_each_write_to_a_cached_table_changes_the_token():
    net = make_network()
    before = change_token()
    net.room.equipment.clear()  # a many-to-many table
    after_m2m = change_token()
    net.nurse.save()  # an update that changes nothing still counts: no stale cache is cheaper than a reload
    after_update = change_token()
    assert len({before, after_m2m, after_update}) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_never_validates_a_cache_built_from_it():
    net = make_network()
    first = _starts(net)
    assert first
    try:
        with transaction.atomic():
            SiteClosure.objects.create(
                site=net.site, starts_at=paris(2026, 3, 2, 0), ends_at=paris(2026, 3, 9, 0), reason="travaux"
            )
            assert _starts(net)[0] >= paris(2026, 3, 9, 0)  # seen inside the transaction
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    assert _starts(net) == first
    # A later committed change gets a fresh stamp, never the rolled-back one: the cache follows it.
    Absence.objects.create(room=net.room, starts_at=paris(2026, 3, 2, 0), ends_at=paris(2026, 3, 3, 0))
    assert _starts(net)[0] >= paris(2026, 3, 3, 0)


@pytest.mark.django_db
def test_a_token_exists_only_where_triggers_stamp_it():
    if connection.vendor == "postgresql":
        assert change_token() is not None
    else:
        assert change_token() is None


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_units_of_a_site_are_derived_once_while_the_data_stays_and_again_after_a_change():
    """A booking validates its start with the units derived for its site: kept with the cached resources, read-only,
    and dropped with them when a cached table changes."""
    net = make_network()
    starts_at = paris(2026, 3, 3, 9)
    derive = mock.patch.object(_Problem, "_derive_units", autospec=True, side_effect=_Problem._derive_units)
    with derive as derived:
        first = candidates_at(use=net.use, site_id=net.site.pk, starts_at=starts_at, now=NOW)
        again = candidates_at(use=net.use, site_id=net.site.pk, starts_at=starts_at, now=NOW)
        assert derived.call_count == 1
        assert again == first
        assert first.doctor_ids == [net.doctor.pk]
        add_doctor(net.site)  # a write to a cached table: new resources, units derived again
        candidates_at(use=net.use, site_id=net.site.pk, starts_at=starts_at, now=NOW)
        assert derived.call_count == 2
    kept = use_resources(net.use, NOW.date(), None, token=change_token()).derived
    [(units, candidates)] = [value for key, value in kept.items() if key[0] == "units"]
    [(rule_rows, owners)] = [value for key, value in kept.items() if key[0] == "rules"]
    assert units.resource_id.size == 4  # room, nurse, two doctors
    assert sorted(set(owners.tolist())) == [0, 1, 2]  # the new doctor has no weekly rule yet
    for array in (candidates, rule_rows):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 99
