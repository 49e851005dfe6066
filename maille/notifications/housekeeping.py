"""The outbox's periodic job: reminders whose time has come, retries, attempts abandoned by a dead worker."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from maille.core.housekeeping import Job

from .services import messages_forget_old, send_due_messages

JOBS = (
    Job("messages_send_due", gettext_lazy("messages envoyés"), lambda: send_due_messages()),
    Job("messages_forget_old", gettext_lazy("anciens messages effacés"), lambda: messages_forget_old()),
)
