"""Finding the patient's commune from what they type: a postcode, an INSEE code or a name, accents and case
ignored ("saint-mihiel", "ST MIHIEL", "55300"). An index of the communes, built once per process and rebuilt
when the table changes (one aggregate query: row count, first and last code and name), answers without
scanning the table for each search."""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

from django.db.models import Count, Max, Min

from maille.territory.models import Commune

MAX_CHOICES = 12
MAX_POSTCODE_CHOICES = 80
_DIGITS = re.compile(r"^\d{5}$|^2[AB]\d{3}$")


def normalised(text: str) -> str:
    """Lower case, no accents, words separated by single spaces; "St" and "Ste" read as "saint(e)"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", plain).split()
    expanded = {"st": "saint", "ste": "sainte"}
    return " ".join(expanded.get(word, word) for word in words)


@dataclass(frozen=True)
class _Index:
    version: tuple[object, ...]
    by_postcode: dict[str, list[str]]
    by_name: dict[str, list[str]]
    names: list[tuple[str, str]]  # (normalised name, code), sorted


_lock = threading.Lock()
_index: _Index | None = None


def _version() -> tuple[object, ...]:
    summary = Commune.objects.aggregate(
        count=Count("code"), first=Min("code"), last=Max("code"), low=Min("name"), high=Max("name")
    )
    return tuple(summary.values())


def _build(version: tuple[object, ...]) -> _Index:
    by_postcode: dict[str, list[str]] = {}
    by_name: dict[str, list[str]] = {}
    names = []
    rows = Commune.objects.order_by("-population", "code").values_list("code", "name", "postal_codes")
    for code, name, postal_codes in rows:
        for postcode in postal_codes or []:
            by_postcode.setdefault(str(postcode), []).append(code)
        key = normalised(name)
        by_name.setdefault(key, []).append(code)
        names.append((key, code))
    names.sort()
    return _Index(version, by_postcode, by_name, names)


def _current() -> _Index:
    global _index
    version = _version()
    with _lock:
        if _index is None or _index.version != version:
            _index = _build(version)
        return _index


def communes_matching(text: str) -> list[Commune]:
    """The communes the text may mean: every commune of a postcode in alphabetical order, or the communes of
    a name (or of its beginning), most populous first (at most ``MAX_CHOICES``)."""
    text = text.strip()
    if not text:
        return []
    index = _current()
    compact = text.replace(" ", "").upper()
    if _DIGITS.match(compact):
        codes = index.by_postcode.get(compact) or [compact]  # a postcode, else an INSEE code
        communes = Commune.objects.filter(code__in=codes[:MAX_POSTCODE_CHOICES])
        # up to ~50 communes share a postcode in the countryside: alphabetical, the patient finds theirs
        return sorted(communes, key=lambda c: normalised(c.name))
    key = normalised(text)
    codes = index.by_name.get(key, [])
    if not codes and len(key) >= 3:
        codes = [code for name, code in index.names if name.startswith(key)]
    found = Commune.objects.filter(code__in=codes[: MAX_CHOICES * 4])
    return sorted(found, key=lambda c: (-(c.population or 0), c.name))[:MAX_CHOICES]
