"""Stored answers of POST requests sent with an ``Idempotency-Key`` header (kept 24 hours)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyKeyQuerySet(models.QuerySet["IdempotencyKey"]):
    def purge_expired(self, now: dt.datetime) -> int:
        """Delete the keys past their time (the API already ignores them); a periodic job."""
        deleted, _by_model = self.filter(expires_at__lte=now).delete()
        return deleted


class IdempotencyKey(models.Model):
    """The first request with a key, then its answer; a retry gets the same answer without acting twice.

    ``status_code`` is null while the first request is still running.
    """

    # Indexed by the unique (user, key) constraint, which leads with it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    objects = IdempotencyKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("clé d'idempotence")
        verbose_name_plural = _("clés d'idempotence")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
