"""Reads of scheduling data."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from .models import ResourceBooking


def double_bookings_count() -> int:
    """Busy rows overlapping another row of the same resource: one query over all resources (always 0)."""
    other = ResourceBooking.objects.filter(
        resource_key=OuterRef("resource_key"),
        starts_at__lt=OuterRef("ends_at"),
        ends_at__gt=OuterRef("starts_at"),
    ).exclude(pk=OuterRef("pk"))
    return ResourceBooking.objects.filter(Exists(other)).count()
