"""The waiting list: patients who want a slot sooner than the agendas offer, within a travel time and dates.

When a matching slot is free, the first entry (oldest first) is offered it: a hold in the patient's name,
longer than a booking hold, announced by SMS or email; the patient (or the operator they call) confirms it,
or it lapses and the entry waits again, up to a bounded number of offers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("en attente")
    OFFERED = "offered", _("créneau proposé")
    BOOKED = "booked", _("rendez-vous pris")
    CLOSED = "closed", _("clos")


ACTIVE_WAITLIST = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


class WaitlistEntry(models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="waitlist_entries")
    use = models.ForeignKey("directory.Use", on_delete=models.PROTECT, related_name="+")
    # where the patient starts from (their commune's centre unless given) and how far they will go
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    max_travel_minutes = models.PositiveSmallIntegerField(_("trajet maximal (minutes)"), default=30)
    earliest = models.DateField(_("à partir du"))
    latest = models.DateField(_("jusqu'au"))
    status = models.CharField(
        _("état"), max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    offers_made = models.PositiveSmallIntegerField(_("propositions faites"), default=0)
    offer = models.OneToOneField(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="waitlist_entry",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    closed_reason = models.CharField(_("motif de clôture"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("inscription en liste d'attente")
        verbose_name_plural = _("liste d'attente")
        constraints = [
            models.CheckConstraint(condition=Q(latest__gte=F("earliest")), name="waitlist_dates_in_order"),
            models.UniqueConstraint(
                fields=["patient", "use"],
                condition=Q(status__in=["waiting", "offered"]),
                name="waitlist_one_active_entry_per_patient_and_use",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.use} ({self.get_status_display()})"
