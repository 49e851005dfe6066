"""Reads of scheduling data with the caller's scope applied: the one rule for who reads, books and runs which
appointment. Pages, /api/v1, /fhir and exports all go through these functions (a test over the source
rejects a direct ``Appointment.objects`` or ``Patient.objects`` query in a view, API or FHIR module).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncMonth

from maille.accounts.models import Role
from maille.accounts.permissions import has_permission
from maille.accounts.scope import Scope, scope_for
from maille.core.queries import row_by_key
from maille.directory.models import Professional, Site, Use
from maille.directory.selectors import (
    remote_doctors_managed_by,
    site_visible_to,
    sites_managed_by,
    sites_visible_to,
)
from maille.patients.models import Patient

from .models import (
    BUSY_STATES,
    Appointment,
    AppointmentStatus,
    AppointmentTransition,
    ResourceBooking,
    WaitlistEntry,
)
from .wallclock import PARIS


# --- appointments -----------------------------------------------------------------------------------
def _at_own_sites_or_conducted(scope: Scope) -> Q:
    """Site staff: the appointments of their sites; a remote doctor: those they conduct."""
    mine = Q(pk__in=[])
    if scope.has_role(Role.SITE_STAFF) and scope.site_ids:
        mine |= Q(site_id__in=sorted(scope.site_ids))
    if scope.has_role(Role.REMOTE_DOCTOR) and scope.professional_id is not None:
        mine |= Q(doctor_id=scope.professional_id)
    return mine


def appointments_visible_to(user: Any) -> QuerySet[Appointment]:
    """Appointments the user may read, patient included.

    Administrators: all. Coordinators and phone operators: those at the sites of their territory. Site staff:
    those of their sites. A remote doctor: those they conduct (other doctors' appointments appear to them as
    busy time only). Evaluators read aggregates only: none.
    """
    scope = scope_for(user)
    if scope.everywhere:
        return Appointment.objects.all()
    visible = _at_own_sites_or_conducted(scope)
    if scope.has_role(Role.COORDINATOR, Role.OPERATOR):
        visible |= scope.communes_q("site__commune")
    return Appointment.objects.filter(visible)


def appointments_run_by(user: Any) -> QuerySet[Appointment]:
    """Appointments whose consultation the user runs (check-in, start, complete, no-show): staff of the site,
    the appointment's doctor, administrators."""
    if not has_permission(user, "scheduling.run_appointment"):
        return Appointment.objects.none()
    scope = scope_for(user)
    if scope.everywhere:
        return Appointment.objects.all()
    return Appointment.objects.filter(_at_own_sites_or_conducted(scope))


def appointments_managed_by(user: Any) -> QuerySet[Appointment]:
    """Appointments the user may confirm, move or cancel: those they may read at a site where they book."""
    if not has_permission(user, "scheduling.book"):
        return Appointment.objects.none()
    return appointments_visible_to(user).filter(site__in=sites_visible_to(user).values("pk"))


def can_run_appointment(user: Any, appointment: Appointment) -> bool:
    return appointments_run_by(user).filter(pk=appointment.pk).exists()


def can_manage_booking(user: Any, appointment: Appointment) -> bool:
    return appointments_managed_by(user).filter(pk=appointment.pk).exists()


def waitlist_visible_to(user: Any) -> QuerySet[WaitlistEntry]:
    """Waiting-list entries a booker manages: patients living in their territory, and those they entered."""
    if not has_permission(user, "scheduling.book"):
        return WaitlistEntry.objects.none()
    scope = scope_for(user)
    if scope.everywhere:
        return WaitlistEntry.objects.all()
    return WaitlistEntry.objects.filter(scope.communes_q("patient__commune") | Q(created_by=user))


def sites_run_by(user: Any) -> QuerySet[Site]:
    """Sites whose whole day the user runs (the site day page): their staff, administrators. A remote doctor
    runs only the appointments they conduct (the doctor day page)."""
    if not has_permission(user, "scheduling.site_day"):
        return Site.objects.none()
    scope = scope_for(user)
    if scope.everywhere:
        return agenda_sites_for(user)
    if scope.has_role(Role.SITE_STAFF) and scope.site_ids:
        return agenda_sites_for(user).filter(pk__in=sorted(scope.site_ids))
    return Site.objects.none()


def appointments_of_day(appointments: QuerySet[Appointment], day: dt.date) -> QuerySet[Appointment]:
    """The appointments of one local day (Europe/Paris), held ones excluded, in time order."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=PARIS)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=PARIS)
    return (
        appointments.filter(starts_at__gte=start, starts_at__lt=end)
        .exclude(status__in=[AppointmentStatus.HELD, AppointmentStatus.EXPIRED])
        .order_by("starts_at", "pk")
    )


def day_version(appointments: QuerySet[Appointment]) -> str:
    """Changes whenever one of these appointments changes state, or one is added (each is a transition):
    a polling page asks whether to redraw without reading any patient."""
    latest = AppointmentTransition.objects.filter(appointment__in=appointments.values("pk")).aggregate(
        latest=Max("pk")
    )["latest"]
    return str(latest or 0)


# --- patients ---------------------------------------------------------------------------------------
def patients_visible_to(user: Any) -> QuerySet[Patient]:
    """Patients whose identity the user may read: those of the appointments they may read, and for the roles
    that book (operators, site staff, coordinators booking) any active patient found through the audited
    search service (a phone number, or a name with a birth date)."""
    scope = scope_for(user)
    if scope.everywhere:
        return Patient.objects.all()
    if not has_permission(user, "scheduling.view_patient"):
        return Patient.objects.none()
    if has_permission(user, "scheduling.book"):
        return Patient.objects.active()
    with_visible_appointment = appointments_visible_to(user).filter(patient=OuterRef("pk"))
    return Patient.objects.filter(Exists(with_visible_appointment))


def patients_bookable_by(user: Any) -> QuerySet[Patient]:
    """Patients for whom the user may book (an appointment names them without showing their identity)."""
    if not has_permission(user, "scheduling.book"):
        return Patient.objects.none()
    return Patient.objects.active()


def patient_bookable_by(user: Any, patient_id: int) -> Patient | None:
    """The patient of ``patients_bookable_by(user)`` with this key, or None. Read on every booking, its
    statement is compiled once (it depends on the booking permission alone)."""
    may_book = has_permission(user, "scheduling.book")
    return row_by_key(("patient_bookable_by", may_book), lambda: patients_bookable_by(user), patient_id)


# --- agendas ----------------------------------------------------------------------------------------
def agenda_sites_for(user: Any) -> QuerySet[Site]:
    return sites_visible_to(user).active().select_related("commune").order_by("name", "pk")


def can_edit_site_agenda(user: Any, site: Site) -> bool:
    """Administrators, coordinators of the site's territory, staff of the site."""
    return (
        has_permission(user, "scheduling.edit_availability")
        and sites_managed_by(user).filter(pk=site.pk).exists()
    )


def can_edit_doctor_agenda(user: Any, doctor: Professional) -> bool:
    """The doctor themself, coordinators of a territory the doctor serves, administrators."""
    return (
        has_permission(user, "scheduling.edit_availability")
        and remote_doctors_managed_by(user).filter(pk=doctor.pk).exists()
    )


def can_book_at(user: Any, site: Site) -> bool:
    return has_permission(user, "scheduling.book") and site_visible_to(user, site.pk) is not None


def bookable_uses_for(user: Any) -> QuerySet[Use]:
    sites = sites_visible_to(user).active().values("pk")
    return (
        Use.objects.filter(site_uses__site__in=sites, site_uses__is_active=True).distinct().order_by("name")
    )


# --- integrity --------------------------------------------------------------------------------------
def double_bookings_count() -> int:
    """Busy rows overlapping another row of the same resource: one query over all resources (always 0)."""
    other = ResourceBooking.objects.filter(
        resource_key=OuterRef("resource_key"),
        starts_at__lt=OuterRef("ends_at"),
        ends_at__gt=OuterRef("starts_at"),
    ).exclude(pk=OuterRef("pk"))
    return ResourceBooking.objects.filter(Exists(other)).count()


# --- capacity, for the territorial diagnosis --------------------------------------------------------------
def site_room_minutes_per_week(site_ids: list[int], today: dt.date) -> dict[int, int]:
    """Each site's weekly room time today: the sum of its rooms' current weekly availability rules
    (exceptions and closures aside: the usual week)."""
    from .models import AvailabilityRule

    rules = (
        AvailabilityRule.objects.filter(room__site_id__in=site_ids, valid_from__lte=today)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .values_list("room__site_id", "starts", "ends")
    )
    minutes: dict[int, int] = {}
    for site_id, starts, ends in rules:
        span = (ends.hour * 60 + ends.minute) - (starts.hour * 60 + starts.minute)
        minutes[site_id] = minutes.get(site_id, 0) + max(0, span)
    return minutes


def site_booked_minutes(site_ids: list[int], since: dt.datetime, until: dt.datetime) -> dict[int, int]:
    """Minutes of appointments that held a room at each site between two instants (cancelled, expired and
    moved ones excluded)."""
    held = Appointment.objects.filter(
        site_id__in=site_ids, starts_at__gte=since, starts_at__lt=until, status__in=sorted(BUSY_STATES)
    ).values_list("site_id", "starts_at", "ends_at")
    minutes: dict[int, int] = {}
    for site_id, starts_at, ends_at in held:
        minutes[site_id] = minutes.get(site_id, 0) + int((ends_at - starts_at).total_seconds() // 60)
    return minutes


def appointment_outcomes_by_site_month(
    site_ids: list[int] | None, since: dt.datetime, until: dt.datetime, *, late_hours: int
) -> dict[tuple[dt.date, int], dict[str, int]]:
    """Counts of the appointments due between two instants, per (month of the start in Paris, site), at the sites
    (every site when ``site_ids`` is None), for the evaluation's indicators (aggregates only, computed by the
    database): completed, no-shows, cancelled, cancelled late (the cancellation logged less than ``late_hours``
    before the start, or after it), and the minutes that held a room (cancelled, expired and moved ones
    excluded)."""
    due = Appointment.objects.filter(starts_at__gte=since, starts_at__lt=until)
    if site_ids is not None:
        due = due.filter(site_id__in=site_ids)
    rows = (
        due.annotate(month=TruncMonth("starts_at", tzinfo=PARIS))
        .values("month", "site_id")
        .annotate(**_outcome_aggregates(late_hours))
        .order_by()
    )
    result = {}
    for row in rows:
        counts: dict[str, Any] = dict(row)
        month, site_id = counts.pop("month"), counts.pop("site_id")
        result[(month.date() if isinstance(month, dt.datetime) else month, site_id)] = _held_in_minutes(
            counts
        )
    return result


def _outcome_aggregates(late_hours: int) -> dict[str, Any]:
    late_cancel = AppointmentTransition.objects.filter(
        appointment_id=OuterRef("pk"),
        name="cancel",
        occurred_at__gt=ExpressionWrapper(
            OuterRef("starts_at") - dt.timedelta(hours=late_hours), output_field=DateTimeField()
        ),
    )
    return {
        "completed": Count("pk", filter=Q(status=AppointmentStatus.COMPLETED)),
        "no_show": Count("pk", filter=Q(status=AppointmentStatus.NO_SHOW)),
        "cancelled": Count("pk", filter=Q(status=AppointmentStatus.CANCELLED)),
        # the status first: the subquery then runs for cancelled appointments only (AND evaluates left to right)
        "cancelled_late": Count("pk", filter=Q(status=AppointmentStatus.CANCELLED) & Q(Exists(late_cancel))),
        "held": Sum(
            ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField()),
            filter=Q(status__in=sorted(BUSY_STATES)),
        ),
    }


def _held_in_minutes(counts: dict[str, Any]) -> dict[str, int]:
    held = counts.pop("held")
    counts["held_minutes"] = int(held.total_seconds() // 60) if held else 0
    return counts
