"""Every write of the outbox: messages created from appointment transitions, and their delivery.

Creation: ``messages_for_transition`` runs inside the booking service's transaction (registered in
``apps.py``), so a booking and its confirmation and reminders commit together; a cancellation cancels the
reminders not yet sent in the same transaction. Messages due now get their sending task in that transaction too
(the tasks live in this database: the worker sees them once it commits); later ones (reminders) and retries are
picked up by the periodic job ``send_due_messages``.

Delivery, exactly once: an attempt is *claimed* by a conditional UPDATE (state PENDING → SENDING, attempts + 1,
``claimed_until``) that only one worker can win; then the backend sends, passing the message's
``delivery_key``; then the outcome is recorded. A worker killed between claim and outcome leaves the message
SENDING; once ``claimed_until`` has passed, another worker claims it again and sends with the *same* key, which
the gateway recognises (HTTP backend) — the message is delivered once. Before each attempt the message is
checked again: never a reminder for a cancelled or moved appointment, nor once the appointment has begun.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django_tasks import task

from maille.core.backoff import backoff_delay
from maille.core.identifiers import is_mobile_phone
from maille.core.queries import insert_rows
from maille.core.stamps import StampedCache
from maille.scheduling.models import Appointment, AppointmentStatus, AppointmentTransition

from .backends import Outgoing, PermanentFailure, TemporaryFailure, backend_for
from .composer import SENDER_NAME, compose, compose_code
from .links import MANAGE, OFFER, link_for
from .models import REMINDER_KINDS, Message, MessageChannel, MessageKind, MessageState, NotificationPolicy

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 3600
# An attempt belongs to its worker this long (the backend's timeout with a margin), then may be taken over.
CLAIM_SECONDS = 120
# A reminder whose time comes less than this before the appointment is not worth sending.
REMINDER_MIN_LEAD = dt.timedelta(minutes=30)
LIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
# Transitions after which the reminders not yet sent are dropped.
STOPS_REMINDERS = ("check_in", "start", "complete", "no_show")


@dataclass(frozen=True)
class Policy:
    first_reminder_hours: int
    second_reminder_hours: int
    monthly_sms_budget: int
    warning_percent: int


def _stored_policy(departement_id: str) -> Policy | None:
    row = NotificationPolicy.objects.filter(departement_id=departement_id).first()
    if row is None:
        return None
    return Policy(
        row.first_reminder_hours, row.second_reminder_hours, row.monthly_sms_budget, row.warning_percent
    )


# Read on every booking, edited a few times a year: kept per process while the table does not change.
_policies: StampedCache[str, Policy | None] = StampedCache("notification_policies", _stored_policy)


def policy_for(departement_id: str | None) -> Policy:
    """The territory's policy, or the deployment's defaults (settings) where it has none."""
    stored = _policies.get(departement_id) if departement_id else None
    return stored or Policy(*settings.NOTIFICATIONS_DEFAULT_POLICY)


def contact_of(patient: Any) -> tuple[str, str] | None:
    """(channel, address): a French-reachable mobile by SMS first, else the email; None when neither."""
    for person in (patient, getattr(patient, "caregiver", None)):
        if person is None:
            continue
        if person.phone and is_mobile_phone(person.phone):
            return MessageChannel.SMS, person.phone
        if person.email:
            return MessageChannel.EMAIL, person.email
    return None


# --- creation, inside the transition's transaction -------------------------------------------------------
def messages_for_transition(transition: AppointmentTransition) -> None:
    """What a transition means for the outbox (registered as a transition subscriber)."""
    name = transition.name
    if name == "book":
        appointment = _appointment_of(transition)
        kind = MessageKind.CHANGE if appointment.rescheduled_from_id else MessageKind.CONFIRMATION
        _create_for(appointment, kind, created_now=not transition.from_status)
    elif name == "hold":
        appointment = _appointment_of(transition)
        # a hold in a patient's name is a slot offered from the waiting list (other holds have no patient)
        if appointment.patient_id is not None:
            _create_for(appointment, MessageKind.WAITLIST_OFFER, reminders=False, created_now=True)
    elif name == "expire":
        cancel_pending(appointment_id=transition.appointment_id, reason="offer_lapsed")
    elif name == "cancel":
        cancel_pending(appointment_id=transition.appointment_id, reason="appointment_cancelled")
        if transition.from_status in LIVE_STATUSES:
            _create_for(_appointment_of(transition), MessageKind.CANCELLATION, reminders=False)
    elif name in STOPS_REMINDERS:  # after arrival (or the end), no reminder
        cancel_pending(
            appointment_id=transition.appointment_id, reason=f"appointment_{name}", kinds=REMINDER_KINDS
        )
    elif name == "reschedule":  # every message of the old one stops; the new one announces the change
        cancel_pending(appointment_id=transition.appointment_id, reason="appointment_rescheduled")


def _appointment_of(transition: AppointmentTransition) -> Appointment:
    """The appointment the transition service just wrote, as it holds it (a subscriber runs in its
    transaction, right after the save): reading it again cost a query of five joins on every booking.
    Relations it has not loaded (a caregiver, the site's commune) are read when a message needs them."""
    if AppointmentTransition.appointment.is_cached(transition):
        return transition.appointment
    return Appointment.objects.select_related("patient__caregiver", "site__commune", "use").get(
        pk=transition.appointment_id
    )


def _create_for(
    appointment: Appointment, kind: str, *, reminders: bool = True, created_now: bool = False
) -> int:
    """Write the message (and reminders) of an appointment; how many were new. ``created_now``: the appointment
    was created in this transaction (its first transition), so it has no message yet."""
    patient = appointment.patient
    contact = contact_of(patient) if patient is not None else None
    if contact is None:
        return 0  # nobody to write to: the operator reads the confirmation out on the phone
    channel, recipient = contact
    now = timezone.now()
    departement_id = appointment.site.commune.departement_id if appointment.site.commune_id else None
    # The operator read the confirmation out on the phone: the reminders alone are written.
    read_out = kind in (MessageKind.CONFIRMATION, MessageKind.CHANGE) and appointment.confirmation_read_out
    moments = [] if read_out else [(kind, now)]
    if reminders:
        policy = policy_for(departement_id)
        for reminder, hours in ((MessageKind.FIRST_REMINDER, policy.first_reminder_hours),
                                (MessageKind.SECOND_REMINDER, policy.second_reminder_hours)):  # fmt: skip
            at = appointment.starts_at - dt.timedelta(hours=hours)
            if hours and at > now and appointment.starts_at - at >= REMINDER_MIN_LEAD:
                moments.append((reminder, at))
    links = {MANAGE: link_for(MANAGE, appointment)} if kind != MessageKind.WAITLIST_OFFER else {}
    # A transition seen twice adds nothing (one message of each kind per appointment and channel): the kinds
    # already written are read once, the others inserted in one statement (a get_or_create per message made
    # a dozen statements of every booking). The appointment is locked by its transition, so no one else
    # writes its messages meanwhile; one created in this transaction has none to read.
    written = (
        set()
        if created_now
        else set(
            Message.objects.filter(appointment=appointment, channel=channel, kind__in=[k for k, _ in moments])
            .order_by()
            .values_list("kind", flat=True)
        )
    )
    new_messages = []
    for message_kind, send_after in moments:
        if message_kind in written:
            continue
        if message_kind == MessageKind.WAITLIST_OFFER:
            link = link_for(OFFER, appointment)
        elif message_kind == MessageKind.CANCELLATION:
            link = ""  # nothing left to manage
        else:
            link = links[MANAGE]
        subject, body = compose(
            message_kind, channel, starts_at=appointment.starts_at, site=appointment.site,
            use_name=appointment.use.name, offer_expires_at=appointment.hold_expires_at, link=link,
        )  # fmt: skip
        new_messages.append(
            Message(
                appointment=appointment,
                kind=message_kind,
                channel=channel,
                recipient=recipient,
                subject=subject,
                body=body,
                patient=patient,
                departement_id=departement_id,
                send_after=send_after,
            )  # fmt: skip
        )
    if not new_messages:
        return 0
    insert_rows(new_messages)
    _enqueue([message.pk for message in new_messages if message.send_after <= now])
    return len(new_messages)


def code_message_send(*, channel: str, recipient: str, code: str, departement_id: str | None) -> Message:
    """The six-digit code of a public booking, sent at once (it lives ``CODE_MINUTES``). Not tied to an
    appointment: its only reader is whoever types it back."""
    subject, body = compose_code(code, channel, minutes=settings.PUBLIC_CODE_MINUTES)
    return message_queue(kind=MessageKind.VERIFICATION_CODE, channel=channel, recipient=recipient, subject=subject,
                         body=body, send_after=timezone.now(), departement_id=departement_id)  # fmt: skip


def message_queue(
    *,
    kind: str,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    send_after: dt.datetime,
    departement_id: str | None,
    appointment_id: int | None = None,
    patient_id: int | None = None,
) -> Message:
    """A message not tied to an appointment's confirmations and reminders (a booking code; a message composed by an
    app above this one, the evaluation's satisfaction surveys), written in the caller's transaction: sent as soon as
    it commits when due now (its task is written with it), else by ``send_due_messages`` when due."""
    message = Message.objects.create(
        kind=kind, channel=channel, recipient=recipient, subject=subject[:200], body=body,
        departement_id=departement_id, send_after=send_after, appointment_id=appointment_id,
        patient_id=patient_id,
    )  # fmt: skip
    if send_after <= timezone.now():
        _enqueue([message.pk])
    return message


def message_cancel(message_id: int, *, reason: str) -> bool:
    """One message not sent yet is not sent."""
    return bool(_cancel(Message.objects.filter(pk=message_id), reason))


def messages_for_booked(appointment_ids: list[int]) -> int:
    """Confirmation and reminders of appointments booked without the booking service (the demo's bulk load)."""
    appointments = Appointment.objects.filter(
        pk__in=appointment_ids, status__in=LIVE_STATUSES
    ).select_related("patient__caregiver", "site__commune", "use")
    return sum(
        _create_for(a, MessageKind.CHANGE if a.rescheduled_from_id else MessageKind.CONFIRMATION)
        for a in appointments
    )


def cancel_pending(*, appointment_id: int, reason: str, kinds: tuple[str, ...] | None = None) -> int:
    """Messages of an appointment not sent yet are not sent (a claimed attempt checks again before sending)."""
    messages = Message.objects.filter(appointment_id=appointment_id)
    if kinds is not None:
        messages = messages.filter(kind__in=kinds)
    return _cancel(messages, reason)


def _cancel(messages: QuerySet[Message], reason: str) -> int:
    """Those of ``messages`` not sent yet are not sent (a claimed attempt checks its state again before sending)."""
    return messages.filter(state=MessageState.PENDING).update(
        state=MessageState.CANCELLED, cancel_reason=reason[:120], next_attempt_at=None
    )


def _enqueue(message_ids: list[int]) -> None:
    """The sending tasks, written in the caller's transaction like the messages (the tasks' backend is this
    database): the worker sees them when it commits, and never for a change rolled back. Enqueued after the
    commit, they cost every booking a transaction of its own and were lost when the process died in between."""
    for message_id in message_ids:
        send_message.enqueue(message_id)


# --- delivery ----------------------------------------------------------------------------------------------
def retry_delay(attempts: int) -> dt.timedelta:
    """After the ``attempts``-th temporary failure: 1 min, 2, 4 … capped at one hour."""
    return backoff_delay(attempts, first_seconds=FIRST_RETRY_SECONDS, max_seconds=MAX_RETRY_SECONDS)


def _claimable(now: dt.datetime) -> Q:
    due = Q(state=MessageState.PENDING, send_after__lte=now) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    abandoned = Q(state=MessageState.SENDING, claimed_until__lt=now)  # its worker died mid-send
    return due | abandoned


def _claim(message_id: int, now: dt.datetime) -> Message | None:
    """Take the next attempt of a message, or None when it is not due or another worker has it.

    One conditional UPDATE: of two workers, the second finds the row already SENDING (PostgreSQL re-checks
    the condition on the row the first one wrote; SQLite serialises writes)."""
    claimed = Message.objects.filter(_claimable(now), pk=message_id).update(
        state=MessageState.SENDING,
        attempts=F("attempts") + 1,
        claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS),
    )
    if not claimed:
        return None
    return Message.objects.select_related("appointment").get(pk=message_id)


def _still_wanted(message: Message, now: dt.datetime) -> str:
    """Why not to send any more ("" when it should go)."""
    appointment = message.appointment
    if message.kind == MessageKind.VERIFICATION_CODE:
        late = now - message.created_at > dt.timedelta(minutes=settings.PUBLIC_CODE_MINUTES)
        return "code_expired" if late else ""
    if (
        message.kind == MessageKind.SURVEY
    ):  # about a finished appointment; its invitation cancels it if need be
        return ""
    if appointment is None or message.kind == MessageKind.CANCELLATION:
        return ""
    if message.kind == MessageKind.WAITLIST_OFFER:
        live = appointment.status == AppointmentStatus.HELD and appointment.hold_expires_at > now
        return "" if live else "offer_lapsed"
    if appointment.status not in LIVE_STATUSES:
        return "appointment_not_live"
    if appointment.starts_at <= now:  # a confirmation or a reminder after the time helps nobody
        return "appointment_begun"
    return ""


def deliver(message_id: int, *, now: dt.datetime | None = None) -> str:
    """One attempt at one message; returns its state afterwards. Safe to call twice, from two workers."""
    now = now or timezone.now()
    message = _claim(message_id, now)
    if message is None:
        return str(Message.objects.filter(pk=message_id).values_list("state", flat=True).first() or "")
    reason = _still_wanted(message, now)
    if reason:
        return _finish(message, state=MessageState.CANCELLED, cancel_reason=reason, next_attempt_at=None)
    outgoing = Outgoing(
        delivery_key=str(message.delivery_key), channel=message.channel, recipient=message.recipient,
        subject=message.subject, body=message.body, sender_name=SENDER_NAME,
    )  # fmt: skip
    try:
        reference = backend_for(message.channel).send(outgoing)
    except TemporaryFailure as error:
        if message.attempts >= MAX_ATTEMPTS:
            state = _finish(
                message, state=MessageState.FAILED, last_error=str(error)[:300], next_attempt_at=None
            )
        else:
            state = _finish(message, state=MessageState.PENDING, last_error=str(error)[:300],
                            next_attempt_at=now + retry_delay(message.attempts))  # fmt: skip
    except PermanentFailure as error:
        state = _finish(message, state=MessageState.FAILED, last_error=str(error)[:300], next_attempt_at=None)
    else:
        state = _finish(message, state=MessageState.SENT, provider_reference=reference, sent_at=timezone.now(),
                        last_error="", next_attempt_at=None)  # fmt: skip
    # ids, kinds and states only: never the recipient nor the text
    logger.info("message %s (%s, %s) attempt %s: %s", message.pk, message.kind, message.channel,
                message.attempts, state)  # fmt: skip
    return state


def _finish(message: Message, *, state: str, **fields: Any) -> str:
    """Record an attempt's outcome if this worker still holds the claim (its attempt number); the state after."""
    recorded = Message.objects.filter(
        pk=message.pk, state=MessageState.SENDING, attempts=message.attempts
    ).update(state=state, claimed_until=None, **fields)
    if recorded:
        return state
    return str(Message.objects.filter(pk=message.pk).values_list("state", flat=True).get())


@task()
def send_message(message_id: int) -> str:
    """The worker's side: one task per message due now (django-tasks, database backend)."""
    return deliver(message_id)


def send_due_messages(*, now: dt.datetime | None = None, limit: int = 50_000) -> int:
    """Send every message due now (reminders whose time has come, retries, abandoned attempts)."""
    now = now or timezone.now()
    due = list(
        Message.objects.filter(_claimable(now))
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for message_id in due:
        if deliver(message_id, now=now) == MessageState.SENT:
            sent += 1
    return sent


# --- retention -----------------------------------------------------------------------------------------------
def messages_forget_old(*, now: dt.datetime | None = None) -> int:
    """Blank the address and text of finished messages older than ``NOTIFICATIONS_RETENTION_DAYS`` (personal
    data kept no longer than useful); the rows stay, so that counts and budgets remain true."""
    limit = (now or timezone.now()) - dt.timedelta(days=settings.NOTIFICATIONS_RETENTION_DAYS)
    finished = (MessageState.SENT, MessageState.FAILED, MessageState.CANCELLED)
    return (
        Message.objects.filter(created_at__lt=limit, state__in=finished)
        .exclude(recipient="")
        .update(recipient="", subject="", body="")
    )


# --- budget -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SmsBudget:
    departement_id: str
    sent: int
    budget: int
    warning_percent: int

    @property
    def warning(self) -> bool:
        return bool(self.budget) and self.sent * 100 >= self.budget * self.warning_percent

    @property
    def exceeded(self) -> bool:
        return bool(self.budget) and self.sent >= self.budget


def sms_budgets(departement_ids: list[str], *, now: dt.datetime | None = None) -> list[SmsBudget]:
    """SMS sent this calendar month (Paris time) per département, against each one's budget."""
    local = timezone.localtime(now or timezone.now())
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    counts = _sent_counts(departement_ids, month_start)
    budgets = []
    for departement_id in departement_ids:
        policy = policy_for(departement_id)
        budgets.append(SmsBudget(departement_id, counts.get(departement_id, 0), policy.monthly_sms_budget,
                                 policy.warning_percent))  # fmt: skip
    return budgets


def _sent_counts(departement_ids: list[str], since: dt.datetime) -> dict[str, int]:
    rows = (
        Message.objects.filter(
            channel=MessageChannel.SMS,
            state=MessageState.SENT,
            sent_at__gte=since,
            departement_id__in=departement_ids,
        )  # fmt: skip
        .values("departement_id")
        .annotate(count=Count("pk"))
    )
    return {row["departement_id"]: row["count"] for row in rows}
