"""The outbox page: what was sent to patients, what waits, what failed and why; the SMS budget."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from maille.accounts.permissions import require_permission

from .models import MessageChannel, MessageKind, MessageState
from .selectors import departements_budgeted_for, messages_visible_to
from .services import sms_budgets

PAGE_SIZE = 50


class OutboxFilters(forms.Form):
    etat = forms.ChoiceField(
        label=_("État"), required=False, choices=[("", _("Tous"))] + MessageState.choices
    )
    type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("Tous"))] + MessageKind.choices)
    canal = forms.ChoiceField(
        label=_("Canal"), required=False, choices=[("", _("Tous"))] + MessageChannel.choices
    )


@require_permission("notifications.view_outbox")
def outbox(request: HttpRequest) -> HttpResponse:
    form = OutboxFilters(request.GET or None)
    messages = messages_visible_to(request.user).select_related("appointment__site", "departement")
    if form.is_valid():
        for field, column in (("etat", "state"), ("type", "kind"), ("canal", "channel")):
            if form.cleaned_data[field]:
                messages = messages.filter(**{column: form.cleaned_data[field]})
    status = 400 if form.is_bound and not form.is_valid() else 200  # the errors show next to their field
    page = Paginator(messages.order_by("-send_after", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    budgets = sms_budgets(departements_budgeted_for(request.user))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "notifications/outbox.html",
        {
            "form": form,
            "page": page,
            "budgets": budgets,
            "query": query.urlencode(),
            "show_codes": settings.NOTIFICATIONS_SHOW_CODES,
        },  # fmt: skip
        status=status,
    )
