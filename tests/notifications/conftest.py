"""Notification tests: fast password hashing, a file outbox per test, real time (reminders are relative to now)."""

from __future__ import annotations

import pytest

from maille.core.models import Channel
from maille.scheduling.services import appointment_book
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import make_network, weekday_at


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.NOTIFICATIONS_FILE = str(tmp_path / "outbox.jsonl")
    settings.NOTIFICATIONS_SMS_BACKEND = "file"
    settings.NOTIFICATIONS_EMAIL_BACKEND = "file"
    settings.NOTIFICATIONS_DEFAULT_POLICY = (24, 3, 2000, 80)


@pytest.fixture
def net(db):
    return make_network()


def book(net, *, at=None, patient=None, **patient_fields):
    patient = patient or PatientFactory(**({"phone": "+33612345678", "email": ""} | patient_fields))
    return appointment_book(
        actor=None, channel=Channel.PHONE, patient=patient, use=net.use, site=net.site,
        starts_at=at or weekday_at(3, 10),
    )  # fmt: skip
