"""Who reads which messages: those of the appointments they may read (the scheduling selector decides)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from maille.accounts.scope import scope_for
from maille.scheduling.selectors import appointments_visible_to

from .models import Message


def messages_visible_to(user: Any) -> QuerySet[Message]:
    """Administrators: every message; others: the messages of the appointments they may read."""
    if scope_for(user).everywhere:
        return Message.objects.all()
    return Message.objects.filter(appointment__in=appointments_visible_to(user).values("pk"))


def departements_budgeted_for(user: Any) -> list[str]:
    """The départements whose SMS budget the user follows: those of the messages they may read."""
    return sorted(
        code
        for code in messages_visible_to(user).order_by().values_list("departement_id", flat=True).distinct()
        if code
    )
