"""Completed appointments through the booking services, as the site's pages would complete them."""

from __future__ import annotations

import datetime as dt

from maille.core.models import Channel
from maille.scheduling.services import (
    appointment_book,
    appointment_check_in,
    appointment_complete,
    appointment_start,
)
from tests.patients.factories import PatientFactory


def completed(net, *, at, patient=None, act_code="", duration=18, report_channel="mssante"):
    """Book ``net``'s site at ``at`` (a weekday morning), then check in, start and complete it."""
    appointment = appointment_book(
        actor=None, channel=Channel.PHONE, patient=patient or PatientFactory(), use=net.use, site=net.site,
        starts_at=at, now=at - dt.timedelta(days=3),
    )  # fmt: skip
    appointment = appointment_check_in(actor=None, channel=Channel.SITE, appointment=appointment, now=at)
    appointment = appointment_start(actor=None, channel=Channel.SITE, appointment=appointment, now=at)
    return appointment_complete(
        actor=None, channel=Channel.SITE, appointment=appointment, duration_minutes=duration, act_code=act_code,
        report_channel=report_channel, now=at + dt.timedelta(minutes=duration),
    )  # fmt: skip
