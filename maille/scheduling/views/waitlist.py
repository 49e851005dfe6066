"""The waiting list for bookers: who waits for what, what was offered, and adding or closing an entry."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.accounts.permissions import require_permission
from maille.core.errors import DomainError
from maille.patients.services import patients_shown

from ..forms import WaitlistForm
from ..models import WaitlistStatus
from ..selectors import bookable_uses_for, patients_visible_to, waitlist_visible_to
from ..waitlist import waitlist_add, waitlist_close
from .booking import chosen_patient
from .channels import channel_for


@require_permission("scheduling.book")
def waitlist(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        entry = get_object_or_404(waitlist_visible_to(request.user), pk=request.POST.get("entry") or 0)
        try:
            waitlist_close(actor=request.user, channel=channel_for(request.user), entry=entry)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("L'inscription est close."))
        return redirect(reverse("scheduling:waitlist"))
    show_closed = request.GET.get("closes") == "1"
    entries = waitlist_visible_to(request.user).select_related("use", "offer__site")
    if not show_closed:
        entries = entries.filter(status__in=[WaitlistStatus.WAITING, WaitlistStatus.OFFERED])
    entries = list(entries.order_by("created_at", "pk")[:300])
    patients = patients_shown(
        actor=request.user,
        channel=channel_for(request.user),
        readable=patients_visible_to(request.user),
        patient_ids=[entry.patient_id for entry in entries],
        reason="liste d'attente",
    )
    rows = [{"entry": entry, "patient": patients.get(entry.patient_id)} for entry in entries]
    return render(request, "scheduling/waitlist.html", {"rows": rows, "show_closed": show_closed})


@require_permission("scheduling.book")
def waitlist_enrol(request: HttpRequest) -> HttpResponse:
    patient = chosen_patient(request, request.GET.get("patient") or request.POST.get("patient"))
    uses = bookable_uses_for(request.user)
    today = timezone.localdate()
    form = WaitlistForm(
        request.POST or None,
        uses=uses,
        initial={
            "earliest": today,
            "latest": today + timezone.timedelta(days=28),
            "use": request.GET.get("use"),
        },
    )
    status = 200
    if request.method == "POST" and patient is None:
        status = 422  # no patient (or one outside the user's reach): the page says to choose one first
    elif request.method == "POST":
        if form.is_valid():
            try:
                waitlist_add(
                    actor=request.user,
                    channel=channel_for(request.user),
                    patient=patient,
                    **form.cleaned_data,
                )
            except DomainError as error:
                form.add_error(error.details.get("field") if error.details.get("field") in form.fields else None,
                               error.message)  # fmt: skip
            else:
                messages.success(request, _("Le patient est inscrit en liste d'attente."))
                return redirect(reverse("scheduling:waitlist"))
        status = 422
    return render(
        request, "scheduling/waitlist_enrol.html", {"form": form, "patient": patient}, status=status
    )
