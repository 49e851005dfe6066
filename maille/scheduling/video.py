"""The video link of a teleconsultation: one provider interface, a Jitsi Meet adapter and a URL template.

- Every appointment has its own room, whose name is an HMAC of the appointment id with the deployment's
  secret: unguessable without the secret, the same for the doctor and the site, nothing stored.
- ``jitsi``: ``VIDEO_JITSI_URL/<room>``; with ``VIDEO_JITSI_APP_ID`` set, a JWT (HS256, signed with
  ``VIDEO_JITSI_SECRET``, else the deployment's ``SECRET_KEY``) valid only for that room and the
  appointment's window is appended (``?jwt=``), as Jitsi's token authentication expects.
- ``template``: ``VIDEO_URL_TEMPLATE`` with ``{room}``, ``{appointment}`` and ``{role}`` (``doctor``,
  ``site``): the certified teleconsultation solutions that open a room from a URL.
- ``""``: no video configured; pages say so.

The link is given only to the appointment's doctor and the staff of its site (the patient's comes with the
public booking pages), and only from ``VIDEO_OPENS_MINUTES_BEFORE`` before the start to
``VIDEO_CLOSES_MINUTES_AFTER`` after the end. Links never go to logs.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import jwt
from django.conf import settings
from django.utils import timezone

from maille.accounts.models import Role
from maille.accounts.scope import scope_for

from .models import Appointment, AppointmentStatus

OPEN_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED, AppointmentStatus.CHECKED_IN,
                 AppointmentStatus.IN_PROGRESS)  # fmt: skip


@dataclass(frozen=True)
class VideoAccess:
    """What a user may see of an appointment's video: the link when open, else when it opens."""

    url: str  # "" outside the window, or without a provider
    opens_at: dt.datetime
    closes_at: dt.datetime
    configured: bool

    @property
    def is_open(self) -> bool:
        return bool(self.url)


class VideoProvider(Protocol):
    def link(self, appointment: Appointment, *, role: str, display_name: str) -> str: ...


def room_name(appointment_id: int) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"maille-video:{appointment_id}".encode(), hashlib.sha256
    ).digest()
    return "maille-" + base64.b32encode(digest[:15]).decode().lower()


def window(appointment: Appointment) -> tuple[dt.datetime, dt.datetime]:
    return (
        appointment.starts_at - dt.timedelta(minutes=settings.VIDEO_OPENS_MINUTES_BEFORE),
        appointment.ends_at + dt.timedelta(minutes=settings.VIDEO_CLOSES_MINUTES_AFTER),
    )


class JitsiProvider:
    def __init__(self, base_url: str | None = None, app_id: str | None = None, secret: str | None = None):
        self.base_url = (base_url or settings.VIDEO_JITSI_URL).rstrip("/")
        self.app_id = settings.VIDEO_JITSI_APP_ID if app_id is None else app_id
        self.secret = secret or settings.VIDEO_JITSI_SECRET or settings.SECRET_KEY

    def link(self, appointment: Appointment, *, role: str, display_name: str) -> str:
        room = room_name(appointment.pk)
        url = f"{self.base_url}/{quote(room)}"
        if not self.app_id:
            return url
        opens, closes = window(appointment)
        claims = {
            "aud": "jitsi",
            "iss": self.app_id,
            "sub": self.base_url.split("://", 1)[-1].split("/", 1)[0],
            "room": room,
            "nbf": int(opens.timestamp()),
            "exp": int(closes.timestamp()),
            "context": {"user": {"name": display_name, "moderator": role == "doctor"}},
        }
        return f"{url}?{urlencode({'jwt': jwt.encode(claims, self.secret, algorithm='HS256')})}"


class TemplateProvider:
    def __init__(self, template: str | None = None):
        self.template = template or settings.VIDEO_URL_TEMPLATE

    def link(self, appointment: Appointment, *, role: str, display_name: str) -> str:
        return self.template.format(
            room=quote(room_name(appointment.pk)), appointment=appointment.pk, role=role
        )


def provider() -> VideoProvider | None:
    name = settings.VIDEO_PROVIDER
    if name == "jitsi":
        return JitsiProvider()
    if name == "template" and settings.VIDEO_URL_TEMPLATE:
        return TemplateProvider()
    return None


def video_role(user: Any, appointment: Appointment) -> str | None:
    """ "doctor" for the appointment's doctor, "site" for its site's staff, None for anyone else."""
    scope = scope_for(user)
    if scope.professional_id is not None and scope.professional_id == appointment.doctor_id:
        return "doctor"
    if scope.has_role(Role.SITE_STAFF) and appointment.site_id in scope.site_ids:
        return "site"
    return None


def video_access(
    user: Any, appointment: Appointment, *, now: dt.datetime | None = None
) -> VideoAccess | None:
    """The video of an appointment for this user; None when it is not theirs to join (or not live)."""
    role = video_role(user, appointment)
    if role is None or appointment.status not in OPEN_STATUSES:
        return None
    now = now or timezone.now()
    opens, closes = window(appointment)
    chosen = provider()
    url = ""
    if chosen is not None and opens <= now <= closes:
        name = user.get_full_name() or user.get_username()
        url = chosen.link(appointment, role=role, display_name=name if role == "doctor" else f"{name} (site)")
    return VideoAccess(url=url, opens_at=opens, closes_at=closes, configured=chosen is not None)


def patient_video_access(appointment: Appointment, *, now: dt.datetime | None = None) -> VideoAccess | None:
    """The video for the patient, through the signed link of their appointment page (the public pages check
    the link): the same room and window, as a participant named "Patient" (no name leaves the platform)."""
    if appointment.status not in OPEN_STATUSES:
        return None
    now = now or timezone.now()
    opens, closes = window(appointment)
    chosen = provider()
    url = ""
    if chosen is not None and opens <= now <= closes:
        url = chosen.link(appointment, role="patient", display_name="Patient")
    return VideoAccess(url=url, opens_at=opens, closes_at=closes, configured=chosen is not None)
