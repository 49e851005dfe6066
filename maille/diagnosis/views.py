"""Diagnosis pages: the territory map (communes coloured by the official APL, and the network's sites).

The map crosses the territory and the directory, hence its place here, above both in the dependency graph.
"""

from __future__ import annotations

import csv
import json
import re
import threading
import time
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET

from maille.accounts.permissions import has_permission, require_permission
from maille.directory.selectors import sites_visible_to
from maille.territory.models import SOUS_DENSE_APL_THRESHOLD, CommuneGeometry
from maille.territory.selectors import (
    APL_CLASSES,
    apl_class_for,
    communes_most_in_need,
    departements_visible_to,
)
from maille.territory.views import map_labels

from .figures import GAP_MINUTES, TRAVEL_LIMITS, CommuneRow, Diagnosis, diagnose, sorted_rows
from .legend import TRAVEL_CLASSES, diagnosis_labels
from .scenarios import check_what_if, what_if_query
from .zones import Zone, chosen_communes_refusal, zone_for, zones_visible_to


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


def _zone_of(request: HttpRequest, query: QueryDict | None = None) -> tuple[Zone, dict[str, list[Zone]]]:
    """The zone asked (``?zone=departement:55``, or ``?communes=55029,55545`` typed on the page) or the user's
    first département; 404 outside the scope."""
    zones = zones_visible_to(request.user)
    source = request.GET if query is None else query
    requested = source.get("zone", "")
    typed = source.get("communes", "").strip()
    if typed:
        requested = "communes:" + ",".join(typed_codes(typed))
    if requested:
        zone = zone_for(request.user, requested)
        if zone is None:
            raise Http404
        return zone, zones
    if not zones["departement"]:
        raise Http404
    return zones["departement"][0], zones


def typed_codes(text: str) -> list[str]:
    """INSEE codes typed in one field, separated by commas, semicolons or spaces."""
    return [part for part in re.split(r"[\s,;]+", text) if part]


# Today's diagnosis of a zone, kept a few seconds per user and zone: a what-if then computes only its own
# network (the page and its fragments ask for today's again at each click). Occupancy a few seconds old is
# harmless; a user's scope is in the key.
_today_cache: dict[tuple[int, str], tuple[float, Diagnosis]] = {}
_today_lock = threading.Lock()
TODAY_CACHE_SIZE = 256


def today_diagnosis(request: HttpRequest, zone: Zone) -> Diagnosis:
    seconds = settings.DIAGNOSIS_TODAY_CACHE_SECONDS
    key = (request.user.pk or 0, zone.key)
    now = time.monotonic()
    if seconds > 0:
        with _today_lock:
            kept = _today_cache.get(key)
        if kept is not None and now - kept[0] < seconds:
            return kept[1]
    today = diagnose(request.user, zone)
    if seconds > 0:
        with _today_lock:
            if len(_today_cache) >= TODAY_CACHE_SIZE:
                _today_cache.pop(next(iter(_today_cache)))
            _today_cache[key] = (now, today)
    return today


def forget_today_diagnoses() -> None:
    with _today_lock:
        _today_cache.clear()


def _diagnosis_context(request: HttpRequest, zone: Zone, query: QueryDict | None = None) -> dict[str, object]:
    """Today's figures, and the hand-drawn scenario of the query (``ajout``: communes, ``retrait``: sites)."""
    query = request.GET if query is None else query
    today = today_diagnosis(request, zone)
    drawn = check_what_if(
        request.user, zone, query.getlist("ajout"), query.getlist("retrait"),
        zone_site_ids={site.pk for site in today.sites},
    )  # fmt: skip
    what_if = drawn.what_if
    scenario = (
        None if what_if.is_empty
        else diagnose(request.user, zone, what_if=what_if, zone_sites=today.sites, now=today.computed_at)
    )  # fmt: skip
    shown = scenario or today
    order = query.get("tri", "apl")
    order = order if order in SORTS else "apl"
    zone_query = urlencode([("zone", zone.key), *what_if_query(what_if)])

    def change(
        attribute: str, limit: int | None = None, *, higher_is_better: bool = False
    ) -> dict[str, int] | None:
        if scenario is None:
            return None
        before = getattr(today, attribute) if limit is None else getattr(today, attribute)[limit]
        after = getattr(scenario, attribute) if limit is None else getattr(scenario, attribute)[limit]
        delta = after - before
        return {"before": before, "delta": delta, "improves": (delta > 0) == higher_is_better}

    return {
        "zone": zone,
        "changes": {
            "sous_dense": change("under_sous_dense"),
            "beyond_20": change("beyond", 20),
            "beyond_30": change("beyond", 30),
            "gap": change("gap_population"),
            "lifted": change("lifted_population", higher_is_better=True),
        },
        "diagnosis": shown,
        "today": today,
        "scenario": scenario,
        "what_if": what_if,
        "what_if_errors": drawn.errors,
        "table": sorted_rows(shown.rows, order, TABLE_ROWS),
        "order": order,
        "sorts": SORTS,
        "zone_query": zone_query,
        "scenario_map_json": json.dumps(
            {
                "geojsonUrl": f"{reverse('diagnosis:geojson')}?{zone_query}",
                "valuesUrl": f"{reverse('diagnosis:values')}?{zone_query}",
                "envisaged": [
                    {"code": c, "name": n, "lat": lat, "lon": lon} for c, n, lat, lon in what_if.added
                ],
                "removed": sorted(what_if.removed),
            }
        ),
        "can_plan": has_permission(request.user, "diagnosis.plan"),
        "save_errors": {},
        "save_name": "",
        "sous_dense_threshold": SOUS_DENSE_APL_THRESHOLD,
        "gap_minutes": GAP_MINUTES,
    }


def diagnosis_page_response(
    request: HttpRequest, zone: Zone, zones: dict[str, list[Zone]], query: QueryDict | None = None,
    *, extra: dict[str, object] | None = None, status: int | None = None,
) -> HttpResponse:  # fmt: skip
    """The whole diagnosis page (also shown again, with its errors, by a scenario that cannot be saved)."""
    context = _diagnosis_context(request, zone, query)
    context.update({
        "zones": zones,
        "apl_classes": APL_CLASSES,
        "travel_classes": TRAVEL_CLASSES,
        "travel_limits": TRAVEL_LIMITS,
        "map_config": {
            "tilesUrl": settings.MAILLE_MAP_TILES_URL,
            "sites": _map_sites(context["today"]),  # type: ignore[arg-type]
            "aplClasses": [{"upper": c.upper, "css": c.css_class} for c in APL_CLASSES],
            "travelClasses": [{"upper": c.upper, "css": c.css_class} for c in TRAVEL_CLASSES],
        },
        "map_labels": {**map_labels(), **diagnosis_labels()},
        "zone_error": "",
        "typed_communes": zone.code if zone.kind == "communes" else "",
        **(extra or {}),
    })  # fmt: skip
    if status is None:
        status = 400 if context["what_if_errors"] else 200
    return render(request, "diagnosis/diagnosis.html", context, status=status)


@require_GET
@require_permission("diagnosis.view")
def diagnosis_page(request: HttpRequest) -> HttpResponse:
    if not departements_visible_to(request.user).exists():
        return render(request, "diagnosis/no_territory.html")
    typed = request.GET.get("communes", "").strip()
    if typed:
        refusal = chosen_communes_refusal(request.user, typed_codes(typed))
        if refusal:  # the page of the user's first zone, the list kept in its field, the reason above it
            query = request.GET.copy()
            query.pop("communes")
            zone, zones = _zone_of(request, query)
            extra: dict[str, object] = {"zone_error": refusal, "typed_communes": typed}
            return diagnosis_page_response(request, zone, zones, query, extra=extra, status=400)
    zone, zones = _zone_of(request)
    return diagnosis_page_response(request, zone, zones)


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


def _map_sites(today: Diagnosis) -> list[dict[str, object]]:
    return [
        {
            "pk": site.pk,
            "name": site.name,
            "commune": site.commune,
            "lat": site.latitude,
            "lon": site.longitude,
            "url": reverse("directory:site_detail", args=[site.pk]),
            "fictional": site.is_fictional,
        }  # fmt: skip
        for site in today.sites
        if site.latitude is not None and site.longitude is not None
    ]


@require_GET
@require_permission("diagnosis.view")
def diagnosis_csv(request: HttpRequest) -> HttpResponse:
    zone, _zones = _zone_of(request)
    diagnosis = _downloaded(request, zone)
    if isinstance(diagnosis, HttpResponse):
        return diagnosis
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="diagnostic-{zone.kind}-{zone.code}.csv"'
    response.write("\ufeff")  # so that spreadsheet software reads the accents
    writer = csv.writer(response, delimiter=";")
    writer.writerow(["code_insee", "commune", "population", "apl_mg", "apl_avec_reseau",
                     "minutes_site_le_plus_proche", "site_le_plus_proche", "ecart_de_couverture"])  # fmt: skip
    for row in diagnosis.rows:
        writer.writerow([
            row.code, row.name, row.population, _decimal(row.apl, 3), _decimal(row.network_apl, 3),
            _decimal(row.travel_minutes, 1), row.nearest_site, "oui" if row.gap else "non",
        ])  # fmt: skip
    return response


@require_GET
@require_permission("diagnosis.view")
def diagnosis_geojson(request: HttpRequest) -> HttpResponse:
    zone, _zones = _zone_of(request)
    diagnosis = _downloaded(request, zone)
    if isinstance(diagnosis, HttpResponse):
        return diagnosis
    outlines = dict(
        CommuneGeometry.objects.filter(commune_id__in=[r.code for r in diagnosis.rows]).values_list(
            "commune_id", "geojson"
        )
    )
    features = [
        {"type": "Feature", "properties": _properties(r), "geometry": outlines[r.code]}
        for r in diagnosis.rows
        if r.code in outlines
    ]
    payload = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                         separators=(",", ":"))  # fmt: skip
    response = HttpResponse(payload, content_type="application/geo+json")
    if request.GET.get("telecharger"):
        response["Content-Disposition"] = f'attachment; filename="diagnostic-{zone.kind}-{zone.code}.geojson"'
    return response


def _properties(row: CommuneRow) -> dict[str, object]:
    return {
        "code": row.code,
        "name": row.name,
        "population": row.population,
        "apl": row.apl,
        "network": row.network_apl,
        "travel": row.travel_minutes,
        "nearest": row.nearest_site,
        "gap": row.gap,
    }


@require_GET
@require_permission("diagnosis.view")
def diagnosis_values(request: HttpRequest) -> HttpResponse:
    """Each commune's values without its outline: the map, drawn once, recolours itself for a new scenario
    from these (a tenth of the GeoJSON's weight)."""
    zone, _zones = _zone_of(request)
    diagnosis = _downloaded(request, zone)
    if isinstance(diagnosis, HttpResponse):
        return diagnosis
    payload = json.dumps(
        {r.code: _properties(r) for r in diagnosis.rows}, ensure_ascii=False, separators=(",", ":")
    )
    return HttpResponse(payload, content_type="application/json")


def _decimal(value: float | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}".replace(".", ",")


def _downloaded(request: HttpRequest, zone: Zone) -> Diagnosis | HttpResponse:
    """The figures behind a download or a map layer: today's network, or the scenario of the query (its
    errors answer 400 with the page's messages, never a silent fallback to today's network)."""
    drawn = check_what_if(request.user, zone, request.GET.getlist("ajout"), request.GET.getlist("retrait"))
    if drawn.errors:
        return HttpResponse("\n".join(drawn.errors), status=400, content_type="text/plain; charset=utf-8")
    return diagnose(request.user, zone, what_if=drawn.what_if, with_sites=False)
