"""The outbox: every SMS and email to a patient, with its state, and the per-territory sending policy.

A message row is written in the transaction that causes it (a booking, a cancellation), so that the fact
and its message commit or roll back together; the worker sends it afterwards. Each row carries a
``delivery_key`` that the gateway receives with every attempt: an attempt repeated after a worker was
killed mid-send is recognised by the gateway and not delivered twice (see ``services.deliver``).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class MessageChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("courriel")


class MessageKind(models.TextChoices):
    CONFIRMATION = "confirmation", _("confirmation de rendez-vous")
    CHANGE = "change", _("rendez-vous déplacé")
    FIRST_REMINDER = "reminder_1", _("rappel la veille")
    SECOND_REMINDER = "reminder_2", _("rappel quelques heures avant")
    CANCELLATION = "cancellation", _("annulation")
    WAITLIST_OFFER = "waitlist_offer", _("créneau proposé (liste d'attente)")
    VERIFICATION_CODE = "code", _("code de confirmation")
    SURVEY = "survey", _("questionnaire de satisfaction")


# Why a message was not sent (``Message.cancel_reason``): a code, shown in French.
CANCEL_REASONS = {
    "appointment_cancelled": _("rendez-vous annulé"),
    "appointment_rescheduled": _("rendez-vous déplacé"),
    "appointment_check_in": _("patient arrivé"),
    "appointment_start": _("téléconsultation commencée"),
    "appointment_complete": _("téléconsultation terminée"),
    "appointment_no_show": _("patient absent"),
    "appointment_begun": _("rendez-vous déjà commencé"),
    "appointment_not_live": _("rendez-vous plus d'actualité"),
    "appointment_expire": _("proposition expirée"),
    "offer_lapsed": _("proposition expirée"),
    "code_expired": _("code expiré avant l'envoi"),
    "survey_answered": _("questionnaire déjà rempli"),
    "survey_expired": _("questionnaire clos avant l'envoi"),
}

# Reminders are dropped when their appointment no longer holds (cancelled, moved, past).
REMINDER_KINDS = (MessageKind.FIRST_REMINDER, MessageKind.SECOND_REMINDER)


class MessageState(models.TextChoices):
    PENDING = "pending", _("à envoyer")
    SENDING = "sending", _("envoi en cours")
    SENT = "sent", _("envoyé")
    FAILED = "failed", _("échec définitif")
    CANCELLED = "cancelled", _("annulé")


class Message(models.Model):
    """One SMS or email to one recipient, from its creation to its delivery (or why it was not sent)."""

    channel = models.CharField(_("canal"), max_length=8, choices=MessageChannel.choices)
    kind = models.CharField(_("type"), max_length=16, choices=MessageKind.choices)
    # The address itself: a phone number in E.164 or an email address (never written to logs).
    recipient = models.CharField(_("destinataire"), max_length=254)
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    body = models.TextField(_("texte"))
    # No index of its own (nor on departement): the unique constraint on (appointment, kind, channel) and the
    # (departement, sent_at) index serve those lookups, and each index is one more write on every booking.
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,
    )
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    # The territory whose policy and SMS budget apply (the site's département).
    departement = models.ForeignKey(
        "territory.Departement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    state = models.CharField(
        _("état"), max_length=10, choices=MessageState.choices, default=MessageState.PENDING
    )
    send_after = models.DateTimeField(_("à envoyer à partir de"))
    delivery_key = models.UUIDField(_("clé d'envoi"), default=uuid.uuid4, unique=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    # While SENDING: until when the attempt belongs to its worker (after it, another may take it over).
    claimed_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), null=True, blank=True)
    last_error = models.CharField(_("dernière erreur"), max_length=300, blank=True)
    provider_reference = models.CharField(_("référence du prestataire"), max_length=120, blank=True)
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            # One message of each kind per appointment and channel (a transition seen twice adds nothing).
            models.UniqueConstraint(
                fields=["appointment", "kind", "channel"],
                condition=Q(appointment__isnull=False),
                name="message_once_per_appointment",
            ),
            models.CheckConstraint(
                condition=~Q(state="sending") | Q(claimed_until__isnull=False), name="message_sending_claimed"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "send_after"]),
            models.Index(fields=["departement", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_channel_display()}, {self.get_state_display()})"

    @property
    def cancel_reason_label(self) -> str:
        return str(CANCEL_REASONS.get(self.cancel_reason, self.cancel_reason))

    @property
    def masked_recipient(self) -> str:
        """What staff lists show: enough to recognise the address, not to copy it."""
        if not self.recipient:
            return "—"  # blanked after the retention period
        if self.channel == MessageChannel.SMS:
            return f"{self.recipient[:4]} •• •• •• {self.recipient[-2:]}"
        name, _at, domain = self.recipient.partition("@")
        return f"{name[:1]}•••@{domain}"


class NotificationPolicy(models.Model):
    """A territory's choices: when reminders go out and how many SMS a month it pays for."""

    departement = models.OneToOneField(
        "territory.Departement", on_delete=models.CASCADE, related_name="notification_policy"
    )
    first_reminder_hours = models.PositiveSmallIntegerField(
        _("premier rappel (heures avant)"), default=24, help_text=_("0 : pas de premier rappel")
    )
    second_reminder_hours = models.PositiveSmallIntegerField(
        _("second rappel (heures avant)"), default=3, help_text=_("0 : pas de second rappel")
    )
    monthly_sms_budget = models.PositiveIntegerField(
        _("budget mensuel de SMS"), default=2000, help_text=_("0 : pas de budget")
    )
    warning_percent = models.PositiveSmallIntegerField(_("alerte à (% du budget)"), default=80)

    class Meta:
        verbose_name = _("politique d'envoi")
        verbose_name_plural = _("politiques d'envoi")
        constraints = [
            models.CheckConstraint(
                condition=Q(warning_percent__gte=1, warning_percent__lte=100),
                name="notification_warning_percent",
            ),
            models.CheckConstraint(
                condition=Q(first_reminder_hours=0)
                | Q(second_reminder_hours=0)
                | Q(second_reminder_hours__lt=F("first_reminder_hours")),
                name="notification_reminders_in_order",
            ),
        ]

    def __str__(self) -> str:
        return str(self.departement)
