"""What every public page shows in its footer: the booking service's phone number."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.conf import settings
from django.http import HttpRequest


def booking_phone(request: HttpRequest) -> dict[str, Any]:
    phone = settings.BOOKING_PHONE
    if not phone:
        return {}
    try:
        display = phonenumbers.format_number(
            phonenumbers.parse(phone, "FR"), phonenumbers.PhoneNumberFormat.NATIONAL
        )
    except phonenumbers.NumberParseException:
        display = phone
    return {"booking_phone": phone, "booking_phone_display": display}
