"""The patient's links: one to see, cancel or move an appointment, one to take up a slot offered from the
waiting list. Each is the appointment's number signed with the deployment's secret (HMAC-SHA256, a salt per
kind of link): a link changed by one character is refused, and no list of links is stored.

A link to manage an appointment follows the appointment when it is moved (the new one is found through
``rescheduled_to``) and expires ``PUBLIC_LINK_DAYS_AFTER`` days after the appointment; an offer link lives
as long as the offer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.core.errors import DomainError
from maille.scheduling.models import Appointment

MANAGE_SALT = "maille.public.manage"
OFFER_SALT = "maille.public.offer"
# Moves form a chain; it is followed this far at most (a patient does not move an appointment 50 times).
MAX_MOVES_FOLLOWED = 50


class LinkRefused(DomainError):
    """A link that is not ours (tampered, cut short) or no longer valid; ``code`` says which."""


def _token(salt: str, appointment_id: int) -> str:
    return signing.Signer(salt=salt).sign(str(appointment_id))


def manage_token(appointment: Any) -> str:
    return _token(MANAGE_SALT, appointment.pk)


def manage_url(appointment: Any) -> str:
    return settings.PUBLIC_BASE_URL + reverse("public:manage", args=[manage_token(appointment)])


def offer_token(appointment: Any) -> str:
    return _token(OFFER_SALT, appointment.pk)


def offer_url(appointment: Any) -> str:
    return settings.PUBLIC_BASE_URL + reverse("public:offer", args=[offer_token(appointment)])


def _appointment_id(salt: str, token: str) -> int:
    try:
        value = signing.Signer(salt=salt).unsign(token)
    except signing.BadSignature:
        raise LinkRefused(
            _("Ce lien n'est pas valable : il a peut-être été mal copié. Reprenez-le dans le message reçu."),
            code="link_invalid",
        ) from None
    if not value.isdigit():  # signed by us, so never; kept so that a change of format fails cleanly
        raise LinkRefused(_("Ce lien n'est pas valable."), code="link_invalid")
    return int(value)


def appointment_from_manage_token(token: str, *, now: dt.datetime | None = None) -> Appointment:
    """The appointment a manage link stands for today (after its moves), or LinkRefused."""
    appointment = (
        Appointment.objects.select_related("site__commune", "use", "rescheduled_to")
        .filter(pk=_appointment_id(MANAGE_SALT, token))
        .first()
    )
    if appointment is None:
        raise LinkRefused(_("Ce rendez-vous n'existe plus."), code="link_unknown")
    for _step in range(MAX_MOVES_FOLLOWED):
        following = getattr(appointment, "rescheduled_to", None)
        if following is None:
            break
        appointment = Appointment.objects.select_related("site__commune", "use", "rescheduled_to").get(
            pk=following.pk
        )
    limit = appointment.ends_at + dt.timedelta(days=settings.PUBLIC_LINK_DAYS_AFTER)
    if (now or timezone.now()) > limit:
        raise LinkRefused(
            _("Ce lien a expiré : le rendez-vous est passé depuis plus de %(days)s jours.")
            % {"days": settings.PUBLIC_LINK_DAYS_AFTER},
            code="link_expired",
        )
    return appointment


def appointment_from_offer_token(token: str) -> Appointment:
    appointment = (
        Appointment.objects.select_related("site__commune", "use")
        .filter(pk=_appointment_id(OFFER_SALT, token))
        .first()
    )
    if appointment is None:
        raise LinkRefused(_("Ce créneau n'existe plus."), code="link_unknown")
    return appointment
