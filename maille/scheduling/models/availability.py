"""When resources can be booked: weekly rules in local wall-clock time, their exceptions, absences,
site closures, per-use booking policies and reserved ranges.

A resource is a room, an assisting professional (at one site) or a remote doctor (at no site: a
doctor's time is shared by every site they serve).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from maille.directory.models import Weekday


class AvailabilityRule(models.Model):
    """A weekly recurring range (e.g. every Tuesday 9:00-12:00, Europe/Paris) with a validity period."""

    room = models.ForeignKey(
        "directory.Room", null=True, blank=True, on_delete=models.CASCADE, related_name="availability_rules"
    )
    professional = models.ForeignKey(
        "directory.Professional",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="availability_rules",
    )
    site = models.ForeignKey(
        "directory.Site",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Pour un professionnel assistant : le site où il assiste. Vide pour un médecin."),
    )
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    starts = models.TimeField(_("début (heure locale)"))
    ends = models.TimeField(_("fin (heure locale)"))
    valid_from = models.DateField(_("valable à partir du"))
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    # Part of the engine's cache key (engine/rule_table.py): bulk updates must set it too.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["weekday", "starts"]
        verbose_name = _("disponibilité récurrente")
        verbose_name_plural = _("disponibilités récurrentes")
        constraints = [
            models.CheckConstraint(condition=Q(starts__lt=F("ends")), name="availability_rule_time_order"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_from__lte=F("valid_until")),
                name="availability_rule_date_order",
            ),
            models.CheckConstraint(
                condition=(Q(room__isnull=False) & Q(professional__isnull=True))
                | (Q(room__isnull=True) & Q(professional__isnull=False)),
                name="availability_rule_one_resource",
            ),
        ]
        indexes = [models.Index(fields=["valid_from", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"

    def clean(self) -> None:
        if self.starts and self.ends and self.starts >= self.ends:
            raise ValidationError(_("L'heure de fin doit suivre l'heure de début."))
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise ValidationError(_("La fin de validité doit suivre son début."))
        if (self.room_id is None) == (self.professional_id is None):
            raise ValidationError(_("Une disponibilité porte sur une salle ou sur un professionnel."))
        if self.starts is None or self.ends is None or self.valid_from is None or self.weekday is None:
            return  # the missing fields have their own errors; the overlap check needs them all
        overlapping = AvailabilityRule.objects.filter(  # type: ignore[misc]  # None is a legal lookup value here
            room_id=self.room_id,
            professional_id=self.professional_id,
            weekday=self.weekday,
            starts__lt=self.ends,
            ends__gt=self.starts,
        ).exclude(pk=self.pk)
        if self.valid_until is not None:
            overlapping = overlapping.filter(valid_from__lte=self.valid_until)
        overlapping = overlapping.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=self.valid_from))
        if overlapping.exists():
            raise ValidationError(_("Cette disponibilité chevauche une autre disponibilité de la ressource."))


class AvailabilityException(models.Model):
    """Edits or cancels one occurrence of a rule (the occurrence of ``date``)."""

    rule = models.ForeignKey(AvailabilityRule, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField(_("date de l'occurrence"))
    is_cancelled = models.BooleanField(_("annulée"), default=False)
    starts = models.TimeField(_("nouveau début"), null=True, blank=True)
    ends = models.TimeField(_("nouvelle fin"), null=True, blank=True)
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("exception de disponibilité")
        verbose_name_plural = _("exceptions de disponibilité")
        constraints = [
            models.UniqueConstraint(fields=["rule", "date"], name="availability_exception_unique"),
            models.CheckConstraint(
                condition=Q(is_cancelled=True)
                | Q(starts__isnull=False, ends__isnull=False, starts__lt=F("ends")),
                name="availability_exception_times",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} — {self.date}"

    def clean(self) -> None:
        if self.rule_id and self.date and self.date.weekday() != self.rule.weekday:
            raise ValidationError(_("Cette date n'est pas une occurrence de la disponibilité."))


class Absence(models.Model):
    """A professional away (leave, training) or a room out of service, between two instants."""

    room = models.ForeignKey(
        "directory.Room", null=True, blank=True, on_delete=models.CASCADE, related_name="absences"
    )
    professional = models.ForeignKey(
        "directory.Professional", null=True, blank=True, on_delete=models.CASCADE, related_name="absences"
    )
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="absence_order"),
            models.CheckConstraint(
                condition=(Q(room__isnull=False) & Q(professional__isnull=True))
                | (Q(room__isnull=True) & Q(professional__isnull=False)),
                name="absence_one_resource",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room or self.professional} {self.starts_at:%Y-%m-%d}"

    def clean(self) -> None:
        if self.starts_at is None or self.ends_at is None or self.starts_at >= self.ends_at:
            return
        overlapping = Absence.objects.filter(  # type: ignore[misc]  # None is a legal lookup value here
            room_id=self.room_id,
            professional_id=self.professional_id,
            starts_at__lt=self.ends_at,
            ends_at__gt=self.starts_at,
        ).exclude(pk=self.pk)
        if overlapping.exists():
            raise ValidationError(_("Cette absence chevauche une absence déjà déclarée."))


class SiteClosure(models.Model):
    """A site closed (works, local event) between two instants: no room nor assistant there."""

    site = models.ForeignKey("directory.Site", on_delete=models.CASCADE, related_name="closures")
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("fermeture de site")
        verbose_name_plural = _("fermetures de site")
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="site_closure_order")
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.starts_at:%Y-%m-%d}"

    def clean(self) -> None:
        if (
            self.starts_at is None
            or self.ends_at is None
            or self.starts_at >= self.ends_at
            or not self.site_id
        ):
            return
        overlapping = SiteClosure.objects.filter(
            site_id=self.site_id, starts_at__lt=self.ends_at, ends_at__gt=self.starts_at
        ).exclude(pk=self.pk)
        if overlapping.exists():
            raise ValidationError(_("Cette fermeture chevauche une fermeture déjà déclarée."))


class SiteSchedulingSettings(models.Model):
    """Per-site scheduling settings kept here since the directory does not know about agendas."""

    site = models.OneToOneField(
        "directory.Site", on_delete=models.CASCADE, related_name="scheduling_settings"
    )
    open_on_public_holidays = models.BooleanField(_("ouvert les jours fériés"), default=False)

    class Meta:
        verbose_name = _("réglages d'agenda du site")
        verbose_name_plural = _("réglages d'agenda des sites")

    def __str__(self) -> str:
        return str(self.site)


class UseBookingPolicy(models.Model):
    """Booking settings of a use (the directory's catalogue entry): notice, horizon, buffer, grid."""

    use = models.OneToOneField("directory.Use", on_delete=models.CASCADE, related_name="booking_policy")
    min_notice_minutes = models.PositiveIntegerField(_("délai minimal de prévenance (minutes)"), default=60)
    horizon_days = models.PositiveSmallIntegerField(_("horizon de réservation (jours)"), default=56)
    buffer_minutes = models.PositiveSmallIntegerField(
        _("battement après chaque rendez-vous (minutes)"), default=0
    )
    slot_step_minutes = models.PositiveSmallIntegerField(
        _("pas des créneaux (minutes)"),
        default=10,
        help_text=_("Les créneaux commencent à un multiple de ce pas (diviseur de 60)."),
    )

    class Meta:
        verbose_name = _("règle de réservation d'un usage")
        verbose_name_plural = _("règles de réservation des usages")
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_step_minutes__in=[5, 10, 15, 20, 30, 60]),
                name="use_policy_step_divides_hour",
            ),
            models.CheckConstraint(condition=Q(horizon_days__gte=1), name="use_policy_horizon_positive"),
        ]

    def __str__(self) -> str:
        return str(self.use)


class ReservedRange(models.Model):
    """Weekly time at a site kept for one use (e.g. Tuesday mornings for dermatology).

    Other uses cannot take it, until ``release_hours_before`` hours before each occurrence: from then
    on, whatever is still free is open to every use.
    """

    site = models.ForeignKey("directory.Site", on_delete=models.CASCADE, related_name="reserved_ranges")
    use = models.ForeignKey("directory.Use", on_delete=models.CASCADE, related_name="reserved_ranges")
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    starts = models.TimeField(_("début (heure locale)"))
    ends = models.TimeField(_("fin (heure locale)"))
    valid_from = models.DateField(_("valable à partir du"))
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    release_hours_before = models.PositiveSmallIntegerField(
        _("libération automatique (heures avant)"), default=48
    )

    class Meta:
        ordering = ["site", "weekday", "starts"]
        verbose_name = _("plage réservée")
        verbose_name_plural = _("plages réservées")
        constraints = [
            models.CheckConstraint(condition=Q(starts__lt=F("ends")), name="reserved_range_time_order"),
        ]

    def __str__(self) -> str:
        return f"{self.site} — {self.use} — {self.get_weekday_display()} {self.starts:%H:%M}"

    def clean(self) -> None:
        if None in (self.starts, self.ends, self.valid_from, self.weekday) or not self.site_id:
            return
        overlapping = ReservedRange.objects.filter(
            site_id=self.site_id, weekday=self.weekday, starts__lt=self.ends, ends__gt=self.starts
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=self.valid_from))
        if self.valid_until is not None:
            overlapping = overlapping.filter(valid_from__lte=self.valid_until)
        if overlapping.exclude(pk=self.pk).exists():
            raise ValidationError(_("Cette plage chevauche une autre plage réservée du site."))
