"""Label pages: the labels of the user's sites (pending ones first), one label with its history and the
decisions a coordinator may take, and the request made from a closed assessment."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from maille.accounts.permissions import require_permission
from maille.core.errors import DomainError

from .labels import TRANSITIONS, is_own_label, label_decide, label_request, today
from .models import LabelStatus
from .selectors import assessments_label_requestable_by, labels_decidable_by, labels_visible_to
from .views import FieldErrors

DECISIONS = (LabelStatus.UNDER_REVIEW, LabelStatus.GRANTED, LabelStatus.REFUSED, LabelStatus.SUSPENDED)


@require_GET
@require_permission("quality.view_assessments")
def label_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("etat", "")
    status = status if status in LabelStatus.values else ""
    labels = (
        labels_visible_to(request.user)
        .select_related("site", "site__commune", "assessment")
        .annotate(
            rank=Case(
                When(status__in=[LabelStatus.REQUESTED, LabelStatus.UNDER_REVIEW], then=Value(0)),
                When(status__in=[LabelStatus.GRANTED, LabelStatus.SUSPENDED], then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "site__name", "-requested_at")
    )
    if status:
        labels = labels.filter(status=status)
    day = today()
    rows = [{"label": label, "in_force": label.is_in_force(day)} for label in labels[:1000]]
    return render(
        request,
        "quality/label_list.html",
        {
            "rows": rows,
            "status": status,
            "statuses": LabelStatus.choices,
            "in_force": sum(r["in_force"] for r in rows),
        },
    )


def _detail_context(request: HttpRequest, label: Any, **given: Any) -> dict[str, Any]:
    may_decide = labels_decidable_by(request.user).filter(pk=label.pk).exists()
    own_site = may_decide and is_own_label(request.user, label)
    choices = [(s, LabelStatus(s).label) for s in DECISIONS if s in TRANSITIONS[label.status]]
    return {
        "label": label,
        "events": list(label.events.select_related("by")),
        "decisions": choices if may_decide and not own_site else [],
        "own_site": own_site and bool(choices),
        "in_force": label.is_in_force(),
        "errors": given.get("errors", FieldErrors()),
        "values": given.get("values", {"decision": "", "motif": ""}),
    }


@require_GET
@require_permission("quality.view_assessments")
def label_detail(request: HttpRequest, label_id: int) -> HttpResponse:
    label = get_object_or_404(
        labels_visible_to(request.user).select_related("site", "assessment__version", "renews"), pk=label_id
    )
    return render(request, "quality/label.html", _detail_context(request, label))


@require_permission("quality.decide_label")
@require_POST
def label_decision(request: HttpRequest, label_id: int) -> HttpResponse:
    label = get_object_or_404(
        labels_decidable_by(request.user).select_related("site", "assessment__version", "renews"), pk=label_id
    )
    values = {"decision": request.POST.get("decision", ""), "motif": request.POST.get("motif", "")}
    try:
        label = label_decide(request.user, label=label, status=values["decision"], reason=values["motif"])
    except DomainError as error:
        field = str(error.details.get("field", ""))
        if field in ("motif", "decision"):
            context = _detail_context(
                request, label, errors=FieldErrors({field: error.message}), values=values
            )
            return render(request, "quality/label.html", context, status=422)
        messages.error(request, error.message)
        return redirect("quality:label", label_id=label.pk)
    messages.success(request, _("Label %(status)s.") % {"status": label.get_status_display()})
    return redirect("quality:label", label_id=label.pk)


@require_permission("quality.request_label")
@require_POST
def label_request_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = get_object_or_404(
        assessments_label_requestable_by(request.user).select_related("site"), pk=assessment_id
    )
    try:
        label = label_request(request.user, site=assessment.site, assessment_id=assessment.pk)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("quality:assessment", assessment_id=assessment.pk)
    messages.success(
        request,
        _("Label demandé : un coordinateur du territoire va instruire la demande.")
        if label.renews_id is None
        else _("Renouvellement du label demandé : le label en vigueur reste valable jusqu'à la décision."),
    )
    return redirect("quality:label", label_id=label.pk)
