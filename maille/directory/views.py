from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from maille.accounts.permissions import require_permission

from .selectors import sites_visible_to


@require_permission("directory.view")
def site_list(request: HttpRequest) -> HttpResponse:
    sites = sites_visible_to(request.user).with_directory_relations()
    return render(request, "directory/site_list.html", {"sites": sites})


@require_permission("directory.view")
def site_detail(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_object_or_404(sites_visible_to(request.user).with_directory_relations(), pk=site_id)
    return render(request, "directory/site_detail.html", {"site": site})
