"""Diagnosis pages: the territory map (communes coloured by the official APL, and the network's sites).

The map crosses the territory and the directory, hence its place here, above both in the dependency graph.
"""

from __future__ import annotations

import csv
import json
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET

from maille.accounts.permissions import require_permission
from maille.directory.selectors import sites_visible_to
from maille.territory.models import SOUS_DENSE_APL_THRESHOLD, CommuneGeometry
from maille.territory.selectors import (
    APL_CLASSES,
    apl_class_for,
    communes_most_in_need,
    communes_visible_to,
    departements_visible_to,
)
from maille.territory.views import map_labels

from .figures import GAP_MINUTES, TRAVEL_LIMITS, WhatIf, diagnose, sorted_rows
from .legend import TRAVEL_CLASSES, diagnosis_labels
from .zones import Zone, zone_communes, zone_for, zones_visible_to


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


# --- the diagnosis of a zone ------------------------------------------------------------------------------
TABLE_ROWS = 30
SORTS = {
    "apl": _lazy("APL la plus basse"),
    "trajet": _lazy("trajet le plus long"),
    "ecart": _lazy("communes en écart d'abord"),
    "population": _lazy("population"),
}


def _zone_of(request: HttpRequest) -> tuple[Zone, dict[str, list[Zone]]]:
    """The zone asked (``?zone=departement:55``) or the user's first département; 404 outside the scope."""
    zones = zones_visible_to(request.user)
    requested = request.GET.get("zone", "")
    if requested:
        zone = zone_for(request.user, requested)
        if zone is None:
            raise Http404
        return zone, zones
    if not zones["departement"]:
        raise Http404
    return zones["departement"][0], zones


MAX_ENVISAGED = 20


def _what_if(request: HttpRequest, zone: Zone) -> tuple[WhatIf, list[str]]:
    """The hand-drawn scenario of the query (``ajout``: communes, ``retrait``: sites), and what was refused."""
    errors: list[str] = []
    added, seen = [], set()
    asked = [value.strip() for value in request.GET.getlist("ajout") if value.strip()]
    if len(asked) > MAX_ENVISAGED:
        errors.append(_("Au plus %(count)s sites envisagés à la fois.") % {"count": MAX_ENVISAGED})
        asked = asked[:MAX_ENVISAGED]
    visible = communes_visible_to(request.user).filter(latitude__isnull=False, longitude__isnull=False)
    for text in asked:
        commune = visible.filter(Q(code=text.upper()) | Q(name__iexact=text)).order_by("-population").first()
        if commune is None:
            errors.append(
                _("« %(text)s » : commune inconnue ou hors de votre territoire (code INSEE ou nom exact).")
                % {"text": text[:60]}
            )
        elif commune.code not in seen:
            seen.add(commune.code)
            added.append((commune.code, commune.name, commune.latitude, commune.longitude))
    zone_sites = set(
        sites_visible_to(request.user).active().filter(commune__in=zone_communes(request.user, zone))
        .values_list("pk", flat=True)
    )  # fmt: skip
    removed = set()
    for raw in request.GET.getlist("retrait"):
        if raw.isdigit() and int(raw) in zone_sites:
            removed.add(int(raw))
        else:
            errors.append(_("Site à retirer inconnu dans cette zone : %(raw)s.") % {"raw": raw[:20]})
    return WhatIf(tuple(added), frozenset(removed)), errors


def _diagnosis_context(request: HttpRequest, zone: Zone) -> dict[str, object]:
    what_if, errors = _what_if(request, zone)
    today = diagnose(request.user, zone)
    scenario = None if what_if.is_empty else diagnose(request.user, zone, what_if=what_if)
    shown = scenario or today
    order = request.GET.get("tri", "apl")
    order = order if order in SORTS else "apl"
    scenario_query = [("ajout", code) for code, *_rest in what_if.added] + [
        ("retrait", str(pk)) for pk in sorted(what_if.removed)
    ]

    def change(attribute: str, limit: int | None = None) -> dict[str, int] | None:
        if scenario is None:
            return None
        before = getattr(today, attribute) if limit is None else getattr(today, attribute)[limit]
        after = getattr(scenario, attribute) if limit is None else getattr(scenario, attribute)[limit]
        return {"before": before, "delta": after - before}

    return {
        "zone": zone,
        "changes": {
            "sous_dense": change("under_sous_dense"),
            "beyond_20": change("beyond", 20),
            "beyond_30": change("beyond", 30),
            "gap": change("gap_population"),
        },
        "diagnosis": shown,
        "today": today,
        "scenario": scenario,
        "what_if": what_if,
        "what_if_errors": errors,
        "table": sorted_rows(shown.rows, order, TABLE_ROWS),
        "order": order,
        "sorts": SORTS,
        "zone_query": urlencode([("zone", zone.key), *scenario_query]),
        "sous_dense_threshold": SOUS_DENSE_APL_THRESHOLD,
        "gap_minutes": GAP_MINUTES,
    }


@require_GET
@require_permission("diagnosis.view")
def diagnosis_page(request: HttpRequest) -> HttpResponse:
    if not departements_visible_to(request.user).exists():
        return render(request, "diagnosis/no_territory.html")
    zone, zones = _zone_of(request)
    context = _diagnosis_context(request, zone)
    query = {"zone": zone.key}
    context.update({
        "zones": zones,
        "apl_classes": APL_CLASSES,
        "travel_classes": TRAVEL_CLASSES,
        "travel_limits": TRAVEL_LIMITS,
        "map_config": {
            "geojsonUrl": f"{reverse('diagnosis:geojson')}?{urlencode(query)}",
            "tilesUrl": settings.MAILLE_MAP_TILES_URL,
            "sites": _map_sites(request, zone),
            "aplClasses": [{"upper": c.upper, "css": c.css_class} for c in APL_CLASSES],
            "travelClasses": [{"upper": c.upper, "css": c.css_class} for c in TRAVEL_CLASSES],
        },
        "map_labels": {**map_labels(), **diagnosis_labels()},
    })  # fmt: skip
    status = 400 if context["what_if_errors"] else 200
    return render(request, "diagnosis/diagnosis.html", context, status=status)


@require_GET
@require_permission("diagnosis.view")
def diagnosis_figures(request: HttpRequest) -> HttpResponse:
    """The key figures and the table alone (HTMX): a hand-drawn scenario answers without reloading the map."""
    zone, _zones = _zone_of(request)
    context = _diagnosis_context(request, zone)
    status = 400 if context["what_if_errors"] else 200
    response = render(request, "diagnosis/_figures.html", context, status=status)
    # the address bar shows the page of this scenario (a reload, a bookmark or a shared link opens it)
    response["HX-Push-Url"] = f"{reverse('diagnosis:diagnosis')}?{request.GET.urlencode()}"
    return response


def _map_sites(request: HttpRequest, zone: Zone) -> list[dict[str, object]]:
    sites = sites_visible_to(request.user).active().filter(commune__in=zone_communes(request.user, zone))
    return [
        {
            "name": site.name,
            "commune": site.commune.name,
            "lat": site.latitude,
            "lon": site.longitude,
            "url": reverse("directory:site_detail", args=[site.pk]),
            "fictional": site.is_fictional,
        }  # fmt: skip
        for site in sites.select_related("commune").order_by("name")
    ]


@require_GET
@require_permission("diagnosis.view")
def diagnosis_csv(request: HttpRequest) -> HttpResponse:
    zone, _zones = _zone_of(request)
    diagnosis = diagnose(request.user, zone)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="diagnostic-{zone.kind}-{zone.code}.csv"'
    response.write("\ufeff")  # so that spreadsheet software reads the accents
    writer = csv.writer(response, delimiter=";")
    writer.writerow(["code_insee", "commune", "population", "apl_mg", "minutes_site_le_plus_proche",
                     "site_le_plus_proche", "ecart_de_couverture"])  # fmt: skip
    for row in diagnosis.rows:
        writer.writerow([
            row.code, row.name, row.population, "" if row.apl is None else f"{row.apl:.3f}".replace(".", ","),
            "" if row.travel_minutes is None else f"{row.travel_minutes:.1f}".replace(".", ","),
            row.nearest_site, "oui" if row.gap else "non",
        ])  # fmt: skip
    return response


@require_GET
@require_permission("diagnosis.view")
def diagnosis_geojson(request: HttpRequest) -> HttpResponse:
    zone, _zones = _zone_of(request)
    diagnosis = diagnose(request.user, zone)
    outlines = dict(
        CommuneGeometry.objects.filter(commune_id__in=[r.code for r in diagnosis.rows]).values_list(
            "commune_id", "geojson"
        )
    )
    features = [
        {
            "type": "Feature",
            "properties": {
                "code": r.code,
                "name": r.name,
                "population": r.population,
                "apl": r.apl,
                "travel": r.travel_minutes,
                "nearest": r.nearest_site,
                "gap": r.gap,
            },  # fmt: skip
            "geometry": outlines[r.code],
        }
        for r in diagnosis.rows
        if r.code in outlines
    ]
    payload = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                         separators=(",", ":"))  # fmt: skip
    response = HttpResponse(payload, content_type="application/geo+json")
    if request.GET.get("telecharger"):
        response["Content-Disposition"] = f'attachment; filename="diagnostic-{zone.kind}-{zone.code}.geojson"'
    return response
