"""Sample objects for the permission matrices (tests/test_permission_matrix.py, test_api_permission_matrix.py);
no tests here."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from maille.accounts.models import Role
from maille.core.models import Channel
from maille.directory.models import Professional, Site, Use
from maille.patients.models import Patient
from maille.scheduling.models import Appointment, AppointmentStatus
from tests.factories import ProfessionalFactory, RoomFactory, user_with_role


def appointment_at(site: Site, doctor: Professional | None = None) -> int:
    """A booked appointment at the site in two days, conducted by ``doctor`` (a new one by default)."""
    starts_at = timezone.now() + dt.timedelta(days=2)
    appointment = Appointment.objects.create(
        use=Use.objects.get(code="tlc-mg"),
        site=site,
        room=RoomFactory(site=site),
        doctor=doctor or ProfessionalFactory(),
        patient=Patient.objects.create(phone="+33612345678"),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=20),
        status=AppointmentStatus.BOOKED,
        channel=Channel.PHONE,
    )
    return appointment.pk


def matrix_user(role: str, world: dict):
    """A user of ``role`` whose scope is the matrix's inside: the site for site staff, the Meuse for the
    territorial roles, and for the remote doctor the doctor who serves the site and conducts its appointment."""
    if role == Role.SITE_STAFF:
        return user_with_role(role, site=world["site"])
    if role in (Role.COORDINATOR, Role.OPERATOR, Role.EVALUATOR):
        return user_with_role(role, departement_id="55")
    user = user_with_role(role)
    if role == Role.REMOTE_DOCTOR:
        world["doctor"].user = user
        world["doctor"].save(update_fields=["user"])
    return user
