"""Writing the audit trail, always inside the transaction of the change it describes."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AUDIT_ACTIONS, AuditEvent, Channel
from .queries import insert_rows


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    channel: str = Channel.WEB,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record one audit event. ``actor`` is a user or None for the system; ``action`` is one of the closed
    list ``AUDIT_ACTIONS`` (a typo would otherwise write a row no report ever finds)."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}: add it to maille.core.models.AUDIT_ACTIONS.")
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    [event] = insert_rows(
        [
            AuditEvent(
                actor=actor if authenticated else None,
                actor_label=(actor.get_username() if authenticated else "système")[:200],
                action=action,
                target_type=target._meta.label_lower,
                target_id=str(target.pk),
                channel=channel,
                reason=reason[:300],
                details=details or {},
            )
        ]
    )
    return event


def changed_fields(instance: models.Model, values: dict[str, Any]) -> list[str]:
    """Names of the fields whose value differs (the audit keeps names, not values)."""
    return sorted(name for name, value in values.items() if getattr(instance, name) != value)
