"""URL patterns of /fhir (included by ``maille.urls`` under the ``fhir`` namespace)."""

from __future__ import annotations

from django.urls import path, re_path

from .fhir import views

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("<str:resource_type_name>", views.search, name="search"),
    path("<str:resource_type_name>/<str:resource_id>", views.read, name="read"),
    re_path(r"^.*$", views.unknown_path, name="unknown-path"),
]
