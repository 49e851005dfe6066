"""Scenarios a committee decides with, and the optimiser runs that propose them.

A ``Scenario`` is a named change to the network of one zone: sites envisaged at communes, existing sites taken
away, and the sizing assumptions its figures are computed with. Its figures are never stored: they are
computed again from today's data each time it is shown, so that a scenario saved in spring still compares
with the network of autumn. An ``OptimisationRun`` is one request to the optimiser, run by the task worker:
its progress, its result (the proposed communes) and whether it was cancelled.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScenarioOrigin(models.TextChoices):
    MANUAL = "manual", _("dessiné à la main")
    OPTIMISER = "optimiser", _("proposé par l'optimiseur")


class Scenario(models.Model):
    name = models.CharField(_("nom"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    zone_key = models.CharField(_("zone"), max_length=80, db_index=True)
    # INSEE codes of the communes where a site is envisaged, and pks of the directory sites taken away
    added_communes = models.JSONField(_("sites envisagés"), default=list, blank=True)
    removed_sites = models.JSONField(_("sites retirés"), default=list, blank=True)
    assumptions = models.JSONField(_("hypothèses de dimensionnement"), default=dict, blank=True)
    origin = models.CharField(max_length=12, choices=ScenarioOrigin.choices, default=ScenarioOrigin.MANUAL)
    # for a proposal: the optimiser's parameters, status and proven gap (what makes "optimal" true)
    optimisation = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("scénario")

    def __str__(self) -> str:
        return self.name


class RunState(models.TextChoices):
    QUEUED = "queued", _("en attente")
    RUNNING = "running", _("en cours")
    DONE = "done", _("terminé")
    FAILED = "failed", _("échec")
    CANCELLED = "cancelled", _("annulé")


FINISHED_STATES = (RunState.DONE, RunState.FAILED, RunState.CANCELLED)


class OptimisationRun(models.Model):
    zone_key = models.CharField(max_length=80, db_index=True)
    parameters = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    step = models.CharField(max_length=200, blank=True)
    cancel_requested = models.BooleanField(default=False)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    scenario = models.ForeignKey(
        Scenario, null=True, blank=True, on_delete=models.SET_NULL, related_name="optimisation_runs"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("optimisation")

    def __str__(self) -> str:
        return f"optimisation {self.pk} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES

    def as_progress(self) -> dict[str, Any]:
        return {"state": self.state, "progress": self.progress, "step": self.step}


class SupplyImport(models.Model):
    """A file of general practitioners per commune with their activity (``supply.py``), kept as the counted
    activity per commune: what the accessibility needs, no more (no name nor RPPS number is stored)."""

    name = models.CharField(_("nom"), max_length=120)
    file_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    departements = models.JSONField(default=list)  # the départements the file covers (those of its rows)
    communes = models.JSONField(default=dict)  # INSEE code → {"gps": count, "activity": counted acts}
    practitioners = models.PositiveIntegerField(default=0)
    exclude_65_and_over = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("offre de soins importée")

    def __str__(self) -> str:
        return self.name
