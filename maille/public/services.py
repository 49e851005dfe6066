"""Every write of the public pages: hold a slot, send the code, check it and book, cancel, move, take up an
offer. Each step calls the booking services of ``scheduling`` (one write path) with no staff actor and the
channel "en ligne"; the patient record is created (audited) through ``patients.services``.

The steps of a booking are separate transactions (the booking services are durable): a booking moves from
state CODE to CONFIRMED by one conditional claim, so that two tabs sending the same code book once; a
patient who already has an appointment for this use ahead gets no second one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.core.errors import ConflictError, DomainError
from maille.core.models import Channel
from maille.directory.models import Site, Use
from maille.notifications.services import code_message_send
from maille.patients.models import Patient, name_key
from maille.patients.services import patient_create
from maille.scheduling.models import Appointment, AppointmentStatus
from maille.scheduling.services import (
    appointment_book_hold,
    appointment_cancel,
    appointment_hold,
    appointment_reschedule,
    hold_release,
)
from maille.territory.models import Commune

from .models import ContactChannel, PublicBooking, PublicBookingState

OPEN_STATES = (PublicBookingState.IDENTITY, PublicBookingState.CODE)
LIVE = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
IDENTITY_FIELDS = {
    "last_name": "",
    "first_name": "",
    "birth_date": None,
    "booker_last_name": "",
    "booker_first_name": "",
    "contact": "",
    "code_hash": "",
}


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _code_hash(booking: PublicBooking, code: str) -> str:
    message = f"code:{booking.token}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _blank(booking: PublicBooking, state: str) -> None:
    """The end of a booking request: its identity is no longer needed here."""
    for field, value in IDENTITY_FIELDS.items():
        setattr(booking, field, value)
    booking.state = state
    booking.save(update_fields=[*IDENTITY_FIELDS, "state", "confirmed_at"])


def _release_quietly(appointment: Appointment, reason: str) -> None:
    """Give back a public hold if it is still one (an expired hold frees itself)."""
    with contextlib.suppress(DomainError):
        hold_release(actor=None, channel=Channel.ONLINE, hold=appointment, reason=reason)


def hold_is_live(booking: PublicBooking, now: dt.datetime | None = None) -> bool:
    appointment = booking.appointment
    return appointment.status == AppointmentStatus.HELD and appointment.hold_expires_at > _now(now)


# --- 1. hold ---------------------------------------------------------------------------------------------
def public_hold(
    *,
    use: Use,
    site: Site,
    starts_at: dt.datetime,
    replacing: PublicBooking | None = None,
    now: dt.datetime | None = None,
) -> PublicBooking:
    """Hold a slot for ``PUBLIC_HOLD_MINUTES`` while the patient gives their details. The browser's previous
    request (``replacing``, another tab) is given up first: one browser, one slot held."""
    if use.kind not in settings.PUBLIC_USE_KINDS:
        raise DomainError(_("Cet usage ne se réserve pas en ligne : appelez-nous."), code="use_not_public")
    if replacing is not None and replacing.state in OPEN_STATES:
        public_abandon(booking=replacing, reason=_("remplacée par une autre réservation (autre onglet)"))
    hold = appointment_hold(
        actor=None, channel=Channel.ONLINE, use=use, site=site, starts_at=starts_at, now=now,
        hold_minutes=settings.PUBLIC_HOLD_MINUTES,
    )  # fmt: skip
    return PublicBooking.objects.create(appointment=hold)


def public_abandon(*, booking: PublicBooking, reason: str) -> None:
    """The patient gives up (or another tab took over): the slot is free again, the identity forgotten."""
    with transaction.atomic(durable=True):
        booking = PublicBooking.objects.select_for_update().get(pk=booking.pk)
        if booking.state not in OPEN_STATES:
            return
        _blank(booking, PublicBookingState.ABANDONED)
    _release_quietly(booking.appointment, reason)


# --- 2. identity and code ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Identity:
    last_name: str
    first_name: str
    birth_date: dt.date
    commune: Commune | None
    contact_channel: str  # ContactChannel
    contact: str  # a French mobile number in E.164, or an email address
    for_relative: bool = False
    booker_last_name: str = ""
    booker_first_name: str = ""


def _open(booking: PublicBooking, now: dt.datetime) -> PublicBooking:
    booking = (
        PublicBooking.objects.select_for_update()
        .select_related("appointment__site__commune")
        .get(pk=booking.pk)
    )
    if booking.state == PublicBookingState.LOCKED:
        raise DomainError(_("Cette réservation est bloquée : recommencez-la."), code="booking_locked")
    if booking.state not in OPEN_STATES:
        raise ConflictError(_("Cette réservation n'est plus en cours."), code="booking_closed")
    if not hold_is_live(booking, now):
        raise ConflictError(
            _("Le créneau n'est plus réservé pour vous (délai dépassé) : choisissez-en un autre."),
            code="hold_expired",
        )
    return booking


@transaction.atomic(durable=True)
def public_code_send(
    *, booking: PublicBooking, identity: Identity, now: dt.datetime | None = None
) -> PublicBooking:
    """Record the identity and send a new six-digit code to the contact (at most
    ``PUBLIC_CODES_PER_REQUEST`` codes per booking)."""
    now = _now(now)
    booking = _open(booking, now)
    if booking.codes_sent >= settings.PUBLIC_CODES_PER_REQUEST:
        raise DomainError(
            _("Trois codes ont déjà été envoyés pour cette réservation : recommencez-la ou appelez-nous."),
            code="too_many_codes",
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    booking.last_name, booking.first_name = identity.last_name, identity.first_name
    booking.birth_date, booking.commune = identity.birth_date, identity.commune
    booking.for_relative = identity.for_relative
    booking.booker_last_name = identity.booker_last_name if identity.for_relative else ""
    booking.booker_first_name = identity.booker_first_name if identity.for_relative else ""
    booking.contact_channel, booking.contact = identity.contact_channel, identity.contact
    booking.code_hash = _code_hash(booking, code)
    booking.code_sent_at = now
    booking.codes_sent += 1
    booking.state = PublicBookingState.CODE
    booking.save()
    site = booking.appointment.site
    code_message_send(
        channel=identity.contact_channel, recipient=identity.contact, code=code,
        departement_id=site.commune.departement_id if site.commune_id else None,
    )  # fmt: skip
    return booking


class WrongCode(DomainError):
    pass


class AlreadyBooked(ConflictError):
    """The patient already has an appointment for this use ahead (``details["appointment_id"]``)."""


def _check_code(booking: PublicBooking, code: str, now: dt.datetime) -> tuple[str, int]:
    """(outcome, tries left), recorded in its own transaction: "right" claims the booking."""
    with transaction.atomic(durable=True):
        booking = PublicBooking.objects.select_for_update().select_related("appointment").get(pk=booking.pk)
        if booking.state == PublicBookingState.CONFIRMED:
            return "done", 0
        booking = _open(booking, now)
        if booking.state != PublicBookingState.CODE:
            return "no_code", 0
        if booking.code_sent_at is None or now - booking.code_sent_at > dt.timedelta(
            minutes=settings.PUBLIC_CODE_MINUTES
        ):
            return "expired", settings.PUBLIC_CODE_TRIES - booking.wrong_codes
        if not hmac.compare_digest(booking.code_hash, _code_hash(booking, code)):
            booking.wrong_codes += 1
            left = settings.PUBLIC_CODE_TRIES - booking.wrong_codes
            if left <= 0:
                _blank(booking, PublicBookingState.LOCKED)
                return "locked", 0
            booking.save(update_fields=["wrong_codes"])
            return "wrong", left
        booking.state = PublicBookingState.CONFIRMED
        booking.confirmed_at = now
        booking.save(update_fields=["state", "confirmed_at"])
        return "right", 0


def public_code_check(*, booking: PublicBooking, code: str, now: dt.datetime | None = None) -> Appointment:
    """Check the code; when right, find or create the patient and book the held slot for them."""
    now = _now(now)
    outcome, left = _check_code(booking, code.strip(), now)
    booking.refresh_from_db()
    if outcome == "done":
        return booking.appointment
    if outcome == "no_code":
        raise DomainError(_("Aucun code n'a encore été envoyé pour cette réservation."), code="no_code")
    if outcome == "expired":
        raise DomainError(_("Ce code a expiré : demandez-en un nouveau."), code="code_expired")
    if outcome == "locked":
        _release_quietly(booking.appointment, _("code faux trop de fois"))
        raise DomainError(
            _("Code faux %(tries)s fois : par sécurité, cette réservation est annulée. Recommencez-la.")
            % {"tries": settings.PUBLIC_CODE_TRIES},
            code="booking_locked",
        )
    if outcome == "wrong":
        raise WrongCode(
            _("Ce code n'est pas le bon. Il vous reste %(left)s essai(s).") % {"left": left},
            code="wrong_code",
            details={"tries_left": left},
        )
    return _book(booking, now)


def _book(booking: PublicBooking, now: dt.datetime) -> Appointment:
    hold = booking.appointment
    try:
        patient = _patient_for(booking)
        existing = (
            Appointment.objects.filter(
                patient=patient, use_id=hold.use_id, status__in=LIVE, starts_at__gt=now
            )
            .order_by("starts_at")
            .first()
        )
        if existing is not None:
            _release_quietly(hold, _("le patient a déjà un rendez-vous pour cet usage"))
            raise AlreadyBooked(
                _(
                    "Vous avez déjà un rendez-vous pour cet usage : il est conservé, aucun autre n'a été pris."
                ),
                code="already_booked",
                details={"appointment_id": existing.pk},
            )
        booked = appointment_book_hold(
            actor=None, channel=Channel.ONLINE, hold=hold, patient=patient,
            booked_by_caregiver=booking.for_relative, now=now,
        )  # fmt: skip
    except DomainError:
        with transaction.atomic(durable=True):
            _blank(PublicBooking.objects.select_for_update().get(pk=booking.pk), PublicBookingState.ABANDONED)
        raise
    with transaction.atomic(durable=True):
        _blank(PublicBooking.objects.select_for_update().get(pk=booking.pk), PublicBookingState.CONFIRMED)
    return booked


def _contact_filter(booking: PublicBooking) -> dict[str, str]:
    return {"phone" if booking.contact_channel == ContactChannel.SMS else "email": booking.contact}


def _patient_for(booking: PublicBooking) -> Patient:
    """The patient record this booking is for: the same name, birth date and contact (or, for a relative,
    booker) as an existing record, or a new one. Staff merge the remaining duplicates."""
    contact = _contact_filter(booking)
    reason = _("réservation en ligne")
    people = Patient.objects.filter(merged_into__isnull=True)
    if not booking.for_relative:
        found = people.filter(
            name_key=name_key(booking.last_name, booking.first_name), birth_date=booking.birth_date, **contact
        ).first()
        if found is not None:
            return found
        return patient_create(
            actor=None, channel=Channel.ONLINE, reason=reason, last_name=booking.last_name,
            first_name=booking.first_name, birth_date=booking.birth_date, commune=booking.commune,
            consents_to_teleconsultation=True, **contact,
        )  # fmt: skip
    booker = people.filter(
        name_key=name_key(booking.booker_last_name, booking.booker_first_name), **contact
    ).first() or patient_create(
        actor=None, channel=Channel.ONLINE, reason=_("réservation en ligne pour un proche"),
        last_name=booking.booker_last_name, first_name=booking.booker_first_name, **contact,
    )  # fmt: skip
    found = people.filter(
        name_key=name_key(booking.last_name, booking.first_name),
        birth_date=booking.birth_date,
        caregiver=booker,
    ).first()
    if found is not None:
        return found
    return patient_create(
        actor=None, channel=Channel.ONLINE, reason=_("réservation en ligne par un proche"),
        last_name=booking.last_name, first_name=booking.first_name, birth_date=booking.birth_date,
        commune=booking.commune, caregiver=booker, consents_to_teleconsultation=True,
    )  # fmt: skip


# --- 3. after the booking: cancel, move, offers ------------------------------------------------------------
def can_change(appointment: Appointment, now: dt.datetime | None = None) -> bool:
    return appointment.status in LIVE and appointment.starts_at > _now(now)


def _changeable(appointment: Appointment, now: dt.datetime) -> None:
    if appointment.status not in LIVE:
        raise ConflictError(
            _("Ce rendez-vous ne peut plus être modifié (%(status)s).")
            % {"status": appointment.get_status_display()},
            code="not_changeable",
        )
    if appointment.starts_at <= now:
        raise ConflictError(_("Ce rendez-vous a déjà commencé : appelez le site."), code="not_changeable")


def public_cancel(
    *, appointment: Appointment, reason: str = "", now: dt.datetime | None = None
) -> Appointment:
    _changeable(appointment, _now(now))
    return appointment_cancel(
        actor=None, channel=Channel.ONLINE, appointment=appointment,
        reason=reason.strip() or _("annulé par le patient en ligne"), by_patient=True,
    )  # fmt: skip


def public_move(
    *, appointment: Appointment, site: Site, starts_at: dt.datetime, now: dt.datetime | None = None
) -> Appointment:
    now = _now(now)
    _changeable(appointment, now)
    return appointment_reschedule(
        actor=None, channel=Channel.ONLINE, appointment=appointment, site=site, starts_at=starts_at,
        reason=_("déplacé par le patient en ligne"), now=now,
    )  # fmt: skip


def offer_is_open(appointment: Appointment, now: dt.datetime | None = None) -> bool:
    """A slot offered from the waiting list that its patient may still take or decline: a live system hold
    in their name."""
    live = appointment.status == AppointmentStatus.HELD and appointment.hold_expires_at > _now(now)
    return live and appointment.channel == Channel.SYSTEM and appointment.patient_id is not None


def _offer_open(appointment: Appointment, now: dt.datetime) -> None:
    if not offer_is_open(appointment, now):
        raise ConflictError(_("Cette proposition n'est plus valable."), code="offer_closed")


def public_offer_accept(*, appointment: Appointment, now: dt.datetime | None = None) -> Appointment:
    """The waiting patient takes the slot offered to them (through the link of the offer message)."""
    now = _now(now)
    _offer_open(appointment, now)
    patient = appointment.patient
    assert patient is not None  # checked by _offer_open
    return appointment_book_hold(
        actor=None, channel=Channel.ONLINE, hold=appointment, patient=patient, now=now
    )


def public_offer_decline(*, appointment: Appointment, now: dt.datetime | None = None) -> Appointment:
    """The waiting patient does not want this slot: it is free at once (for the next one waiting)."""
    _offer_open(appointment, _now(now))
    return hold_release(
        actor=None, channel=Channel.ONLINE, hold=appointment, reason=_("proposition refusée par le patient")
    )


# --- retention ---------------------------------------------------------------------------------------------
def public_bookings_forget(*, now: dt.datetime | None = None) -> int:
    """Requests left half-way for a day: abandoned, their identity blanked (their hold long expired)."""
    limit = _now(now) - dt.timedelta(days=1)
    stale = PublicBooking.objects.filter(state__in=OPEN_STATES, created_at__lt=limit)
    return stale.update(state=PublicBookingState.ABANDONED, **IDENTITY_FIELDS)
