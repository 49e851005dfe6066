"""Action plan pages: a site's plan (its actions, the gaps of its latest assessment still without one, a form
per gap), every action of the user's territory with the overdue ones first, and the quality panel that the
directory's site page loads.

A refused form comes back with each field's error and what was typed, nothing saved.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from maille.accounts.permissions import require_permission
from maille.core.errors import DomainError

from .actions import (
    TRANSITIONS,
    action_create,
    action_set_status,
    action_update,
    owner_candidates,
    plan_progress,
    today,
)
from .assessments import assessment_scores
from .models import OPEN_ACTION_STATUSES, ActionStatus, AssessmentStatus, LabelStatus
from .selectors import (
    actions_manageable_by,
    actions_visible_to,
    assessments_visible_to,
    labels_visible_to,
    quality_sites_visible_to,
    sites_plannable_by,
)
from .views import FieldErrors

FREE_FORM = "libre"


def _default_due() -> str:
    return (today() + datetime.timedelta(days=90)).isoformat()


def _latest_assessment(user: Any, site: Any) -> Any:
    """The assessment whose gaps the plan answers: the last closed one, else the one under way."""
    assessments = assessments_visible_to(user).filter(site=site).select_related("version")
    return (
        assessments.filter(status=AssessmentStatus.CLOSED).order_by("-closed_at", "-pk").first()
        or assessments.order_by("-created_at", "-pk").first()
    )


def _plan_context(request: HttpRequest, site: Any, **given: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {"new_errors": FieldErrors(), "new_key": "", "new_values": {}, "edit_errors": FieldErrors(),
                             "edit_id": 0, "edit_values": {}, **given}  # fmt: skip
    can_plan = sites_plannable_by(request.user).filter(pk=site.pk).exists()
    actions = list(
        actions_visible_to(request.user)
        .filter(site=site)
        .select_related("owner", "criterion")
        .annotate(
            rank=Case(
                When(status__in=OPEN_ACTION_STATUSES, then=Value(0)),
                When(status=ActionStatus.DONE, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "due_date", "pk")
    )
    day = today()
    covered = {a.criterion_id for a in actions if a.criterion_id and a.status != ActionStatus.CANCELLED}
    assessment = _latest_assessment(request.user, site)
    gaps = []
    if assessment is not None:
        for gap in assessment_scores(assessment).gaps:
            if gap.criterion.criterion_id not in covered:
                gaps.append(gap)
    candidates = list(owner_candidates(site)) if can_plan else []
    default_owner = request.user.pk if any(c.pk == request.user.pk for c in candidates) else ""

    def new_form(key: str, title: str) -> dict[str, Any]:
        if extra["new_key"] == key:
            return {"values": extra["new_values"], "errors": extra["new_errors"]}
        return {
            "values": {"titre": title, "responsable": str(default_owner), "echeance": _default_due()},
            "errors": FieldErrors(),
        }

    rows = []
    for action in actions:
        editing = extra["edit_id"] == action.pk
        rows.append(
            {
                "action": action,
                "overdue": action.is_overdue(day),
                "days_late": (day - action.due_date).days,
                "next_statuses": [
                    (s, ActionStatus(s).label) for s in ActionStatus.values if s in TRANSITIONS[action.status]
                ],
                "values": extra["edit_values"]
                if editing
                else {
                    "titre": action.title,
                    "responsable": str(action.owner_id),
                    "echeance": action.due_date.isoformat(),
                    "note": action.progress_note,
                },  # fmt: skip
                "errors": extra["edit_errors"] if editing else FieldErrors(),
                "editing": editing,
                "prefix": f"a{action.pk}",
            }
        )
    return {
        "site": site,
        "can_plan": can_plan,
        "rows": rows,
        "progress": plan_progress(actions_visible_to(request.user).filter(site=site)),
        "assessment": assessment,
        "gaps": [
            {"gap": gap, "form": new_form(str(gap.criterion.criterion_id), gap.criterion.title)}
            for gap in gaps
        ],
        "free_form": new_form(FREE_FORM, ""),
        "candidates": candidates,
        "today": day.isoformat(),
        "free_key": FREE_FORM,
    }


@require_GET
@require_permission("quality.view_assessments")
def site_plan(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_object_or_404(quality_sites_visible_to(request.user).select_related("commune"), pk=site_id)
    return render(request, "quality/site_plan.html", _plan_context(request, site))


@require_permission("quality.plan_actions")
@require_POST
def action_new(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_object_or_404(
        sites_plannable_by(request.user).select_related("commune__departement"), pk=site_id
    )
    key = request.POST.get("critere", "") or FREE_FORM
    values = {
        "titre": request.POST.get("titre", ""),
        "responsable": request.POST.get("responsable", ""),
        "echeance": request.POST.get("echeance", ""),
    }
    assessment = None
    if key != FREE_FORM:
        assessment = _latest_assessment(request.user, site)
    try:
        action = action_create(
            request.user,
            site=site,
            title=values["titre"],
            owner_id=values["responsable"],
            due_date=values["echeance"],
            criterion_id="" if key == FREE_FORM else key,
            assessment=assessment,
        )
    except DomainError as error:
        field = str(error.details.get("field", ""))
        if field not in ("titre", "responsable", "echeance"):
            messages.error(request, error.message)
            return redirect("quality:site_plan", site_id=site.pk)
        context = _plan_context(
            request, site, new_key=key, new_values=values, new_errors=FieldErrors({field: error.message})
        )
        return render(request, "quality/site_plan.html", context, status=422)
    messages.success(request, _("Action ajoutée au plan."))
    return redirect(f"{reverse('quality:site_plan', args=[site.pk])}#action-{action.pk}")


@require_permission("quality.plan_actions")
@require_POST
def action_edit(request: HttpRequest, action_id: int) -> HttpResponse:
    action = get_object_or_404(
        actions_manageable_by(request.user).select_related("site__commune__departement"), pk=action_id
    )
    values = {
        "titre": request.POST.get("titre", ""),
        "responsable": request.POST.get("responsable", ""),
        "echeance": request.POST.get("echeance", ""),
        "note": request.POST.get("note", ""),
    }
    try:
        action_update(
            request.user,
            action=action,
            title=values["titre"],
            owner_id=values["responsable"],
            due_date=values["echeance"],
            progress_note=values["note"],
        )
    except DomainError as error:
        field = str(error.details.get("field", ""))
        context = _plan_context(
            request,
            action.site,
            edit_id=action.pk,
            edit_values=values,
            edit_errors=FieldErrors({field: error.message}),
        )
        return render(request, "quality/site_plan.html", context, status=422)
    messages.success(request, _("Action enregistrée."))
    return redirect(f"{reverse('quality:site_plan', args=[action.site_id])}#action-{action.pk}")


@require_permission("quality.plan_actions")
@require_POST
def action_status(request: HttpRequest, action_id: int) -> HttpResponse:
    action = get_object_or_404(actions_manageable_by(request.user), pk=action_id)
    try:
        action = action_set_status(request.user, action=action, status=request.POST.get("etat", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Action « %(title)s » : %(status)s.")
            % {"title": action.title, "status": action.get_status_display()},
        )
    return redirect(f"{reverse('quality:site_plan', args=[action.site_id])}#action-{action.pk}")


@require_GET
@require_permission("quality.view_assessments")
def action_list(request: HttpRequest) -> HttpResponse:
    """Every action of the user's sites; "en retard" keeps the overdue ones only."""
    only_overdue = request.GET.get("retard") == "1"
    status = request.GET.get("etat", "")
    status = status if status in ActionStatus.values else ""
    actions = (
        actions_visible_to(request.user)
        .select_related("site", "owner", "criterion")
        .order_by("due_date", "pk")
    )
    day = today()
    if only_overdue:
        actions = actions.filter(status__in=OPEN_ACTION_STATUSES, due_date__lt=day)
    elif status:
        actions = actions.filter(status=status)
    rows = [
        {"action": a, "overdue": a.is_overdue(day), "days_late": (day - a.due_date).days}
        for a in actions[:1000]
    ]
    context = {
        "rows": rows,
        "only_overdue": only_overdue,
        "status": status,
        "statuses": ActionStatus.choices,
        "progress": plan_progress(actions_visible_to(request.user)),
    }
    return render(request, "quality/action_list.html", context)


@require_GET
@require_permission("quality.view_assessments")
def site_panel(request: HttpRequest, site_id: int) -> HttpResponse:
    """The quality block of the directory's site page (loaded by HTMX): score, assessment under way, plan."""
    site = get_object_or_404(quality_sites_visible_to(request.user), pk=site_id)
    assessments = assessments_visible_to(request.user).filter(site=site)
    context = {
        "site": site,
        "closed": assessments.filter(status=AssessmentStatus.CLOSED).order_by("-closed_at", "-pk").first(),
        "open": assessments.exclude(status=AssessmentStatus.CLOSED).first(),
        "progress": plan_progress(actions_visible_to(request.user).filter(site=site)),
        "label": labels_visible_to(request.user)
        .filter(site=site, status__in=[LabelStatus.GRANTED, LabelStatus.SUSPENDED])
        .first(),
        "pending_label": labels_visible_to(request.user)
        .filter(site=site, status__in=[LabelStatus.REQUESTED, LabelStatus.UNDER_REVIEW])
        .first(),
    }
    context["label_in_force"] = context["label"] is not None and context["label"].is_in_force()
    return render(request, "quality/_site_panel.html", context)
