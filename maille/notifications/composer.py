"""The texts of the messages, in French, short enough for one or two SMS.

No patient name in an SMS (it shows on a locked screen); the site, its commune and the time are enough.
"""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .models import MessageChannel, MessageKind

SENDER_NAME = "Maille"


def _when(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    day = formats.date_format(local, "l j F")
    return _("%(day)s à %(time)s") % {"day": day, "time": local.strftime("%H h %M")}


def _national(phone: str) -> str:
    try:
        return str(
            phonenumbers.format_number(
                phonenumbers.parse(phone, "FR"), phonenumbers.PhoneNumberFormat.NATIONAL
            )
        )
    except phonenumbers.NumberParseException:
        return phone


def _place(site: object) -> str:
    commune = getattr(site, "commune", None)
    name = getattr(site, "name", "")
    return f"{name}, {commune.name}" if commune is not None else str(name)


def compose(
    kind: str,
    channel: str,
    *,
    starts_at: dt.datetime,
    site: object,
    use_name: str,
    offer_expires_at: dt.datetime | None = None,
) -> tuple[str, str]:
    """(subject, body) of a message about one appointment."""
    when, place = _when(starts_at), _place(site)
    phone = settings.BOOKING_PHONE or getattr(site, "public_phone", "") or ""
    contact = _(" Pour annuler ou déplacer : %(phone)s.") % {"phone": _national(phone)} if phone else ""
    texts = {
        MessageKind.CONFIRMATION: (
            _("Votre rendez-vous de téléconsultation est confirmé"),
            _(
                "Rendez-vous confirmé : %(use)s le %(when)s, %(place)s. Venez 10 minutes avant avec votre carte "
                "Vitale."
            )
            % {"use": use_name, "when": when, "place": place}
            + contact,
        ),
        MessageKind.CHANGE: (
            _("Votre rendez-vous de téléconsultation a été déplacé"),
            _("Votre rendez-vous a été déplacé : %(use)s le %(when)s, %(place)s.")
            % {"use": use_name, "when": when, "place": place}
            + contact,
        ),
        MessageKind.FIRST_REMINDER: (
            _("Rappel : votre rendez-vous de téléconsultation"),
            _("Rappel : %(use)s le %(when)s, %(place)s. Venez avec votre carte Vitale.")
            % {"use": use_name, "when": when, "place": place}
            + contact,
        ),
        MessageKind.SECOND_REMINDER: (
            _("Rappel : votre rendez-vous de téléconsultation aujourd'hui"),
            _("Rappel : rendez-vous aujourd'hui, %(when)s, %(place)s.") % {"when": when, "place": place}
            + contact,
        ),
        MessageKind.WAITLIST_OFFER: (
            _("Un créneau de téléconsultation s'est libéré pour vous"),
            _(
                "Un créneau s'est libéré : %(use)s le %(when)s, %(place)s. Il vous est réservé jusqu'au %(until)s."
            )
            % {"use": use_name, "when": when, "place": place, "until": _when(offer_expires_at or starts_at)}
            + (_(" Pour le confirmer, appelez le %(phone)s.") % {"phone": _national(phone)} if phone else ""),
        ),
        MessageKind.CANCELLATION: (
            _("Votre rendez-vous de téléconsultation est annulé"),
            _("Votre rendez-vous du %(when)s (%(place)s) est annulé.") % {"when": when, "place": place}
            + contact,
        ),
    }
    subject, body = texts[MessageKind(kind)]
    if channel == MessageChannel.EMAIL:
        body = _(
            "Bonjour,\n\n%(body)s\n\nCe message est envoyé automatiquement, merci de ne pas y répondre."
        ) % {"body": body}
    return str(subject), str(body)
