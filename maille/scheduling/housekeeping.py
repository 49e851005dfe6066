"""The booking engine's periodic jobs, registered with ``core.housekeeping`` when the app is ready.

Webhook deliveries are only *enqueued* here: sending claims each attempt with a conditional UPDATE
(``webhooks.deliver``), so a delivery enqueued by two processes is still sent once.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy

from maille.core.housekeeping import Job

from . import services, waitlist, webhooks


def expire_holds() -> int:
    # ``holds_expire`` is its own durable transaction: it cannot be nested in another one.
    return services.holds_expire()


def resend_webhook_deliveries() -> int:
    with transaction.atomic(durable=True):
        return webhooks.webhook_deliveries_resend()


def make_waitlist_offers() -> int:
    # each offer is its own durable transaction (a hold); the settling of lapsed offers is one more
    return waitlist.waitlist_offers_run()


JOBS = (
    Job("holds_expire", gettext_lazy("options expirées"), expire_holds),
    Job("webhook_deliveries_resend", gettext_lazy("webhooks renvoyés"), resend_webhook_deliveries),
    Job("waitlist_offers", gettext_lazy("créneaux proposés en liste d'attente"), make_waitlist_offers),
)
