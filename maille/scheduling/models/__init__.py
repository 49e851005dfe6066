"""Scheduling models, split by concern; import them from here."""

from .appointments import (
    BUSY_STATES,
    TRANSITIONS,
    Appointment,
    AppointmentQuerySet,
    AppointmentStatus,
    AppointmentTransition,
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
from .patients import IdentityStatus, Patient, PatientQuerySet, name_key
from .webhooks import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription

__all__ = [
    "BUSY_STATES",
    "TRANSITIONS",
    "Absence",
    "Appointment",
    "AppointmentQuerySet",
    "AppointmentStatus",
    "AppointmentTransition",
    "AvailabilityException",
    "AvailabilityRule",
    "DeliveryStatus",
    "IdentityStatus",
    "Patient",
    "PatientQuerySet",
    "ReservedRange",
    "ResourceBooking",
    "SiteClosure",
    "SiteSchedulingSettings",
    "UseBookingPolicy",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "name_key",
    "professional_key",
    "room_key",
]
