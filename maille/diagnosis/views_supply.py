"""One's own supply data: upload a file of general practitioners (row-level report), compare the accessibility
computed from it with the published APL."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maille.accounts.permissions import has_permission, require_permission
from maille.territory.models import SOUS_DENSE_APL_THRESHOLD

from .supply import (
    MAX_BYTES,
    MAX_REPORTED_ERRORS,
    RowError,
    SupplyFileError,
    compare_with_published,
    supply_import_create,
    supply_import_delete,
    supply_imports_visible_to,
)
from .territory_inputs import TerritoryInputError
from .zones import zone_for, zones_visible_to

SUPPLY_TABLE_ROWS = 40


@require_http_methods(["GET", "POST"])
@require_permission("diagnosis.view")
def supply_list(request: HttpRequest) -> HttpResponse:
    """The imported supply files, and (for planners) the upload form with its row-level report."""
    can_plan = has_permission(request.user, "diagnosis.plan")
    report: SupplyFileError | None = None
    if request.method == "POST":
        if not can_plan:
            raise PermissionDenied
        upload = request.FILES.get("fichier")
        if upload is None:
            report = SupplyFileError([RowError(0, "fichier", "", _("Choisissez un fichier CSV."))])
        elif upload.size and upload.size > MAX_BYTES:
            report = SupplyFileError(
                [RowError(0, "fichier", "", _("Fichier trop volumineux (10 Mo au plus)."))]
            )
        else:
            try:
                supply = supply_import_create(
                    request.user, name=request.POST.get("nom", ""), data=upload.read(),
                    file_name=upload.name or "", exclude_65_and_over=bool(request.POST.get("moins_de_65")),
                )  # fmt: skip
                return redirect("diagnosis:supply_detail", supply_id=supply.pk)
            except SupplyFileError as error:
                report = error
    context = {
        "imports": list(supply_imports_visible_to(request.user).select_related("uploaded_by")),
        "can_plan": can_plan,
        "report": report,
        "name_value": request.POST.get("nom", "") if report else "",
        "max_reported": MAX_REPORTED_ERRORS,
    }
    return render(request, "diagnosis/supply_list.html", context, status=422 if report else 200)


@require_GET
@require_permission("diagnosis.view")
def supply_detail(request: HttpRequest, supply_id: int) -> HttpResponse:
    supply = get_object_or_404(supply_imports_visible_to(request.user), pk=supply_id)
    zones = zones_visible_to(request.user)
    covered = [z for z in zones["departement"] if z.code in supply.departements]
    requested = request.GET.get("zone", "")
    zone = zone_for(request.user, requested) if requested else (covered[0] if covered else None)
    if zone is None:
        raise Http404
    try:
        comparison = compare_with_published(request.user, zone, supply)
    except TerritoryInputError as error:
        # the APL parameters are not loaded: said on the offer's own page
        context = {"supply": supply, "error": str(error)}
        return render(request, "diagnosis/supply_unavailable.html", context, status=409)
    order = request.GET.get("tri", "ecart")
    ranked = sorted(
        (r for r in comparison.rows if r.population > 0 and r.difference is not None),
        key=(lambda r: -abs(r.difference or 0)) if order == "ecart" else (lambda r: r.computed),
    )
    context = {
        "supply": supply,
        "zone": zone,
        "zones": [z for kind in zones.values() for z in kind],
        "comparison": comparison,
        "table": ranked[:SUPPLY_TABLE_ROWS],
        "order": order,
        "can_plan": has_permission(request.user, "diagnosis.plan"),
        "sous_dense_threshold": SOUS_DENSE_APL_THRESHOLD,
    }
    return render(request, "diagnosis/supply_detail.html", context)


@require_permission("diagnosis.plan")
@require_POST
def supply_delete(request: HttpRequest, supply_id: int) -> HttpResponse:
    supply = get_object_or_404(supply_imports_visible_to(request.user), pk=supply_id)
    supply_import_delete(request.user, supply)
    return redirect("diagnosis:supply_list")
