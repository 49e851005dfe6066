from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from maille.accounts.permissions import require_permission


@require_permission("territory.view_map")
def territory_map(request: HttpRequest) -> HttpResponse:
    return render(request, "territory/map.html", {})
