"""The booking engine's periodic jobs, registered with ``core.housekeeping`` when the app is ready.

Webhook deliveries are only *enqueued* here: sending claims each attempt with a conditional UPDATE
(``webhooks.deliver``), so a delivery enqueued by two processes is still sent once.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy

from maille.core.housekeeping import Job

from . import services, webhooks


def expire_holds() -> int:
    # ``holds_expire`` is its own durable transaction: it cannot be nested in another one.
    return services.holds_expire()


def resend_webhook_deliveries() -> int:
    with transaction.atomic(durable=True):
        return webhooks.webhook_deliveries_resend()


JOBS = (
    Job("holds_expire", gettext_lazy("options expirées"), expire_holds),
    Job("webhook_deliveries_resend", gettext_lazy("webhooks renvoyés"), resend_webhook_deliveries),
)
