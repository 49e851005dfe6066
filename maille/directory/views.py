"""Directory pages: the searchable list of sites (with HTMX partial updates) and a site's detail."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from maille.accounts.permissions import has_permission, require_permission
from maille.territory.views import map_labels

from .attestations import attach_attestations
from .forms import SiteSearchForm
from .models import (
    EquipmentType,
    NetworkRole,
    NetworkRoleKind,
    Room,
    Site,
    SiteUse,
    Weekday,
)
from .selectors import filter_sites, sites_visible_to


def _is_htmx_fragment_request(request: HttpRequest) -> bool:
    # A history restore asks for the whole page, not the fragment.
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


@require_GET
@require_permission("directory.view")
def site_list(request: HttpRequest) -> HttpResponse:
    form = SiteSearchForm(request.GET or None, user=request.user)
    sites = filter_sites(sites_visible_to(request.user), form.to_filters()).order_by("name", "pk")
    paginator = Paginator(sites.with_directory_relations(), form.page_size)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    attach_attestations(page.object_list)
    markers = [
        {
            "name": row["name"],
            "commune": row["commune__name"],
            "lat": row["latitude"],
            "lon": row["longitude"],
            "url": reverse("directory:site_detail", args=[row["pk"]]),
            "fictional": row["is_fictional"],
        }
        for row in sites.values("pk", "name", "commune__name", "latitude", "longitude", "is_fictional")
    ]
    context = {
        "form": form,
        "page": page,
        "result_count": paginator.count,
        "markers": markers,
        "markers_json": json.dumps(markers, ensure_ascii=False),
        "map_config": {"tilesUrl": settings.MAILLE_MAP_TILES_URL},
        "map_labels": map_labels(),
    }
    template = (
        "directory/_site_results_response.html"
        if _is_htmx_fragment_request(request)
        else "directory/site_list.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@dataclass(frozen=True)
class OfferedUse:
    """A use offered at the site, with the rooms that hold each piece of equipment it requires."""

    site_use: SiteUse
    duration_minutes: int
    equipment: list[tuple[EquipmentType, list[Room]]]
    rooms_fully_equipped: list[Room]


def _offered_uses(site: Site) -> list[OfferedUse]:
    rooms = list(site.rooms.all())
    codes_by_room = {room.pk: {equipment.code for equipment in room.equipment.all()} for room in rooms}
    offered = []
    for site_use in site.site_uses.all():
        required = list(site_use.use.required_equipment.all())
        required_codes = {equipment.code for equipment in required}
        offered.append(
            OfferedUse(
                site_use=site_use,
                duration_minutes=site_use.duration_minutes or site_use.use.default_duration_minutes,
                equipment=[
                    (
                        equipment,
                        [room for room in rooms if equipment.code in codes_by_room[room.pk]],
                    )
                    for equipment in required
                ],
                rooms_fully_equipped=[
                    room for room in rooms if room.is_bookable and required_codes <= codes_by_room[room.pk]
                ],
            )
        )
    return offered


def _opening_days(site: Site) -> list[tuple[str, list[Any]]]:
    by_day: dict[int, list[Any]] = {day: [] for day in Weekday.values}
    for hours in site.opening_hours.all():
        by_day[hours.weekday].append(hours)
    return [(Weekday(day).label, ranges) for day, ranges in by_day.items()]


@require_GET
@require_permission("directory.view")
def site_detail(request: HttpRequest, site_id: int) -> HttpResponse:
    active_roles = NetworkRole.objects.active().select_related("professional__specialty", "organisation")
    site = get_object_or_404(
        sites_visible_to(request.user)
        .select_related("commune__departement", "host_organisation__commune")
        .prefetch_related(
            "rooms__equipment",
            "opening_hours",
            "commune__cpts",
            Prefetch(
                "site_uses",
                queryset=SiteUse.objects.filter(is_active=True)
                .select_related("use__remote_specialty")
                .prefetch_related("use__required_equipment")
                .order_by("use__name"),
            ),
            Prefetch("network_roles", queryset=active_roles, to_attr="active_network_roles"),
        ),
        pk=site_id,
    )
    roles = site.active_network_roles  # type: ignore[attr-defined]
    attach_attestations([site])
    context = {
        "site": site,
        "offered_uses": _offered_uses(site),
        "opening_days": _opening_days(site),
        "remote_doctors": [role for role in roles if role.kind == NetworkRoleKind.REMOTE_DOCTOR],
        "assistants": [role for role in roles if role.kind == NetworkRoleKind.ASSISTANT],
        "coordinators": [role for role in roles if role.kind == NetworkRoleKind.COORDINATOR],
        # The quality app (above the directory) serves its own block; the page only says where to load it.
        "shows_quality": has_permission(request.user, "quality.view_assessments"),
        "map_config": {
            "tilesUrl": settings.MAILLE_MAP_TILES_URL,
            "sites": [
                {
                    "name": site.name,
                    "commune": site.commune.name,
                    "lat": site.latitude,
                    "lon": site.longitude,
                    "url": "",
                    "fictional": site.is_fictional,
                }
            ],
        },
        "map_labels": map_labels(),
    }
    return render(request, "directory/site_detail.html", context)
