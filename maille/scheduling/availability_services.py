"""Every write to availability — weekly rules, exceptions, absences, site closures, reserved ranges.

One durable transaction each, with its audit row. The overlap checks live in the models' ``clean()`` and run
again here after the resource's row is locked, so two editors saving overlapping ranges at the same moment
cannot both succeed (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises write transactions).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from maille.core.audit import audit_record
from maille.core.errors import DomainError

from .models import AvailabilityException

# The rows whose lock serialises edits of one agenda.
_LOCKED_RELATIONS = ("room", "professional", "site")


def _lock_agenda_of(instance: models.Model) -> None:
    owner = instance.rule if isinstance(instance, AvailabilityException) else instance
    for name in _LOCKED_RELATIONS:
        pk = getattr(owner, f"{name}_id", None)
        if pk is not None:
            related = owner._meta.get_field(name).related_model
            list(related.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True))


@transaction.atomic(durable=True)
def availability_save(*, actor: Any, channel: str, instance: models.Model, action: str) -> models.Model:
    """Create or update one availability record (``action`` names it in the audit trail)."""
    _lock_agenda_of(instance)
    try:
        instance.full_clean()
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), code="availability_invalid") from error
    instance.save()
    audit_record(actor=actor, action=action, target=instance, channel=channel)
    return instance


@transaction.atomic(durable=True)
def availability_delete(*, actor: Any, channel: str, instance: models.Model, action: str) -> None:
    """Delete one availability record; the audit row keeps its type and id."""
    _lock_agenda_of(instance)
    audit_record(actor=actor, action=action, target=instance, channel=channel)
    instance.delete()
