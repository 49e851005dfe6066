"""Bookings made by patients (or their relatives) on the public pages, without an account.

A ``PublicBooking`` follows one such booking from the held slot to the confirmed appointment: the identity
typed in, the contact the code went to, the code's hash and the tries left. Once confirmed (or abandoned) the
identity is blanked here; it lives on in the patient record only. The rate counters (``core.RateCounter``) count requests per client
address and per contact in fixed windows, in the database, so that every server process sees the same counts.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PublicBookingState(models.TextChoices):
    IDENTITY = "identity", _("coordonnées à saisir")
    CODE = "code", _("code envoyé")
    CONFIRMED = "confirmed", _("confirmée")
    ABANDONED = "abandoned", _("abandonnée")
    LOCKED = "locked", _("bloquée (code faux trop souvent)")


class ContactChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("courriel")


class PublicBooking(models.Model):
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(
        _("état"), max_length=10, choices=PublicBookingState.choices, default=PublicBookingState.IDENTITY
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.CASCADE, related_name="public_bookings"
    )
    # The identity and contact typed in, kept until the booking is confirmed or abandoned.
    last_name = models.CharField(_("nom"), max_length=120, blank=True)
    first_name = models.CharField(_("prénom"), max_length=120, blank=True)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    commune = models.ForeignKey(
        "territory.Commune", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    for_relative = models.BooleanField(_("pour un proche"), default=False)
    booker_last_name = models.CharField(_("nom de la personne qui réserve"), max_length=120, blank=True)
    booker_first_name = models.CharField(_("prénom de la personne qui réserve"), max_length=120, blank=True)
    contact_channel = models.CharField(
        _("envoi du code"), max_length=5, choices=ContactChannel.choices, blank=True
    )
    contact = models.CharField(_("téléphone ou courriel"), max_length=254, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    codes_sent = models.PositiveSmallIntegerField(default=0)
    wrong_codes = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("réservation en ligne")
        verbose_name_plural = _("réservations en ligne")
        indexes = [models.Index(fields=["state", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="code") | (~Q(code_hash="") & ~Q(contact="")),
                name="public_code_has_contact",
            )
        ]

    def __str__(self) -> str:
        return f"réservation en ligne #{self.pk} ({self.get_state_display()})"
