"""URL patterns of /fhir (included by ``maille.urls`` under the ``fhir`` namespace)."""

from __future__ import annotations

from django.urls import path, re_path

from .fhir import capability, scheduling, views

urlpatterns = [
    path("metadata", capability.metadata, name="metadata"),
    path("Slot", scheduling.slot_search, name="slot-search"),
    path("Slot/<str:resource_id>", scheduling.slot_instance, name="slot-instance"),
    path("Appointment", scheduling.appointment_type, name="appointment-type"),
    path("Appointment/<str:resource_id>", scheduling.appointment_instance, name="appointment-instance"),
    path("<str:resource_type_name>", views.search, name="search"),
    path("<str:resource_type_name>/<str:resource_id>", views.read, name="read"),
    re_path(r"^.*$", views.unknown_path, name="unknown-path"),
]
