"""The referential's pages: the published version (filtered by site level), every version and what it changed,
and for administrators the preparation of the next one (criteria reworded, added, withdrawn; review; publish).

A refused action (a frozen version, a second draft) comes back as a message on the version's page; a criterion
with wrong fields comes back with its form and each field's error, nothing saved.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from maille.accounts.permissions import has_permission, require_permission
from maille.core.errors import DomainError
from maille.directory.models import SiteLevel

from .models import Criterion, Evidence, ReferentialVersion, Requirement, Section
from .selectors import versions_visible_to
from .services import (
    criterion_add,
    criterion_update,
    criterion_withdraw,
    published_version,
    referential_draft,
    referential_publish,
    referential_return,
    referential_submit,
    version_changes,
)


class FieldErrors(dict[str, object]):
    """Each field's error; a field without one reads as "" (and is not added: an empty one stays falsy)."""

    def __missing__(self, key: str) -> str:
        return ""


# A new criterion's form starts from these (every key the form reads).
BLANK_CRITERION = {
    "title": "",
    "requirement": "mandatory",
    "evidence": "yes_no",
    "site_levels": [],
    "guidance": "",
}


def _version_context(request: HttpRequest, version: ReferentialVersion, **extra: Any) -> dict[str, Any]:
    level = request.GET.get("niveau", "")
    level = level if level in SiteLevel.values else ""
    sections = []
    for section in version.sections.prefetch_related("criteria"):
        criteria = [c for c in section.criteria.all() if not level or c.applies_to(level)]
        sections.append({"section": section, "criteria": criteria})
    changes = version_changes(version) if version.based_on_id else []
    return {
        "version": version,
        "sections": sections,
        "level": level,
        "levels": SiteLevel.choices,
        "level_labels": dict(SiteLevel.choices),
        "requirements": Requirement.choices,
        "evidences": Evidence.choices,
        "counts": {
            "criteria": sum(len(s["criteria"]) for s in sections),
            "mandatory": sum(
                1 for s in sections for c in s["criteria"] if c.requirement == Requirement.MANDATORY
            ),
        },
        "changes": [c for c in changes if c.change != "unchanged"],
        "can_edit": has_permission(request.user, "quality.edit_referential") and version.status == "draft",
        "can_review": has_permission(request.user, "quality.edit_referential") and version.status == "review",
        "form_errors": FieldErrors(),
        "no_errors": FieldErrors(),
        "editing_kind": "",
        "editing_id": 0,
        "values": BLANK_CRITERION,
        "blank_criterion": BLANK_CRITERION,
        **extra,
    }


@require_GET
@require_permission("quality.view")
def referential(request: HttpRequest) -> HttpResponse:
    """The referential in force."""
    version = published_version()
    if version is None:
        return render(request, "quality/no_referential.html")
    return render(request, "quality/version.html", _version_context(request, version, current=True))


@require_GET
@require_permission("quality.view")
def version_list(request: HttpRequest) -> HttpResponse:
    versions = list(versions_visible_to(request.user).select_related("based_on", "published_by"))
    context = {
        "versions": versions,
        "can_draft": has_permission(request.user, "quality.edit_referential")
        and not any(v.status in ("draft", "review") for v in versions),
    }
    return render(request, "quality/version_list.html", context)


@require_GET
@require_permission("quality.view")
def version_detail(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(versions_visible_to(request.user), pk=version_id)
    return render(request, "quality/version.html", _version_context(request, version, current=False))


def _refused(request: HttpRequest, error: DomainError) -> None:
    messages.error(request, error.message)


@require_permission("quality.edit_referential")
@require_POST
def version_draft(request: HttpRequest) -> HttpResponse:
    try:
        draft = referential_draft(request.user, title=request.POST.get("title", ""))
    except DomainError as error:
        _refused(request, error)
        return redirect("quality:versions")
    messages.success(request, _("Version %(number)s préparée : modifiez ses critères, puis soumettez-la.")
                     % {"number": draft.number})  # fmt: skip
    return redirect("quality:version", version_id=draft.pk)


@require_permission("quality.edit_referential")
@require_POST
def version_action(request: HttpRequest, version_id: int, action: str) -> HttpResponse:
    version = get_object_or_404(versions_visible_to(request.user), pk=version_id)
    try:
        if action == "soumettre":
            referential_submit(request.user, version)
            messages.success(request, _("Version soumise à relecture."))
        elif action == "renvoyer":
            referential_return(request.user, version, reason=request.POST.get("motif", ""))
            messages.success(request, _("Version renvoyée en brouillon."))
        elif action == "publier":
            referential_publish(request.user, version)
            messages.success(request, _("Version %(number)s publiée : elle ne se modifie plus.")
                             % {"number": version.number})  # fmt: skip
        else:
            raise Http404
    except DomainError as error:
        _refused(request, error)
    return redirect("quality:version", version_id=version.pk)


def _criterion_values(request: HttpRequest) -> dict[str, Any]:
    return {
        "title": request.POST.get("title", ""),
        "requirement": request.POST.get("requirement", ""),
        "evidence": request.POST.get("evidence", ""),
        "site_levels": request.POST.getlist("site_levels"),
        "guidance": request.POST.get("guidance", ""),
    }


def _criterion_refused(request: HttpRequest, version: ReferentialVersion, error: DomainError, kind: str,
                       key: int, values: dict[str, Any]) -> HttpResponse:  # fmt: skip
    if error.code != "invalid_criterion":  # a frozen version: said on its page
        _refused(request, error)
        return redirect("quality:version", version_id=version.pk)
    context = _version_context(request, version, current=False, form_errors=FieldErrors(error.details),
                               editing_kind=kind, editing_id=key, values=values)  # fmt: skip
    return render(request, "quality/version.html", context, status=422)


@require_permission("quality.edit_referential")
@require_POST
def criterion_edit(request: HttpRequest, criterion_id: int) -> HttpResponse:
    criterion = get_object_or_404(Criterion.objects.select_related("version"), pk=criterion_id)
    values = _criterion_values(request)
    try:
        criterion_update(request.user, criterion, values)
    except DomainError as error:
        return _criterion_refused(request, criterion.version, error, "criterion", criterion.pk, values)
    messages.success(request, _("Critère %(code)s enregistré.") % {"code": criterion.code})
    return redirect(f"{criterion.version_url()}#critere-{criterion.pk}")


@require_permission("quality.edit_referential")
@require_POST
def criterion_remove(request: HttpRequest, criterion_id: int) -> HttpResponse:
    criterion = get_object_or_404(Criterion.objects.select_related("version"), pk=criterion_id)
    version = criterion.version
    try:
        criterion_withdraw(request.user, criterion)
        messages.success(request, _("Critère %(code)s retiré de cette version.") % {"code": criterion.code})
    except DomainError as error:
        _refused(request, error)
    return redirect("quality:version", version_id=version.pk)


@require_permission("quality.edit_referential")
@require_POST
def criterion_new(request: HttpRequest, section_id: int) -> HttpResponse:
    section = get_object_or_404(Section.objects.select_related("version"), pk=section_id)
    values = _criterion_values(request)
    try:
        criterion = criterion_add(request.user, section, values)
    except DomainError as error:
        return _criterion_refused(request, section.version, error, "section", section.pk, values)
    messages.success(request, _("Critère %(code)s ajouté.") % {"code": criterion.code})
    return redirect(f"{criterion.version_url()}#critere-{criterion.pk}")
