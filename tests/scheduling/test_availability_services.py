"""Availability writes: validated again under a lock inside one durable transaction, with an audit row."""

from __future__ import annotations

import datetime as dt

import pytest

from maille.core.errors import DomainError
from maille.core.models import AuditEvent, Channel
from maille.scheduling.availability_services import availability_delete, availability_save
from maille.scheduling.models import Absence, AvailabilityRule, ReservedRange, SiteClosure
from tests.factories import UserFactory
from tests.scheduling.factories import make_network, paris

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    user = UserFactory()
    user.save()
    return user


def test_a_rule_is_saved_with_its_audit_row(editor):
    network = make_network()
    rule = AvailabilityRule(
        room=network.room, weekday=5, starts=dt.time(9), ends=dt.time(12), valid_from=dt.date(2026, 1, 1)
    )
    availability_save(actor=editor, channel=Channel.SITE, instance=rule, action="scheduling.rule.create")
    event = AuditEvent.objects.get(action="scheduling.rule.create")
    assert (event.target_id, event.channel, event.actor) == (str(rule.pk), Channel.SITE, editor)


def test_an_overlap_saved_meanwhile_by_someone_else_is_refused(editor):
    """The form checked before the other editor saved; the service checks again, under the lock."""
    network = make_network()  # Mon-Fri 9:00-12:00 on the room
    late = AvailabilityRule(
        room=network.room, weekday=0, starts=dt.time(11), ends=dt.time(13), valid_from=dt.date(2026, 3, 1)
    )
    with pytest.raises(DomainError, match="chevauche"):
        availability_save(actor=editor, channel=Channel.WEB, instance=late, action="scheduling.rule.create")
    assert not AvailabilityRule.objects.filter(starts=dt.time(11)).exists()
    assert not AuditEvent.objects.filter(action="scheduling.rule.create").exists()


@pytest.mark.parametrize("kind", ["absence", "closure", "reserved"])
def test_absences_closures_and_reserved_ranges_refuse_overlaps(editor, kind):
    network = make_network()

    def build():
        if kind == "absence":
            return Absence(
                professional=network.nurse, starts_at=paris(2026, 3, 2, 9), ends_at=paris(2026, 3, 2, 12)
            )
        if kind == "closure":
            return SiteClosure(
                site=network.site, starts_at=paris(2026, 3, 2, 9), ends_at=paris(2026, 3, 3, 9)
            )
        return ReservedRange(
            site=network.site,
            use=network.use,
            weekday=1,
            starts=dt.time(9),
            ends=dt.time(11),
            valid_from=dt.date(2026, 1, 1),
        )

    availability_save(actor=editor, channel=Channel.WEB, instance=build(), action=f"scheduling.{kind}.create")
    with pytest.raises(DomainError, match="chevauche"):
        availability_save(
            actor=editor, channel=Channel.WEB, instance=build(), action=f"scheduling.{kind}.create"
        )


def test_delete_keeps_an_audit_row(editor):
    network = make_network()
    rule = AvailabilityRule.objects.filter(room=network.room).first()
    rule_id = rule.pk
    availability_delete(actor=editor, channel=Channel.WEB, instance=rule, action="scheduling.rule.delete")
    assert not AvailabilityRule.objects.filter(pk=rule_id).exists()
    assert AuditEvent.objects.get(action="scheduling.rule.delete").target_id == str(rule_id)


def test_a_rule_with_missing_times_reports_fields_instead_of_crashing():
    network = make_network()
    rule = AvailabilityRule(
        room=network.room, weekday=0, starts=None, ends=None, valid_from=dt.date(2026, 1, 1)
    )
    rule.clean()  # the field errors come from field validation; clean() must not query with None
