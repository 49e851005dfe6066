"""Signed webhooks: who wants to hear about booking events, and each delivery attempt's record.

A delivery row and its sending task are written in the same transaction as the transition that caused it (an
outbox): the worker sends it once that commits; a task lost or failed is enqueued again
(``webhook_deliveries_resend``).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    BOOKED = "appointment.booked", _("rendez-vous réservé")
    CANCELLED = "appointment.cancelled", _("rendez-vous annulé")
    RESCHEDULED = "appointment.rescheduled", _("rendez-vous déplacé")
    CHECKED_IN = "appointment.checked_in", _("arrivée du patient")
    COMPLETED = "appointment.completed", _("téléconsultation terminée")
    NO_SHOW = "appointment.no_show", _("patient absent")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("à envoyer")
    DELIVERED = "delivered", _("remis")
    FAILED = "failed", _("abandonné")


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    """An external system listening to booking events (its URL, its signing secret, the events it wants)."""

    name = models.CharField(_("nom"), max_length=120)
    url = models.URLField(_("adresse de réception"), max_length=500)
    secret = models.CharField(_("secret de signature"), max_length=100, default=new_webhook_secret)
    event_types = models.JSONField(_("événements"), default=list, help_text=_("Liste de codes d'événement"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("abonnement webhook")
        verbose_name_plural = _("abonnements webhook")

    def __str__(self) -> str:
        return f"{self.name} → {self.url}"


class WebhookDelivery(models.Model):
    """One event for one subscription: sent until the receiver answers 2xx or attempts run out."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(_("identifiant de l'événement"))
    event_type = models.CharField(_("événement"), max_length=40, choices=WebhookEvent.choices)
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(_("contenu"))
    status = models.CharField(
        _("statut"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_response_code = models.PositiveSmallIntegerField(_("dernier code de réponse"), null=True, blank=True)
    last_error = models.CharField(_("dernière erreur"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(_("remis le"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("envoi webhook")
        verbose_name_plural = _("envois webhook")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"], name="webhook_delivery_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.status})"
