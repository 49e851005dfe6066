"""Per-process caches of settings behind change stamps (``maille.core.stamps``): kept while nothing changes,
read again after any change (in this transaction or committed by another process), never after a rollback."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from maille.core.models import Channel
from maille.core.stamps import STAMPED_TABLES, StampedCache, read_stamp, stamps_read_once
from maille.directory.models import Use
from maille.directory.selectors import use_by_code
from maille.notifications.models import NotificationPolicy
from maille.notifications.services import policy_for
from maille.scheduling.models import WebhookDelivery, WebhookSubscription
from maille.scheduling.services import appointment_book
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import make_network, paris

pytestmark = pytest.mark.django_db

NOW = paris(2026, 3, 2, 8)


def _tables_read(queries: CaptureQueriesContext) -> str:
    return " ".join(query["sql"] for query in queries.captured_queries)


def test_the_migration_freezes_every_stamp_the_code_knows():
    migration = importlib.import_module("maille.core.migrations.0012_change_stamps")
    assert set(migration.STAMPS) == set(STAMPED_TABLES)


def test_an_unknown_stamp_is_refused():
    with pytest.raises(KeyError, match="STAMPED_TABLES"):
        StampedCache("nowhere", lambda key: key)


def test_each_caller_gets_its_own_use_instance():
    make_network()
    code = Use.objects.order_by("pk").values_list("code", flat=True).first()
    first = use_by_code(code)
    first.name = "changed by one caller"
    assert use_by_code(code).name != "changed by one caller"
    assert use_by_code("no-such-use") is None


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("stamp", "table"), [(stamp, table) for stamp, tables in STAMPED_TABLES.items() for table in tables]
)
def test_every_stamped_table_moves_its_stamp(stamp, table):
    before = read_stamp(stamp)
    assert before is not None
    with connection.cursor() as cursor:  # a statement trigger fires even when no row is touched
        cursor.execute(f"UPDATE {connection.ops.quote_name(table)} SET id = id WHERE id < 0")
    assert read_stamp(stamp) not in (None, before)


@pytest.mark.postgres
def test_a_real_change_moves_the_stamp_too():
    net = make_network()
    before = read_stamp("uses")
    Use.objects.filter(pk=net.use.pk).update(name="Téléconsultation (renommée)")
    assert read_stamp("uses") not in (None, before)


@pytest.mark.postgres
def test_a_cached_use_is_read_once_then_again_after_a_change_in_the_same_transaction():
    net = make_network()
    use_by_code(net.use.code)
    with CaptureQueriesContext(connection) as queries:
        assert use_by_code(net.use.code).name == net.use.name
    assert 'FROM "directory_use"' not in _tables_read(queries)  # the stamp alone

    Use.objects.filter(pk=net.use.pk).update(name="Téléconsultation du soir")
    with CaptureQueriesContext(connection) as queries:
        assert use_by_code(net.use.code).name == "Téléconsultation du soir"
    assert 'FROM "directory_use"' in _tables_read(queries)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_nothing_cached_inside_a_transaction_rolled_back_is_answered_afterwards():
    make_network()
    try:
        with transaction.atomic():
            NotificationPolicy.objects.create(departement_id="55", first_reminder_hours=48)
            assert policy_for("55").first_reminder_hours == 48  # cached under the uncommitted stamp
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert policy_for("55").first_reminder_hours == 24  # the default again: that stamp never comes back


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_subscription_switched_off_by_another_connection_gets_no_more_deliveries():
    net = make_network()
    subscription = WebhookSubscription.objects.create(
        name="SI", url="https://si.example.fr/hook", event_types=["appointment.booked"]
    )

    def book(hour: int):
        return appointment_book(
            actor=None, channel=Channel.API, patient=PatientFactory(), use=net.use, site=net.site,
            starts_at=paris(2026, 3, 2, hour), now=NOW,
        )  # fmt: skip

    book(9)
    assert WebhookDelivery.objects.count() == 1
    # Another process: its own connection, its own commit.
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "UPDATE scheduling_webhooksubscription SET is_active = false WHERE id = %s", [subscription.pk]
            )
    finally:
        other.close()
    book(10)
    assert WebhookDelivery.objects.count() == 1


def test_the_tables_are_read_every_time_on_sqlite_and_once_per_change_on_postgresql():
    net = make_network()
    use_by_code(net.use.code)
    with CaptureQueriesContext(connection) as queries:
        use_by_code(net.use.code)
    # SQLite has no stamps: there the cache always reads the table
    assert ('FROM "directory_use"' in _tables_read(queries)) == (connection.vendor != "postgresql")


def _stamp_reads(queries: CaptureQueriesContext) -> int:
    return sum("maille_change_stamp" in query["sql"] for query in queries.captured_queries)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # outside a test's transaction, as a request is
def test_a_request_reads_every_stamp_in_one_statement():
    net = make_network()
    with stamps_read_once(), CaptureQueriesContext(connection) as queries:
        use_by_code(net.use.code)
        policy_for("55")
        with transaction.atomic():  # a booking's transaction reads the values read before it
            use_by_code(net.use.code)
            policy_for("55")
    assert _stamp_reads(queries) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # outside a test's transaction, as a request is
def test_a_request_sees_its_own_change_of_a_stamped_table():
    net = make_network()
    with stamps_read_once():
        assert use_by_code(net.use.code).name == net.use.name
        Use.objects.filter(pk=net.use.pk).update(name="Téléconsultation du samedi")
        assert use_by_code(net.use.code).name == "Téléconsultation du samedi"
        with transaction.atomic():
            NotificationPolicy.objects.create(departement_id="55", first_reminder_hours=12)
            assert policy_for("55").first_reminder_hours == 12


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_inside_a_request_is_not_answered_after_it():
    make_network()
    with stamps_read_once():
        assert policy_for("55").first_reminder_hours == 24
        try:
            with transaction.atomic():
                NotificationPolicy.objects.create(departement_id="55", first_reminder_hours=48)
                assert policy_for("55").first_reminder_hours == 48
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        assert policy_for("55").first_reminder_hours == 24
