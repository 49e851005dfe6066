"""Notification tests: fast password hashing, a file outbox per test, real time (reminders are relative to now)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from maille.core.models import Channel
from maille.scheduling.services import appointment_book
from maille.scheduling.wallclock import PARIS
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import make_network


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.NOTIFICATIONS_FILE = str(tmp_path / "outbox.jsonl")
    settings.NOTIFICATIONS_SMS_BACKEND = "file"
    settings.NOTIFICATIONS_EMAIL_BACKEND = "file"
    settings.NOTIFICATIONS_DEFAULT_POLICY = (24, 3, 2000, 80)


def weekday_at(days_ahead: int, hour: int, minute: int = 0) -> dt.datetime:
    """The first weekday at least ``days_ahead`` days from today, at ``hour`` Paris time."""
    day = timezone.localdate() + dt.timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def net(db):
    return make_network()


def book(net, *, at=None, patient=None, **patient_fields):
    patient = patient or PatientFactory(**({"phone": "+33612345678", "email": ""} | patient_fields))
    return appointment_book(
        actor=None, channel=Channel.PHONE, patient=patient, use=net.use, site=net.site,
        starts_at=at or weekday_at(3, 10),
    )  # fmt: skip
