"""Appointments, their lifecycle (transition table + immutable log) and the busy rows that make a
double booking impossible."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from maille.core.models import Channel


class ReportChannel(models.TextChoices):
    """How the teleconsultation's report reached the patient's médecin traitant."""

    NOT_SENT = "", _("non envoyé")
    MSSANTE = "mssante", _("messagerie sécurisée de santé (MSSanté)")
    DMP = "dmp", _("DMP (Mon espace santé)")
    LETTER = "courrier", _("courrier")
    PATIENT = "patient", _("remis au patient")
    NO_GP = "sans_mt", _("pas de médecin traitant")


SENT_REPORT_CHANNELS = (ReportChannel.MSSANTE, ReportChannel.DMP, ReportChannel.LETTER, ReportChannel.PATIENT)


class AppointmentStatus(models.TextChoices):
    HELD = "held", _("option en cours")
    BOOKED = "booked", _("réservé")
    CONFIRMED = "confirmed", _("confirmé")
    CHECKED_IN = "checked_in", _("patient arrivé")
    IN_PROGRESS = "in_progress", _("en cours")
    COMPLETED = "completed", _("réalisé")
    CANCELLED = "cancelled", _("annulé")
    NO_SHOW = "no_show", _("patient absent")
    EXPIRED = "expired", _("option expirée")
    RESCHEDULED = "rescheduled", _("déplacé")


S = AppointmentStatus
# The one lifecycle: transition name -> (allowed source states, target state).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "book": (frozenset({S.HELD}), S.BOOKED),
    "confirm": (frozenset({S.BOOKED}), S.CONFIRMED),
    "reschedule": (frozenset({S.HELD, S.BOOKED, S.CONFIRMED}), S.RESCHEDULED),
    "cancel": (frozenset({S.HELD, S.BOOKED, S.CONFIRMED, S.CHECKED_IN}), S.CANCELLED),
    "expire": (frozenset({S.HELD}), S.EXPIRED),
    "check_in": (frozenset({S.BOOKED, S.CONFIRMED}), S.CHECKED_IN),
    "start": (frozenset({S.CHECKED_IN}), S.IN_PROGRESS),
    "complete": (frozenset({S.IN_PROGRESS}), S.COMPLETED),
    "no_show": (frozenset({S.BOOKED, S.CONFIRMED}), S.NO_SHOW),
}
# States whose resources stay busy (a no-show still consumed the time).
BUSY_STATES = frozenset({S.HELD, S.BOOKED, S.CONFIRMED, S.CHECKED_IN, S.IN_PROGRESS, S.COMPLETED, S.NO_SHOW})


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def active(self) -> AppointmentQuerySet:
        return self.filter(status__in=[S.BOOKED, S.CONFIRMED, S.CHECKED_IN, S.IN_PROGRESS])

    def upcoming(self, now: object) -> AppointmentQuerySet:
        return self.active().filter(starts_at__gte=now)


class Appointment(models.Model):
    """One assisted teleconsultation: a room and an assisting professional at a site, a remote doctor."""

    use = models.ForeignKey("directory.Use", on_delete=models.PROTECT, related_name="appointments")
    site = models.ForeignKey("directory.Site", on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey("directory.Room", on_delete=models.PROTECT, related_name="appointments")
    assistant = models.ForeignKey(
        "directory.Professional",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assisted_appointments",
    )
    doctor = models.ForeignKey(
        "directory.Professional", on_delete=models.PROTECT, related_name="remote_appointments"
    )
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    booked_by_caregiver = models.BooleanField(_("pris par un aidant"), default=False)
    # The phone operator's note of the call that booked it, and whether they read the confirmation out
    # (then no confirmation message is sent; the reminders are).
    call_note = models.TextField(_("note d'appel"), max_length=500, blank=True)
    confirmation_read_out = models.BooleanField(_("confirmation lue au téléphone"), default=False)
    starts_at = models.DateTimeField(_("début"), db_index=True)
    ends_at = models.DateTimeField(_("fin"))
    # Indexed in Meta: a plain B-tree (``db_index`` adds a pattern index too, for LIKE, that nothing asks).
    status = models.CharField(_("statut"), max_length=16, choices=AppointmentStatus.choices)
    hold_expires_at = models.DateTimeField(_("fin de l'option"), null=True, blank=True)
    channel = models.CharField(_("canal"), max_length=16, choices=Channel.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=300, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_by_patient = models.BooleanField(_("annulé par le patient"), default=False)
    rescheduled_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rescheduled_to"
    )
    checked_in_at = models.DateTimeField(_("arrivée"), null=True, blank=True)
    started_at = models.DateTimeField(_("début réel"), null=True, blank=True)
    completed_at = models.DateTimeField(_("fin réelle"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("durée réelle (minutes)"), null=True, blank=True)
    act_code = models.CharField(_("acte réalisé"), max_length=20, blank=True, help_text=_("Code CCAM/NGAP"))
    report_sent_to_medecin_traitant = models.BooleanField(
        _("compte rendu au médecin traitant"), default=False
    )
    prescription_issued = models.BooleanField(_("ordonnance"), default=False)
    is_fictional = models.BooleanField(_("fictif (démonstration)"), default=False)
    referred_in_person = models.BooleanField(_("orientation vers une consultation physique"), default=False)
    report_channel = models.CharField(
        _("envoi du compte rendu"), max_length=10, choices=ReportChannel.choices, blank=True
    )
    follow_up_needed = models.BooleanField(_("suivi à prévoir"), default=False)
    follow_up_note = models.CharField(_("suivi : précisions"), max_length=300, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("rendez-vous")
        verbose_name_plural = _("rendez-vous")
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="appointment_order"),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(hold_expires_at__isnull=False), name="appointment_hold_expiry"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["held", "expired", "cancelled"]) | Q(patient__isnull=False),
                name="appointment_patient_once_booked",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="scheduling_appointment_status")]

    def __str__(self) -> str:
        return f"rendez-vous #{self.pk} {self.starts_at:%Y-%m-%d %H:%M}"

    def is_held_by(self, user: Any) -> bool:
        """The one "own hold" rule: a hold is confirmed or released by whoever placed it (a hold with no
        recorded holder, placed by the system, by any booker who may see it). A hold placed on the public
        pages belongs to that patient's booking alone (``user`` None: the public pages, which check the
        patient's browser session)."""
        if self.status != AppointmentStatus.HELD:
            return False
        if self.channel == Channel.ONLINE and self.created_by_id is None:
            return user is None
        return self.created_by_id in (None, getattr(user, "pk", None))


class AppointmentTransition(models.Model):
    """Immutable log row of one transition (who, when, from, to, why, through which channel)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="transitions")
    name = models.CharField(max_length=20)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    occurred_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        verbose_name = _("transition de rendez-vous")

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.from_status or '∅'} → {self.to_status}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("Transition log rows are immutable.")
        super().save(*args, **kwargs)


# No busy row lasts longer (a check constraint): a row overlapping an instant then starts at most this long
# before it, which bounds the engine's index range scans by key (see ``engine.search._busy_rows``).
MAX_BUSY_MINUTES = 24 * 60


class ResourceBooking(models.Model):
    """One busy interval of one resource for one appointment (room, assistant, doctor: three rows).

    ``resource_key`` is "room:<id>" or "pro:<id>" (a professional is one person wherever they work).
    On PostgreSQL an exclusion constraint forbids two overlapping rows with the same key (migration
    0002); ``ends_at`` includes the use's buffer.
    """

    # Indexed by the unique (appointment, resource_key) constraint, which leads with it.
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="resource_bookings", db_index=False
    )
    resource_key = models.CharField(max_length=24)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # The same instants in minutes since the epoch, and a hold's expiry: the engine reads integers
    # without joins or datetime parsing. Always built through ``ResourceBooking.build``.
    starts_minute = models.BigIntegerField()
    ends_minute = models.BigIntegerField()
    hold_expires_minute = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("occupation d'une ressource")
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="resource_booking_order"),
            models.CheckConstraint(
                condition=Q(starts_minute__lt=F("ends_minute")), name="resource_booking_minute_order"
            ),
            models.CheckConstraint(
                condition=Q(ends_minute__lte=F("starts_minute") + MAX_BUSY_MINUTES),
                name="resource_booking_at_most_a_day",
            ),
            models.UniqueConstraint(fields=["appointment", "resource_key"], name="resource_booking_unique"),
        ]
        # Every read of busy time goes by key and a range of starts (the engine, the booking's overlap check): one
        # index serves them, beside the unique constraint and, on PostgreSQL, the exclusion constraint. Three rows
        # are written per booking, so each further index costs three writes.
        indexes = [models.Index(fields=["resource_key", "starts_minute"])]

    def __str__(self) -> str:
        return f"{self.resource_key} {self.starts_at:%Y-%m-%d %H:%M}"

    @classmethod
    def build(
        cls,
        *,
        appointment: Appointment,
        resource_key: str,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
        hold_expires_at: dt.datetime | None = None,
    ) -> ResourceBooking:
        return cls(
            appointment=appointment,
            resource_key=resource_key,
            starts_at=starts_at,
            ends_at=ends_at,
            starts_minute=_epoch_minutes(starts_at),
            ends_minute=_epoch_minutes(ends_at),
            # Rounded up: a hold is never seen as expired before its time.
            hold_expires_minute=-_epoch_minutes(-hold_expires_at.timestamp()) if hold_expires_at else None,
        )


def _epoch_minutes(moment: dt.datetime | float) -> int:
    seconds = moment if isinstance(moment, float) else moment.timestamp()
    return int(seconds // 60)


def room_key(room_id: int) -> str:
    return f"room:{room_id}"


def professional_key(professional_id: int) -> str:
    return f"pro:{professional_id}"
