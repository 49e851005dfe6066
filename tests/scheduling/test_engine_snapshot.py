"""The engine's caches shared between processes through the database (``engine.snapshot``, PostgreSQL)."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from maille.scheduling.engine import SlotQuery, find_slots, resource_cache, rule_table, snapshot
from maille.scheduling.models import AvailabilityException, AvailabilityRule, SiteClosure, UseBookingPolicy

from .factories import make_network, paris

NOW = paris(2026, 3, 2, 8)


def _starts(net) -> list:
    return [slot.starts_at for slot in find_slots(SlotQuery(use=net.use, site_ids=[net.site.pk]), now=NOW)]


def _forget_in_process() -> None:
    """What a newly started server process has: nothing in memory."""
    resource_cache._cache.clear()
    rule_table._cache.clear()


def _stored() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, token FROM {snapshot.TABLE}")
        return dict(cursor.fetchall())


def _a_network_with_everything():
    """Every kind of value the caches hold: a policy, an exception, a closure, a spoken language."""
    net = make_network()
    UseBookingPolicy.objects.update_or_create(
        use=net.use, defaults={"min_notice_minutes": 30, "horizon_days": 20, "buffer_minutes": 5}
    )
    rule = AvailabilityRule.objects.filter(room=net.room).first()
    AvailabilityException.objects.create(rule=rule, date=paris(2026, 3, 3, 0).date(), is_cancelled=True)
    SiteClosure.objects.create(
        site=net.site, starts_at=paris(2026, 3, 4, 0), ends_at=paris(2026, 3, 5, 0), reason="travaux"
    )
    net.doctor.languages = ["fr", "de"]
    net.doctor.save()
    return net


def _assert_same_resources(left: resource_cache.UseResources, right: resource_cache.UseResources) -> None:
    assert left.sites == right.sites
    assert left.doctor_sex == right.doctor_sex
    assert left.doctor_languages == right.doctor_languages
    assert (left.policy is None) == (right.policy is None)
    if left.policy is not None:
        fields = [field.attname for field in UseBookingPolicy._meta.concrete_fields]
        assert [getattr(left.policy, f) for f in fields] == [getattr(right.policy, f) for f in fields]
    for name in ("rooms", "assistants", "doctors", "reserved", "closures", "absences"):
        assert np.array_equal(getattr(left, name), getattr(right, name)), name
        assert getattr(left, name).dtype == getattr(right, name).dtype, name


@pytest.mark.django_db
def test_what_is_stored_decodes_to_what_was_loaded():
    net = _a_network_with_everything()
    today = NOW.date()
    loaded = resource_cache._load(net.use, today)
    assert loaded.policy is not None
    assert len(loaded.closures) == 1
    assert loaded.doctor_languages
    _assert_same_resources(resource_cache._decode(resource_cache._encode(loaded)), loaded)

    table = rule_table._load()
    assert table.exceptions
    decoded = rule_table._decode(rule_table._encode(table))
    assert decoded.exceptions == table.exceptions
    for name in rule_table._COLUMNS:
        assert np.array_equal(getattr(decoded, name), getattr(table, name)), name


def test_a_payload_cannot_carry_code():
    """Read with ``allow_pickle=False``: an object array in a row is refused, not executed."""
    import io

    buffer = io.BytesIO()
    np.savez(buffer, evil=np.array([object()], dtype=object), _meta=np.frombuffer(b"null", dtype=np.uint8))
    with pytest.raises(ValueError, match="allow_pickle"):
        snapshot.decode(buffer.getvalue())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_process_reads_the_shared_copy_instead_of_the_tables():
    net = _a_network_with_everything()
    _forget_in_process()
    first = _starts(net)
    token = resource_cache.change_token()
    assert token is not None
    stored = _stored()
    assert stored["rules"] == token[0]
    assert any(
        key.startswith(f"resources:{net.use.pk}:") and value == token[0] for key, value in stored.items()
    )

    _forget_in_process()
    with CaptureQueriesContext(connection) as queries:
        again = _starts(net)
    assert again == first
    read = " ".join(query["sql"] for query in queries.captured_queries)
    # (the shared copy itself is read through psycopg's binary cursor, which Django does not log)
    assert resource_cache._cache
    assert rule_table._cache
    for table in ("directory_room", "directory_networkrole", "scheduling_availabilityrule"):
        assert f'FROM "{table}"' not in read, f"{table} read although a shared copy exists"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_makes_every_process_load_again_and_share_the_new_state():
    net = make_network()
    _forget_in_process()
    before = _starts(net)
    SiteClosure.objects.create(
        site=net.site, starts_at=paris(2026, 3, 2, 0), ends_at=paris(2026, 3, 9, 0), reason="travaux"
    )
    _forget_in_process()  # another process: its memory is empty, the stored copy has the old token
    after = _starts(net)
    assert before[0] < paris(2026, 3, 9, 0) <= after[0]
    assert _stored()["rules"] == resource_cache.change_token()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_nothing_is_shared_from_inside_a_transaction():
    net = make_network()
    _forget_in_process()
    _starts(net)
    shared = _stored()
    with transaction.atomic():
        SiteClosure.objects.create(
            site=net.site, starts_at=paris(2026, 3, 2, 0), ends_at=paris(2026, 3, 9, 0), reason="travaux"
        )
        _forget_in_process()
        assert _starts(net)[0] >= paris(2026, 3, 9, 0)  # its own uncommitted closure, seen by itself only
        assert _stored() == shared


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_older_load_never_replaces_a_newer_one():
    snapshot.write("rules", (1_000_000_000,), None, b"newer")
    snapshot.write("rules", (999_999_999,), None, b"older")
    assert snapshot.read("rules", (1_000_000_000,)) == b"newer"
    assert snapshot.read("rules", (999_999_999,)) is None


def test_integers_are_stored_narrow_when_they_fit_and_always_come_back_as_int64():
    small = np.array([[1, -2], [3, 2**31 - 1]], dtype=np.int64)
    large = np.array([2**40, -5], dtype=np.int64)
    empty = np.empty((0, 3), dtype=np.int64)
    payload = snapshot.encode({"small": small, "large": large, "empty": empty}, {"k": [1, "a"]})
    arrays, meta = snapshot.decode(payload)
    assert meta == {"k": [1, "a"]}
    for name, original in (("small", small), ("large", large), ("empty", empty)):
        assert arrays[name].dtype == np.int64, name
        assert np.array_equal(arrays[name], original), name
    only_small = len(snapshot.encode({"values": np.arange(10_000, dtype=np.int64)}, None))
    assert only_small < 10_000 * 8 * 0.6  # stored in four bytes a value, not eight
