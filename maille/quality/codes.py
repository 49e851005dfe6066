"""Verification codes printed on the quality documents (an assessment report, a label certificate)."""

from __future__ import annotations

import re
import secrets

# Characters a person reads aloud or types without confusion (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_PATTERN = re.compile(r"^[2-9A-HJKMNP-Z]{12}$")


def new_verification_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(typed: str) -> str | None:
    """ "abcd efgh-jkmn" → "ABCD-EFGH-JKMN"; None when it cannot be a code."""
    raw = re.sub(r"[\s\-.]", "", (typed or "").upper())[:40]
    if not CODE_PATTERN.match(raw):
        return None
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
