"""Checks of raw input that the database would otherwise refuse with a server error.

PostgreSQL stores no NUL character in text and no UTC offset beyond ±15:59; both are input errors (4xx
naming the parameter), found before any query runs. Shared by /api/v1 and /fhir.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from pydantic import AfterValidator

NUL = "\x00"
MAX_ID_DIGITS = 18  # beyond, not a row number (a bigint holds 19 digits): refused before any query
# PostgreSQL's limit for a time-zone displacement.
MAX_UTC_OFFSET = dt.timedelta(hours=15, minutes=59)


def _nul_in(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_in(str(key), path) or _nul_in(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_in(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def find_nul_character(request: HttpRequest) -> tuple[str, str] | None:
    """(where, parameter) of the first NUL character in the query string or a JSON body, or None."""
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in value for value in values):
            return "query", name.replace(NUL, "\\0")
    if request.method in {"POST", "PUT", "PATCH"} and b"\\u0000" in request.body:
        try:
            found = _nul_in(json.loads(request.body), "")
        except ValueError:
            return None  # not JSON: the endpoint's own parsing answers
        if found is not None:
            return "body", found or "body"
    return None


# The largest integer SQLite stores (a larger one in a query is a server error there, not a miss).
MAX_STORED_INTEGER = 2**63 - 1


def find_oversized_integer(request: HttpRequest, path: dict[str, Any]) -> tuple[str, str] | None:
    """(where, parameter) of the first whole number, in the query string or the path, too large for any
    identifier or count the database holds, or None."""
    for name, values in request.GET.lists():
        for value in values:
            text = value.strip().lstrip("+-")
            if text.isdigit() and len(text) > 18 and int(text) > MAX_STORED_INTEGER:
                return "query", name
    for name, value in path.items():
        if isinstance(value, int) and abs(value) > MAX_STORED_INTEGER:
            return "path", name
    return None


def oversized_integer_message() -> str:
    return _("Nombre trop grand pour un identifiant ou un effectif.")


def nul_character_message() -> str:
    return _("Le caractère NUL (0x00) n'est pas accepté.")


def _offset_within_limits(value: dt.datetime) -> dt.datetime:
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValueError(_("Décalage horaire hors limites (au plus ±15:59)."))
    return value


# A date-time given to the API: ISO 8601, with a UTC offset PostgreSQL can store.
ApiDateTime = Annotated[dt.datetime, AfterValidator(_offset_within_limits)]


def row_number(raw: Any) -> int | None:
    """An identifier typed in a query or form, as a number: ASCII digits only (``str.isdigit`` also accepts
    "²" or "①", which ``int`` refuses) and short enough for the database; None otherwise."""
    text = str(raw)
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_ID_DIGITS:
        return None
    return int(text)


def compact_number(raw: Any) -> str:
    """A number as typed, without its spaces (thin, non-breaking: French thousands) and euro sign."""
    return str(raw).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "")


def french_decimal(raw: Any) -> Decimal | None:
    """A decimal number typed the French way ("1 225,50", "12 500 €") or the English way; None when it is not a
    finite number. Bounds and precision are the caller's."""
    try:
        value = Decimal(compact_number(raw).replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
