"""Charter pages: the charter in force with its register of signatures and the forms to sign it, its versions,
and for administrators the preparation and publication of the next one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from maille.accounts.permissions import has_permission, require_permission
from maille.core.errors import DomainError
from maille.directory.models import Professional
from maille.directory.selectors import professionals_visible_to, sites_managed_by, sites_visible_to

from .charter import charter_draft, charter_publish, charter_sign, charter_update, published_charter
from .models import CharterSignature, CharterVersion, VersionStatus
from .selectors import charter_versions_visible_to
from .views import FieldErrors


def _charter_context(request: HttpRequest, **given: Any) -> dict[str, Any]:
    version = published_charter()
    user = request.user
    signatures = (
        list(
            CharterSignature.objects.filter(version=version)
            .filter(site__in=sites_visible_to(user).values("pk"))
            .select_related("site", "signed_by")
            .order_by("site__name")
        )
        if version
        else []
    )
    signed_site_ids = {s.site_id for s in signatures}
    professional_signatures = (
        list(
            CharterSignature.objects.filter(
                version=version, professional__in=professionals_visible_to(user).values("pk")
            )
            .select_related("professional")
            .order_by("professional__last_name")
        )
        if version
        else []
    )
    can_sign = has_permission(user, "quality.sign_charter") and version is not None
    own_professional = Professional.objects.filter(user=user).first() if can_sign else None
    signed_by_me = bool(
        own_professional
        and version
        and CharterSignature.objects.filter(version=version, professional=own_professional).exists()
    )
    signable_sites = (
        [site for site in sites_managed_by(user).order_by("name") if site.pk not in signed_site_ids]
        if can_sign
        else []
    )
    unsigned_sites = list(sites_visible_to(user).exclude(pk__in=signed_site_ids).order_by("name")[:200])
    return {
        "version": version,
        "signatures": signatures,
        "professional_signatures": professional_signatures,
        "signable_sites": signable_sites,
        "unsigned_sites": unsigned_sites,
        "own_professional": own_professional if not signed_by_me else None,
        "errors": given.get("errors", FieldErrors()),
        "values": given.get("values", {"site": "", "nom": user.get_full_name(), "qualite": ""}),
    }


@require_GET
@require_permission("quality.view")
def charter(request: HttpRequest) -> HttpResponse:
    return render(request, "quality/charter.html", _charter_context(request))


@require_permission("quality.sign_charter")
@require_POST
def charter_sign_view(request: HttpRequest) -> HttpResponse:
    values = {
        "site": request.POST.get("site", ""),
        "nom": request.POST.get("nom", ""),
        "qualite": request.POST.get("qualite", ""),
    }
    try:
        if request.POST.get("pour") == "moi":
            professional = Professional.objects.filter(user=request.user).first()
            if professional is None:
                raise DomainError(
                    _("Votre compte n'est relié à aucun professionnel de l'annuaire."), code="no_professional"
                )
            charter_sign(request.user, professional=professional)
        else:
            try:
                site = sites_managed_by(request.user).filter(pk=int(values["site"])).first()
            except ValueError:
                site = None
            if site is None:
                raise DomainError(_("Choisissez un des sites dont vous avez la charge."), code="invalid_site",
                                  details={"field": "site"})  # fmt: skip
            charter_sign(
                request.user, site=site, signatory_name=values["nom"], signatory_role=values["qualite"]
            )
    except DomainError as error:
        field = str(error.details.get("field", ""))
        if field in ("site", "nom", "qualite"):
            context = _charter_context(request, errors=FieldErrors({field: error.message}), values=values)
            return render(request, "quality/charter.html", context, status=422)
        messages.error(request, error.message)
        return redirect("quality:charter")
    messages.success(request, _("Charte signée : la signature est inscrite au registre."))
    return redirect("quality:charter")


@require_GET
@require_permission("quality.view")
def charter_versions(request: HttpRequest) -> HttpResponse:
    versions = list(charter_versions_visible_to(request.user).select_related("published_by"))
    context = {
        "versions": versions,
        "can_draft": has_permission(request.user, "quality.edit_charter")
        and not any(v.status == VersionStatus.DRAFT for v in versions),
    }
    return render(request, "quality/charter_versions.html", context)


def _version_context(request: HttpRequest, version: CharterVersion, **given: Any) -> dict[str, Any]:
    return {
        "version": version,
        "can_edit": has_permission(request.user, "quality.edit_charter")
        and version.status == VersionStatus.DRAFT,
        "signature_count": version.signatures.count(),
        "errors": given.get("errors", FieldErrors()),
        "values": given.get("values", {"titre": version.title, "texte": version.body}),
    }


@require_GET
@require_permission("quality.view")
def charter_version(request: HttpRequest, charter_id: int) -> HttpResponse:
    version = get_object_or_404(charter_versions_visible_to(request.user), pk=charter_id)
    return render(request, "quality/charter_version.html", _version_context(request, version))


@require_permission("quality.edit_charter")
@require_POST
def charter_new(request: HttpRequest) -> HttpResponse:
    try:
        draft = charter_draft(request.user, title=request.POST.get("titre", ""))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("quality:charter_versions")
    messages.success(
        request,
        _("Version %(number)s préparée : modifiez son texte, puis publiez-la.") % {"number": draft.number},
    )
    return redirect("quality:charter_version", charter_id=draft.pk)


@require_permission("quality.edit_charter")
@require_POST
def charter_edit(request: HttpRequest, charter_id: int) -> HttpResponse:
    version = get_object_or_404(charter_versions_visible_to(request.user), pk=charter_id)
    values = {"titre": request.POST.get("titre", ""), "texte": request.POST.get("texte", "")}
    try:
        charter_update(request.user, version=version, title=values["titre"], body=values["texte"])
    except DomainError as error:
        field = str(error.details.get("field", ""))
        if field:
            context = _version_context(
                request, version, errors=FieldErrors({field: error.message}), values=values
            )
            return render(request, "quality/charter_version.html", context, status=422)
        messages.error(request, error.message)
        return redirect("quality:charter_version", charter_id=version.pk)
    messages.success(request, _("Projet de charte enregistré."))
    return redirect("quality:charter_version", charter_id=version.pk)


@require_permission("quality.edit_charter")
@require_POST
def charter_publish_view(request: HttpRequest, charter_id: int) -> HttpResponse:
    version = get_object_or_404(charter_versions_visible_to(request.user), pk=charter_id)
    try:
        charter_publish(request.user, version=version)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("quality:charter_version", charter_id=version.pk)
    messages.success(
        request, _("Charte publiée : elle est en vigueur, les sites doivent la signer à nouveau.")
    )
    return redirect("quality:charter")
