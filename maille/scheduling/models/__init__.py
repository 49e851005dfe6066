"""Scheduling models, split by concern; import them from here."""

from .appointments import (
    BUSY_STATES,
    MAX_BUSY_MINUTES,
    SENT_REPORT_CHANNELS,
    TRANSITIONS,
    Appointment,
    AppointmentQuerySet,
    AppointmentStatus,
    AppointmentTransition,
    ReportChannel,
    ResourceBooking,
    professional_key,
    room_key,
)
from .availability import (
    Absence,
    AvailabilityException,
    AvailabilityRule,
    ReservedRange,
    SiteClosure,
    SiteSchedulingSettings,
    UseBookingPolicy,
)
from .waitlist import ACTIVE_WAITLIST, WaitlistEntry, WaitlistStatus
from .webhooks import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription

__all__ = [
    "ACTIVE_WAITLIST",
    "BUSY_STATES",
    "MAX_BUSY_MINUTES",
    "TRANSITIONS",
    "Absence",
    "Appointment",
    "AppointmentQuerySet",
    "AppointmentStatus",
    "AppointmentTransition",
    "ReportChannel",
    "SENT_REPORT_CHANNELS",
    "AvailabilityException",
    "AvailabilityRule",
    "DeliveryStatus",
    "ReservedRange",
    "ResourceBooking",
    "SiteClosure",
    "SiteSchedulingSettings",
    "UseBookingPolicy",
    "WaitlistEntry",
    "WaitlistStatus",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "professional_key",
    "room_key",
]
