"""The texts of the messages, in French, short enough for one or two SMS.

No patient name in an SMS (it shows on a locked screen); the site, its commune and the time are enough.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from maille.core.identifiers import phone_for_display

from .models import MessageChannel, MessageKind

SENDER_NAME = "Maille"


def _when(moment: dt.datetime) -> str:
    return _when_in(moment, timezone.get_current_timezone(), translation.get_language())


@functools.lru_cache(maxsize=256)
def _when_in(moment: dt.datetime, zone: dt.tzinfo, language: str | None) -> str:
    """A booking's confirmation and reminders name the same moment: formatted once (per zone and language)."""
    local = timezone.localtime(moment, zone)
    day = formats.date_format(local, "l j F")
    return _("%(day)s à %(time)s") % {"day": day, "time": local.strftime("%H h %M")}


def _place(site: object) -> str:
    commune = getattr(site, "commune", None)
    name = getattr(site, "name", "")
    return f"{name}, {commune.name}" if commune is not None else str(name)


def _contact(phone: str, link: str) -> str:
    if link and phone:
        return _(" Pour annuler ou déplacer : %(link)s ou %(phone)s.") % {
            "link": link,
            "phone": phone_for_display(phone),
        }
    if link:
        return _(" Pour annuler ou déplacer : %(link)s") % {"link": link}
    if phone:
        return _(" Pour annuler ou déplacer : %(phone)s.") % {"phone": phone_for_display(phone)}
    return ""


def _offer_contact(phone: str, link: str) -> str:
    if link and phone:
        return _(" Pour le confirmer : %(link)s ou appelez le %(phone)s.") % {
            "link": link,
            "phone": phone_for_display(phone),
        }
    if link:
        return _(" Pour le confirmer : %(link)s") % {"link": link}
    if phone:
        return _(" Pour le confirmer, appelez le %(phone)s.") % {"phone": phone_for_display(phone)}
    return ""


def compose_code(code: str, channel: str, *, minutes: int) -> tuple[str, str]:
    """(subject, body) of the six-digit code that confirms a booking made on the public pages."""
    body = _(
        "Maille : votre code de confirmation est %(code)s. Il est valable %(minutes)s minutes. "
        "Ne le communiquez à personne."
    ) % {"code": code, "minutes": minutes}
    if channel == MessageChannel.EMAIL:
        body = _("Bonjour,\n\n%(body)s\n\nSi vous n'avez pas demandé de rendez-vous, ignorez ce message.") % {
            "body": body
        }
    return str(_("Votre code de confirmation")), str(body)


def compose(
    kind: str,
    channel: str,
    *,
    starts_at: dt.datetime,
    site: object,
    use_name: str,
    offer_expires_at: dt.datetime | None = None,
    link: str = "",
) -> tuple[str, str]:
    """(subject, body) of a message about one appointment. ``link``: the patient's own page for it (to
    manage the appointment, or to take up an offered slot), when the public pages are served."""
    when, place = _when(starts_at), _place(site)
    phone = settings.BOOKING_PHONE or getattr(site, "public_phone", "") or ""
    contact = _contact(phone, link)
    # Only the asked kind is formatted (each text formats dates and phone numbers).
    texts: dict[str, Callable[[], tuple[object, object]]] = {
        MessageKind.CONFIRMATION: lambda: (
            _("Votre rendez-vous de téléconsultation est confirmé"),
            _(
                "Rendez-vous confirmé : %(use)s le %(when)s, %(place)s. Venez 10 minutes avant avec votre carte "
                "Vitale."
            )
            % {"use": use_name, "when": when, "place": place}
            + contact,
        ),
        MessageKind.CHANGE: lambda: (
            _("Votre rendez-vous de téléconsultation a été déplacé"),
            _("Votre rendez-vous a été déplacé : %(use)s le %(when)s, %(place)s.")
            % {"use": use_name, "when": when, "place": place}
            + contact,
        ),
        MessageKind.FIRST_REMINDER: lambda: (
            _("Rappel : votre rendez-vous de téléconsultation"),
            _("Rappel : %(use)s le %(when)s, %(place)s. Venez avec votre carte Vitale.")
            % {"use": use_name, "when": when, "place": place}
            + contact,
        ),
        MessageKind.SECOND_REMINDER: lambda: (
            _("Rappel : votre rendez-vous de téléconsultation aujourd'hui"),
            _("Rappel : rendez-vous aujourd'hui, %(when)s, %(place)s.") % {"when": when, "place": place}
            + contact,
        ),
        MessageKind.WAITLIST_OFFER: lambda: (
            _("Un créneau de téléconsultation s'est libéré pour vous"),
            _(
                "Un créneau s'est libéré : %(use)s le %(when)s, %(place)s. Il vous est réservé jusqu'au %(until)s."
            )
            % {"use": use_name, "when": when, "place": place, "until": _when(offer_expires_at or starts_at)}
            + _offer_contact(phone, link),
        ),
        MessageKind.CANCELLATION: lambda: (
            _("Votre rendez-vous de téléconsultation est annulé"),
            _("Votre rendez-vous du %(when)s (%(place)s) est annulé.") % {"when": when, "place": place}
            + contact,
        ),
    }
    subject, body = texts[MessageKind(kind)]()
    if channel == MessageChannel.EMAIL:
        body = _(
            "Bonjour,\n\n%(body)s\n\nCe message est envoyé automatiquement, merci de ne pas y répondre."
        ) % {"body": body}
    return str(subject), str(body)
