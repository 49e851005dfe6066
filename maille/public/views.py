"""The public pages: a patient (or a relative) books alone, without an account, from a phone.

Step by step: where and what for → the earliest slots of the nearest sites → hold one → name, birth date
and a mobile number or email → six-digit code → booked, with the link to manage it (view, cancel, move).
The booking in progress belongs to the browser session (one at a time: a new hold gives up the old one);
links to appointments are signed (``links.py``). No patient data ever goes in a URL: the links carry an
INSEE code, a use, a site, a time, a random request token or a signed appointment number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maille.accounts.throttle import client_address
from maille.core.errors import ConflictError, DomainError
from maille.scheduling.engine import SlotQuery, find_slots
from maille.scheduling.models import Appointment
from maille.scheduling.slot_groups import by_site, site_names, slot_choices
from maille.scheduling.video import patient_video_access

from .forms import (
    DEFAULT_TRAVEL,
    TRAVEL_CHOICES,
    CancelForm,
    CodeForm,
    HoldForm,
    IdentityForm,
    MoveForm,
    PlaceForm,
    SlotsForm,
)
from .links import (
    LinkRefused,
    appointment_from_manage_token,
    appointment_from_offer_token,
    manage_token,
)
from .models import PublicBooking, PublicBookingState
from .ratelimits import RateLimited, rate_hit
from .services import (
    AlreadyBooked,
    Identity,
    can_change,
    hold_is_live,
    offer_is_open,
    public_abandon,
    public_cancel,
    public_code_check,
    public_code_send,
    public_hold,
    public_move,
    public_offer_accept,
    public_offer_decline,
)
from .slots import SiteTimes, nearest_sites_with_times, site_times, sites_html, time_buttons

SESSION_KEY = "public_booking"
SLOT_COUNT = 40
SITES_SHOWN = 5
TIMES_PER_SITE = 6


def _refused(request: HttpRequest, error: LinkRefused) -> HttpResponse:
    status = {"link_expired": 410, "link_unknown": 404}.get(error.code, 400)
    return render(request, "public/link_refused.html", {"error": error}, status=status)


def _rate_limited(request: HttpRequest, error: RateLimited) -> HttpResponse:
    response = render(request, "public/rate_limited.html", {"error": error}, status=429)
    response["Retry-After"] = str(error.retry_after_seconds)
    return response


# --- 1. where and what for ---------------------------------------------------------------------------------
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    form = PlaceForm(request.GET if "lieu" in request.GET else None)
    if form.is_bound and form.is_valid():
        communes = form.communes
        use = form.cleaned_data["usage"]
        if len(communes) == 1:
            return redirect(_slots_url(use.pk, communes[0].code))
        choices = [(commune, _slots_url(use.pk, commune.code)) for commune in communes]
        return render(request, "public/start.html", {"form": form, "choices": choices})
    status = 400 if form.is_bound else 200
    return render(request, "public/start.html", {"form": form, "choices": None}, status=status)


def _slots_url(use_id: int, commune_code: str, **extra: Any) -> str:
    query = {"usage": use_id, "commune": commune_code, **{k: v for k, v in extra.items() if v}}
    return f"{reverse('public:slots')}?{urlencode(query)}"


# --- 2. the slots ------------------------------------------------------------------------------------------
def _earliest(form: SlotsForm) -> list[SiteTimes]:
    data = form.cleaned_data
    after = data.get("apres")
    return nearest_sites_with_times(
        data["usage"],
        data["commune"],
        max_travel_minutes=data.get("trajet"),
        after=after if after and after > timezone.localdate() else None,
        sites_shown=SITES_SHOWN,
        per_site=TIMES_PER_SITE,
    )


@require_GET
def slots(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    data.setdefault("trajet", str(DEFAULT_TRAVEL))  # shown selected, as the search uses it
    form = SlotsForm(data)
    if not form.is_valid():
        return render(request, "public/slots.html", {"form": form, "groups": None}, status=400)
    return _slots_page(request, form)


def _slots_page(request: HttpRequest, form: SlotsForm, *, status: int = 200, **extra: Any) -> HttpResponse:
    groups = _earliest(form)
    data = form.cleaned_data
    context = {
        "form": form,
        "groups": groups,
        "sites_html": sites_html(groups),
        "use": data["usage"],
        "commune": data["commune"],
        "later_url": _later_url(form, groups),
        "travel_choices": TRAVEL_CHOICES,
        **extra,
    }
    return render(request, "public/slots.html", context, status=status)


def _later_url(form: SlotsForm, groups: list[SiteTimes]) -> str:
    """The same search from the day after the last time shown."""
    times = [slot.starts_at for group in groups for slot in group.times]
    if not times:
        return ""
    data = form.cleaned_data
    next_day = timezone.localtime(max(times)).date() + dt.timedelta(days=1)
    return _slots_url(
        data["usage"].pk, data["commune"].code, trajet=data.get("trajet"), apres=next_day.isoformat()
    )


# --- 3. hold ------------------------------------------------------------------------------------------------
def _session_booking(request: HttpRequest) -> PublicBooking | None:
    token = request.session.get(SESSION_KEY)
    if not token:
        return None
    return (
        PublicBooking.objects.select_related("appointment__site__commune", "appointment__use")
        .filter(token=token)
        .first()
    )


@require_POST
def hold(request: HttpRequest) -> HttpResponse:
    form = HoldForm(request.POST)
    if not form.is_valid():
        fields = ", ".join(sorted(form.errors))
        return render(
            request, "public/problem.html",
            {"title": _("Ce créneau n'est pas valable"),
             "message": _("Le formulaire reçu est incomplet (%(fields)s) : reprenez la recherche.") % {"fields": fields}},
            status=400,
        )  # fmt: skip
    data = form.cleaned_data
    try:
        rate_hit("hold_per_address", client_address(request))
        booking = public_hold(
            use=data["usage"], site=data["site"], starts_at=data["debut"], replacing=_session_booking(request)
        )
    except RateLimited as error:
        return _rate_limited(request, error)
    except ConflictError as error:
        return _taken(request, data, error)
    except DomainError as error:
        return render(
            request,
            "public/problem.html",
            {"title": _("Réservation impossible"), "message": error.message},
            status=422,
        )
    request.session[SESSION_KEY] = str(booking.token)
    request.session["public_commune"] = data.get("commune") or ""
    return redirect("public:identity", token=booking.token)


def _taken(request: HttpRequest, data: dict[str, Any], error: ConflictError) -> HttpResponse:
    """The slot went between display and choice: say so, with the next free ones."""
    rows = error.details.get("alternatives") or []
    names = site_names({row["site_id"] for row in rows})  # type: ignore[union-attr]
    alternatives = [
        button
        for row in rows  # type: ignore[union-attr]
        for button in time_buttons(
            row["site_id"], names.get(row["site_id"], ""), [dt.datetime.fromisoformat(row["starts_at"])]
        )  # fmt: skip
    ]
    context = {"use": data["usage"], "alternatives": alternatives, "commune_code": data.get("commune") or "",
               "message": error.message}  # fmt: skip
    return render(request, "public/taken.html", context, status=409)


# --- 4. identity and code ---------------------------------------------------------------------------------
def _own_booking(request: HttpRequest, token: Any) -> PublicBooking:
    """The booking in progress of this browser, or 404 (a request token alone opens nothing)."""
    booking = _session_booking(request)
    if booking is None or str(booking.token) != str(token):
        raise Http404(_("Cette réservation n'est pas (ou plus) ouverte dans ce navigateur."))
    return booking


def _closed(request: HttpRequest, booking: PublicBooking) -> HttpResponse | None:
    """Where a booking no longer in progress leads: its appointment, or a fresh start."""
    if booking.state == PublicBookingState.CONFIRMED:
        return redirect("public:manage", token=manage_token(booking.appointment))
    if booking.state in (PublicBookingState.ABANDONED, PublicBookingState.LOCKED) or not hold_is_live(
        booking
    ):
        context = {"title": _("Ce créneau n'est plus réservé pour vous"),
                   "message": _("Le délai est dépassé ou la réservation a été abandonnée. Choisissez un nouveau créneau."),
                   "restart": True}  # fmt: skip
        return render(request, "public/problem.html", context, status=409)
    return None


def _booking_context(booking: PublicBooking) -> dict[str, Any]:
    appointment = booking.appointment
    return {"booking": booking, "appointment": appointment, "site": appointment.site, "use": appointment.use,
            "hold_until": appointment.hold_expires_at}  # fmt: skip


@require_http_methods(["GET", "POST"])
def identity(request: HttpRequest, token: Any) -> HttpResponse:
    booking = _own_booking(request, token)
    closed = _closed(request, booking)
    if closed is not None:
        return closed
    if request.method == "POST" and request.POST.get("action") == "abandon":
        public_abandon(booking=booking, reason=_("abandonnée par le patient"))
        messages.info(request, _("Le créneau est libéré."))
        return redirect("public:start")
    form = IdentityForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        channel, contact = data["contact"]
        person = Identity(
            last_name=data["nom"], first_name=data["prenom"], birth_date=data["date_naissance"],
            commune=_commune_of(request), contact_channel=channel, contact=contact,
            for_relative=data["pour_un_proche"], booker_last_name=data.get("nom_proche") or "",
            booker_first_name=data.get("prenom_proche") or "",
        )  # fmt: skip
        response = _send_code(request, booking, person)
        if response is not None:
            return response
        return redirect("public:code", token=booking.token)
    status = 400 if form.is_bound else 200
    return render(request, "public/identity.html", {**_booking_context(booking), "form": form}, status=status)


def _commune_of(request: HttpRequest) -> Any:
    from maille.territory.models import Commune

    code = request.session.get("public_commune") or ""
    return Commune.objects.filter(code=code).first() if code else None


def _send_code(request: HttpRequest, booking: PublicBooking, person: Identity) -> HttpResponse | None:
    """Send a code (rate-limited per client address and per contact); a page when refused, else None."""
    if booking.codes_sent >= settings.PUBLIC_CODES_PER_REQUEST:  # said before the rate limits count it
        context = {"title": _("Code non envoyé"), "restart": True,
                   "message": _("Trois codes ont déjà été envoyés pour cette réservation : recommencez-la ou appelez-nous.")}  # fmt: skip
        return render(request, "public/problem.html", context, status=422)
    try:
        rate_hit("code_per_address", client_address(request))
        rate_hit("code_per_contact", person.contact)
        rate_hit("code_per_contact_day", person.contact)
        public_code_send(booking=booking, identity=person)
    except RateLimited as error:
        return _rate_limited(request, error)
    except DomainError as error:
        context = {"title": _("Code non envoyé"), "message": error.message, "restart": True}
        return render(request, "public/problem.html", context, status=error.status_code)
    return None


def _identity_of(booking: PublicBooking) -> Identity:
    assert booking.birth_date is not None
    return Identity(
        last_name=booking.last_name, first_name=booking.first_name, birth_date=booking.birth_date,
        commune=booking.commune, contact_channel=booking.contact_channel, contact=booking.contact,
        for_relative=booking.for_relative, booker_last_name=booking.booker_last_name,
        booker_first_name=booking.booker_first_name,
    )  # fmt: skip


def masked(booking: PublicBooking) -> str:
    """Where the code went, half hidden (the screen may be seen by others)."""
    contact = booking.contact
    if "@" in contact:
        name, _at, domain = contact.partition("@")
        return f"{name[:2]}…@{domain}"
    return f"…{contact[-4:-2]} {contact[-2:]}"


@require_http_methods(["GET", "POST"])
def code(request: HttpRequest, token: Any) -> HttpResponse:
    booking = _own_booking(request, token)
    closed = _closed(request, booking)
    if closed is not None:
        return closed
    if booking.state != PublicBookingState.CODE:
        return redirect("public:identity", token=booking.token)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "resend":
        response = _send_code(request, booking, _identity_of(booking))
        if response is not None:
            return response
        messages.success(request, _("Un nouveau code vient d'être envoyé."))
        return redirect("public:code", token=booking.token)
    form = CodeForm(request.POST if action == "check" else None)
    status = 200
    if form.is_bound and form.is_valid():
        try:
            rate_hit("check_per_address", client_address(request))
            appointment = public_code_check(booking=booking, code=form.cleaned_data["code"])
        except RateLimited as error:
            return _rate_limited(request, error)
        except AlreadyBooked as error:
            existing = Appointment(pk=error.details["appointment_id"])
            request.session.pop(SESSION_KEY, None)
            context = {"title": _("Vous avez déjà un rendez-vous"), "message": error.message,
                       "manage_url": reverse("public:manage", args=[manage_token(existing)])}  # fmt: skip
            return render(request, "public/problem.html", context, status=409)
        except DomainError as error:
            if error.code in ("wrong_code", "code_expired"):
                form.add_error("code", error.message)
                status = 400
            else:
                request.session.pop(SESSION_KEY, None)
                context = {"title": _("Réservation impossible"), "message": error.message, "restart": True}
                return render(request, "public/problem.html", context, status=error.status_code)
        else:
            request.session.pop(SESSION_KEY, None)
            messages.success(
                request,
                _("Votre rendez-vous est confirmé. Un message de confirmation part vers %(to)s, avec le lien de "
                  "cette page ; un rappel suivra la veille.") % {"to": masked(booking)},
            )  # fmt: skip
            return redirect("public:manage", token=manage_token(appointment))
    elif form.is_bound:
        status = 400
    context = {**_booking_context(booking), "form": form, "sent_to": masked(booking),
               "can_resend": booking.codes_sent < settings.PUBLIC_CODES_PER_REQUEST}  # fmt: skip
    return render(request, "public/code.html", context, status=status)


# --- 5. manage an appointment --------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    try:
        appointment = appointment_from_manage_token(token)
    except LinkRefused as error:
        return _refused(request, error)
    form = CancelForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                public_cancel(appointment=appointment, reason=form.cleaned_data["motif"])
            except DomainError as error:
                messages.error(request, error.message)
                return redirect("public:manage", token=token)
            messages.success(
                request, _("Votre rendez-vous est annulé. Le créneau est libéré pour un autre patient.")
            )
            return redirect("public:manage", token=token)
        status = 400
    context = {"appointment": appointment, "site": appointment.site, "use": appointment.use, "form": form,
               "changeable": can_change(appointment), "token": token,
               "video": patient_video_access(appointment)}  # fmt: skip
    return render(request, "public/manage.html", context, status=status)


@require_http_methods(["GET", "POST"])
def move(request: HttpRequest, token: str) -> HttpResponse:
    try:
        appointment = appointment_from_manage_token(token)
    except LinkRefused as error:
        return _refused(request, error)
    if not can_change(appointment):
        messages.error(request, _("Ce rendez-vous ne peut plus être déplacé."))
        return redirect("public:manage", token=token)
    status = 200
    if request.method == "POST":
        form = MoveForm(request.POST)
        if form.is_valid():
            try:
                public_move(
                    appointment=appointment,
                    site=form.cleaned_data["site"],
                    starts_at=form.cleaned_data["debut"],
                )
            except DomainError as error:
                messages.error(request, error.message)
                status = 409
            else:
                messages.success(request, _("Votre rendez-vous est déplacé."))
                return redirect("public:manage", token=token)
        else:
            messages.error(request, _("Ce créneau n'est pas valable : choisissez-en un dans la liste."))
            status = 400
    site = appointment.site
    query = SlotQuery(use=appointment.use, latitude=site.latitude, longitude=site.longitude,
                      max_travel_minutes=30, limit=SLOT_COUNT)  # fmt: skip
    groups = site_times(
        by_site(slot_choices(find_slots(query)), sites_shown=3, times_per_site=TIMES_PER_SITE)
    )
    context = {
        "appointment": appointment,
        "site": site,
        "use": appointment.use,
        "groups": groups,
        "sites_html": sites_html(groups),
        "token": token,
    }
    return render(request, "public/move.html", context, status=status)


# --- 6. a slot offered from the waiting list ----------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        appointment = appointment_from_offer_token(token)
    except LinkRefused as error:
        return _refused(request, error)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "accept":
                booked = public_offer_accept(appointment=appointment)
                messages.success(request, _("Votre rendez-vous est confirmé."))
                return redirect("public:manage", token=manage_token(booked))
            if action == "decline":
                public_offer_decline(appointment=appointment)
                messages.info(request, _("C'est noté : le créneau est proposé à quelqu'un d'autre."))
                return redirect("public:offer", token=token)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("public:offer", token=token)
        messages.error(request, _("Choisissez d'accepter ou de refuser ce créneau."))
    context = {"appointment": appointment, "site": appointment.site, "use": appointment.use,
               "live": offer_is_open(appointment),
               "manage_url": reverse("public:manage", args=[manage_token(appointment)])
               if appointment.status in ("booked", "confirmed") else ""}  # fmt: skip
    return render(request, "public/offer.html", context)
