"""Assembles the JSON API (/api/v1, django-ninja) and the FHIR endpoints (/fhir)."""

from __future__ import annotations

from .fhir_urls import urlpatterns as fhir_urlpatterns
from .v1 import api

__all__ = ["api", "fhir_urlpatterns"]
