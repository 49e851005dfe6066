"""What every public page shows in its footer: the booking service's phone number."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from maille.core.identifiers import phone_for_display


def booking_phone(request: HttpRequest) -> dict[str, Any]:
    phone = settings.BOOKING_PHONE
    if not phone:
        return {}
    return {"booking_phone": phone, "booking_phone_display": phone_for_display(phone)}
