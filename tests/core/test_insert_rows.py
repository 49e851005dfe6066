"""``core.queries.insert_rows``: new rows in one statement, with the model's defaults and conversions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from maille.core.models import AuditEvent, Channel
from maille.core.queries import insert_rows
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _event(number: int, **values) -> AuditEvent:
    return AuditEvent(
        action="patient.read",
        target_type="patients.patient",
        target_id=str(number),
        channel=Channel.API,
        details={"numéro": number, "liste": [1, "deux"], "vide": None},
        **values,
    )


def test_rows_are_written_in_one_statement_and_get_their_keys_in_order():
    events = [_event(number) for number in range(5)]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(events)
    assert len(queries.captured_queries) == 1
    stored = {event.pk: event for event in AuditEvent.objects.filter(pk__in=[event.pk for event in events])}
    assert [stored[event.pk].target_id for event in events] == ["0", "1", "2", "3", "4"]
    assert all(not event._state.adding for event in events)


def test_values_go_through_the_fields_as_a_save_would():
    actor = UserFactory()
    before = timezone.now()
    [event] = insert_rows([_event(7, actor=actor, actor_label=actor.get_username())])
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.details == {"numéro": 7, "liste": [1, "deux"], "vide": None}  # JSON as JSON
    assert stored.actor_id == actor.pk
    assert before - dt.timedelta(seconds=1) <= stored.occurred_at <= timezone.now()  # the default, aware
    assert stored.occurred_at == event.occurred_at


def test_existing_rows_are_refused():
    [event] = insert_rows([_event(1)])
    with pytest.raises(ValueError, match="new rows"):
        insert_rows([event])
    assert insert_rows([]) == []
