from __future__ import annotations

import pytest
from django.urls import reverse

from maille.core.audit import audit_record
from maille.core.models import AuditEvent, Channel
from tests.factories import RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_audit_events_name_actor_action_target_and_are_immutable():
    user = UserFactory()
    user.save()
    region = RegionFactory()
    event = audit_record(
        actor=user, action="patient.update", target=region, channel=Channel.CLI, reason="test"
    )
    assert (event.actor_label, event.target_type, event.target_id) == (
        user.username,
        "territory.region",
        "44",
    )
    event.reason = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.get().reason == "test"


def test_system_actions_are_labelled_as_system():
    event = audit_record(actor=None, action="patient.merge", target=RegionFactory())
    assert event.actor is None
    assert event.actor_label == "système"


def test_every_page_carries_a_strict_content_security_policy(client):
    response = client.get(reverse("accounts:login"))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"


def test_not_found_page_does_not_echo_the_path(client):
    response = client.get("/annuaire/sites/999999/?nir=295109912611193")
    assert response.status_code in (302, 404)
    response = client.get("/nulle-part/295109912611193")
    assert response.status_code == 404
    assert "295109912611193" not in response.content.decode()


def test_healthz(client):
    assert client.get(reverse("core:healthz")).content == b"ok"


def test_audit_actions_are_a_closed_list(db):
    from maille.core.audit import audit_record
    from maille.core.models import AUDIT_ACTIONS, AuditEvent

    target = AuditEvent.objects.create(action="patient.read", target_type="x", target_id="1")
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit_record(actor=None, action="patient.raed", target=target)
    assert {"appointment.cancel", "scheduling.rule.delete", "auth.locked_out"} <= set(AUDIT_ACTIONS)
