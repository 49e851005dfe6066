"""Diagnosis pages: the territory map (communes coloured by the official APL, and the network's sites).

The map crosses the territory and the directory, hence its place here, above both in the dependency graph.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from maille.accounts.permissions import require_permission
from maille.directory.selectors import sites_visible_to
from maille.territory.models import SOUS_DENSE_APL_THRESHOLD
from maille.territory.selectors import (
    APL_CLASSES,
    apl_class_for,
    communes_most_in_need,
    departements_visible_to,
)
from maille.territory.views import map_labels


@require_GET
@require_permission("territory.view_map")
def territory_map(request: HttpRequest) -> HttpResponse:
    departements = list(departements_visible_to(request.user))
    if not departements:
        # Nothing imported yet, or a scope that holds no commune: say so rather than draw an empty map.
        return render(request, "diagnosis/no_territory.html")
    requested = request.GET.get("departement", "")
    selected = next((d for d in departements if d.code == requested), None)
    if requested and selected is None:
        raise Http404
    selected = selected or departements[0]
    sites = list(
        sites_visible_to(request.user)
        .active()
        .filter(commune__departement=selected)
        .select_related("commune")
        .order_by("name")
    )
    in_need = communes_most_in_need(request.user, selected.code)
    map_config = {
        "geojsonUrl": reverse("territory:departement_geojson", args=[selected.code]),
        "tilesUrl": settings.MAILLE_MAP_TILES_URL,
        "sites": [
            {
                "name": site.name,
                "commune": site.commune.name,
                "lat": site.latitude,
                "lon": site.longitude,
                "url": reverse("directory:site_detail", args=[site.pk]),
                "fictional": site.is_fictional,
            }
            for site in sites
        ],
        "classes": [{"upper": apl_class.upper, "css": apl_class.css_class} for apl_class in APL_CLASSES],
    }
    context = {
        "departements": departements,
        "selected": selected,
        "sites": sites,
        "communes_in_need": [(commune, apl_class_for(commune.apl_gp)) for commune in in_need],
        "apl_classes": APL_CLASSES,
        "sous_dense_threshold": SOUS_DENSE_APL_THRESHOLD,
        "map_config": map_config,
        "map_labels": map_labels(),
    }
    return render(request, "diagnosis/map.html", context)
