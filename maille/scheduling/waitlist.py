"""Every write of the waiting list: adding and closing entries, and the periodic offers.

Offers (``waitlist_offers_run``, a housekeeping job every minute):
1. An entry whose offer is no longer a hold is settled: booked → BOOKED; expired or cancelled → waiting again,
   or CLOSED once ``MAX_OFFERS`` have lapsed.
2. Waiting entries, oldest first, each ask the slot engine for the earliest slot within their travel time and
   dates; the first found is held in the patient's name for ``WAITLIST_OFFER_HOURS`` (a system hold that the
   patient confirms by calling, or through their link). Because entries are served oldest first and each takes
   the slot it found before the next one searches, the first eligible patient gets a freed slot.
The hold's transition is what the messages app turns into the offer SMS or email.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.core.audit import audit_record
from maille.core.errors import DomainError
from maille.core.models import Channel
from maille.directory.models import Site, Use
from maille.patients.models import Patient

from .engine import SlotQuery, find_slots
from .lifecycle import hold_release
from .models import ACTIVE_WAITLIST, Appointment, AppointmentStatus, WaitlistEntry, WaitlistStatus
from .services import appointment_hold_offer
from .wallclock import PARIS

logger = logging.getLogger(__name__)

MAX_OFFERS = 3


def _commune_point(patient: Patient) -> tuple[float, float] | None:
    commune = patient.commune
    if commune is None or commune.latitude is None or commune.longitude is None:
        return None
    return commune.latitude, commune.longitude


@transaction.atomic(durable=True)
def waitlist_add(
    *,
    actor: Any,
    channel: str,
    patient: Patient,
    use: Use,
    earliest: dt.date,
    latest: dt.date,
    max_travel_minutes: int = 30,
    note: str = "",
) -> WaitlistEntry:
    """Put a patient on the waiting list for a use, from their commune, audited."""
    if latest < earliest:
        raise DomainError(
            _("La date de fin précède la date de début."),
            code="dates_out_of_order",
            details={"field": "latest"},
        )
    if latest < timezone.localdate():
        raise DomainError(
            _("Cette période est déjà passée."), code="period_past", details={"field": "latest"}
        )
    point = _commune_point(patient)
    if point is None:
        raise DomainError(
            _("La commune du patient est inconnue : renseignez-la pour calculer les trajets."),
            code="commune_missing",
            details={"field": "patient"},
        )
    if WaitlistEntry.objects.filter(patient=patient, use=use, status__in=ACTIVE_WAITLIST).exists():
        raise DomainError(_("Ce patient attend déjà un créneau pour cet usage."), code="already_waiting")
    entry = WaitlistEntry.objects.create(
        patient=patient, use=use, latitude=point[0], longitude=point[1], max_travel_minutes=max_travel_minutes,
        earliest=max(earliest, timezone.localdate()), latest=latest, note=note[:200],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )  # fmt: skip
    audit_record(actor=actor, action="waitlist.add", target=entry, channel=channel,
                 details={"use": use.code, "max_travel_minutes": max_travel_minutes})  # fmt: skip
    return entry


@transaction.atomic(durable=True)
def waitlist_close(
    *, actor: Any, channel: str, entry: WaitlistEntry, reason: str = "withdrawn"
) -> WaitlistEntry:
    """Take an entry off the list (the patient no longer waits); a pending offer's hold is released."""
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status not in ACTIVE_WAITLIST:
        raise DomainError(_("Cette inscription est déjà close."), code="waitlist_closed")
    offer = entry.offer
    entry.status, entry.closed_reason = WaitlistStatus.CLOSED, reason[:40]
    entry.save(update_fields=["status", "closed_reason"])
    audit_record(
        actor=actor, action="waitlist.close", target=entry, channel=channel, details={"reason": reason}
    )
    if offer is not None and offer.status == AppointmentStatus.HELD:
        transaction.on_commit(lambda: _release(offer.pk))
    return entry


def _release(appointment_id: int) -> None:
    appointment = Appointment.objects.filter(pk=appointment_id, status=AppointmentStatus.HELD).first()
    if appointment is not None:
        hold_release(actor=None, channel=Channel.SYSTEM, hold=appointment, reason="liste d'attente close")


def _settle(entry: WaitlistEntry) -> None:
    """An offer that is no longer a hold: booked, or lapsed (the entry waits again, up to MAX_OFFERS)."""
    offer = entry.offer
    if offer is not None and offer.status in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED):
        entry.status = WaitlistStatus.BOOKED
    elif entry.offers_made >= MAX_OFFERS:
        entry.status, entry.closed_reason = WaitlistStatus.CLOSED, "offers_exhausted"
    else:
        entry.status = WaitlistStatus.WAITING
    entry.save(update_fields=["status", "closed_reason"])


def _window(entry: WaitlistEntry, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    starts = max(now, dt.datetime.combine(entry.earliest, dt.time(0), tzinfo=PARIS))
    ends = dt.datetime.combine(entry.latest + dt.timedelta(days=1), dt.time(0), tzinfo=PARIS)
    return starts, ends


def waitlist_offers_run(*, now: dt.datetime | None = None) -> int:
    """Settle lapsed or booked offers, then offer a slot to each waiting entry that has one; the offers made."""
    now = now or timezone.now()
    with transaction.atomic():
        for entry in (
            WaitlistEntry.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=WaitlistStatus.OFFERED)
            .exclude(offer__status=AppointmentStatus.HELD)
            .select_related("offer")
        ):
            _settle(entry)
        WaitlistEntry.objects.filter(status__in=ACTIVE_WAITLIST, latest__lt=timezone.localdate(now)).exclude(
            status=WaitlistStatus.OFFERED
        ).update(status=WaitlistStatus.CLOSED, closed_reason="period_over")
    offered = 0
    waiting = WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).select_related("use", "patient")
    for entry in waiting.order_by("created_at", "pk"):
        starts_after, ends_before = _window(entry, now)
        if starts_after >= ends_before:
            continue
        slots = find_slots(
            SlotQuery(use=entry.use, latitude=entry.latitude, longitude=entry.longitude, starts_after=starts_after,
                      ends_before=ends_before, max_travel_minutes=entry.max_travel_minutes, limit=1),
            now=now,
        )  # fmt: skip
        if not slots:
            continue
        slot = slots[0]
        try:
            hold = appointment_hold_offer(
                patient=entry.patient, use=entry.use, site=Site.objects.get(pk=slot.site_id),
                starts_at=slot.starts_at, hold_minutes=settings.WAITLIST_OFFER_HOURS * 60, now=now,
            )  # fmt: skip
        except DomainError:
            continue  # taken meanwhile: the next run finds another
        updated = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistStatus.WAITING).update(
            status=WaitlistStatus.OFFERED, offer=hold, offers_made=entry.offers_made + 1
        )
        if updated:
            offered += 1
        else:  # closed while we searched: give the slot back
            _release(hold.pk)
    logger.info("waiting list: %s offers made", offered)
    return offered
