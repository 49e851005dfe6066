"""Sample scheduling objects for the role × route matrix (tests/test_permission_matrix.py); no tests here."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from maille.core.models import Channel
from maille.directory.models import Professional, Site, Use
from maille.scheduling.models import Appointment, AppointmentStatus, Patient
from tests.factories import ProfessionalFactory, RoomFactory


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
