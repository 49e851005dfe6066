"""Territory endpoints: the GeoJSON of a département's communes, and the words the map scripts show."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_GET

from maille.accounts.permissions import require_permission

from .selectors import (
    departement_communes_geojson,
    departements_visible_to,
    payload_etag,
)

# The outlines change only when an administrator re-imports them: a browser may keep them a while.
GEOJSON_MAX_AGE_SECONDS = 3600


def map_labels() -> dict[str, str]:
    """French words the map scripts show (tooltips, controls, status): translated here, not in JS."""
    return {
        "zoomIn": _("Zoom avant"),
        "zoomOut": _("Zoom arrière"),
        "population": _("Population"),
        "inhabitants": _("hab."),
        "apl": _("APL médecins généralistes"),
        "noApl": _("pas de valeur publiée"),
        "sousDense": _("sous-dense"),
        "openSite": _("Voir la fiche du site"),
        "fictional": _("fictif"),
        "loaded": _("Carte chargée : %(communes)s communes et %(sites)s sites."),
        "sitesLoaded": _("Carte : %(sites)s sites affichés."),
        "failed": _("La carte n'a pas pu être chargée. Le tableau ci-dessous reste disponible."),
        "tilesAttribution": _("Fond de carte : voir la configuration de la plateforme"),
    }


def _private_cache(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Cache-Control on the full answer and on the 304 alike (a 304 refreshes the browser's copy)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code in (200, 304):
            patch_cache_control(response, private=True, max_age=GEOJSON_MAX_AGE_SECONDS)
        return response

    return wrapped


def _geojson_payload(request: HttpRequest, code: str) -> bytes:
    """Build the payload once per request: the ETag is its hash, the body is the payload itself."""
    cached: dict[str, bytes] = request.__dict__.setdefault("_maille_geojson", {})
    if code not in cached:
        cached[code] = departement_communes_geojson(request.user, code)
    return cached[code]


def _geojson_etag(request: HttpRequest, code: str) -> str | None:
    if not request.user.is_authenticated:
        return None
    if not departements_visible_to(request.user).filter(code=code).exists():
        return None
    return payload_etag(_geojson_payload(request, code))


@require_GET
@require_permission("territory.view_map")
@_private_cache
@condition(etag_func=_geojson_etag)
def departement_geojson(request: HttpRequest, code: str) -> HttpResponse:
    if not departements_visible_to(request.user).filter(code=code).exists():
        # Same answer for an unknown département and one outside the scope: no probing.
        raise Http404
    return HttpResponse(_geojson_payload(request, code), content_type="application/geo+json")
