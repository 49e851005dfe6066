"""The /api/v1 NinjaAPI: authentication, problem-details errors, and the apps' routers."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Maille API",
    version="1",
    urls_namespace="api",
    description="API du réseau territorial de téléconsultation assistée (territoire, annuaire).",
)
