"""What every importer shares: rejects, file reading (.gz transparent), progress, bulk upserts with counts."""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.db import models
from django.utils.translation import gettext as _
from tqdm import tqdm

from maille.core.identifiers import InvalidIdentifier, normalize_insee_commune
from maille.core.input_guards import compact_number

T = TypeVar("T")

# SQLite accepts at least 999 bound parameters per statement: stay below for the key lookups.
LOOKUP_CHUNK = 900
# Rejects listed in an error message; the count of the others is given.
MAX_LISTED_REJECTS = 50


class ImportFileError(Exception):
    """A file that cannot be read as what the importer expects (wrong format, truncated, missing sheet)."""

    def __init__(self, path: Path | str, problem: str, expected: str) -> None:
        self.path = Path(path)
        super().__init__(
            _("%(file)s : %(problem)s ; attendu : %(expected)s")
            % {"file": self.path.name, "problem": problem, "expected": expected}
        )


@dataclass(frozen=True)
class Reject:
    """One row left out, with where it is in its file and why."""

    source: str
    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}, {self.location} : {self.reason}"


class RejectedRowsError(Exception):
    """Strict mode: at least one row was rejected, so nothing was written."""

    def __init__(self, rejects: Sequence[Reject]) -> None:
        self.rejects = list(rejects)
        super().__init__(format_rejects(self.rejects, heading=True))


def format_rejects(rejects: Sequence[Reject], *, heading: bool = False) -> str:
    lines = [str(reject) for reject in rejects[:MAX_LISTED_REJECTS]]
    if len(rejects) > MAX_LISTED_REJECTS:
        lines.append(_("… et %(count)d autre(s) rejet(s)") % {"count": len(rejects) - MAX_LISTED_REJECTS})
    if heading:
        lines.insert(
            0,
            _(
                "%(count)d ligne(s) rejetée(s) : rien n'a été importé "
                "(corrigez le fichier ou relancez avec --skip-invalid)."
            )
            % {"count": len(rejects)},
        )
    return "\n".join(lines)


def line_at(number: int) -> str:
    return _("ligne %(number)d") % {"number": number}


def item_at(number: int) -> str:
    return _("élément %(number)d") % {"number": number}


@dataclass
class Counts:
    """What an upsert did to one model."""

    label: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def summary(self) -> str:
        return _(
            "%(label)s : %(created)d ajout(s), %(updated)d mise(s) à jour, "
            "%(unchanged)d sans changement, %(rejected)d rejet(s)"
        ) % {
            "label": self.label,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


def read_bytes(path: Path | str, expected: str) -> bytes:
    """The file's content, decompressed when it is gzip (by magic number, whatever its name)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFileError(
            path, _("fichier illisible (%(error)s)") % {"error": error.strerror}, expected
        ) from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error):
            raise ImportFileError(path, _("fichier gzip tronqué ou corrompu"), expected) from None
    return data


def read_text(path: Path | str, expected: str) -> str:
    data = read_bytes(path, expected)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            path, _("texte non UTF-8 (octet %(position)d)") % {"position": error.start}, expected
        ) from None


def read_json(path: Path | str, expected: str) -> Any:
    text = read_text(path, expected)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(
            path,
            _("JSON illisible ou tronqué (ligne %(line)d, colonne %(column)d : %(message)s)")
            % {"line": error.lineno, "column": error.colno, "message": error.msg},
            expected,
        ) from None


def progress(iterable: Iterable[T], *, total: int | None, desc: str, enabled: bool) -> Iterator[T]:
    """A tqdm bar on stderr; ``enabled`` is decided by the caller (TTY and ``--no-progress``)."""
    yield from tqdm(iterable, total=total, desc=desc, disable=not enabled, file=sys.stderr, leave=False)


def check_insee(value: Any) -> tuple[str | None, str | None]:
    """(normalised code, None) or (None, reason)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, _("code commune INSEE manquant")
    try:
        return normalize_insee_commune(str(value)), None
    except InvalidIdentifier as error:
        return None, str(error)


def check_number(value: Any, name: str, *, minimum: float | None = 0.0) -> tuple[float | None, str | None]:
    """A finite number (from a float, an int or a French/English decimal string), or the reason why not."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, _("%(name)s : valeur manquante") % {"name": name}
    if isinstance(value, bool):
        return None, _("%(name)s : nombre attendu, « %(value)s » trouvé") % {"name": name, "value": value}
    if isinstance(value, str):  # the spaces of French thousands (thin, non-breaking) as the forms read them
        value = compact_number(value).replace(",", ".")
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, _("%(name)s : nombre attendu, « %(value)s » trouvé") % {"name": name, "value": value}
    if not math.isfinite(number):
        return None, _("%(name)s : valeur non finie (%(value)s)") % {"name": name, "value": value}
    if minimum is not None and number < minimum:
        return None, _("%(name)s : valeur négative (%(value)s)") % {"name": name, "value": value}
    return number, None


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert(
    model: type[models.Model],
    rows: Mapping[Any, Mapping[str, Any]],
    *,
    update_fields: Sequence[str],
    label: str,
    show_progress: bool = False,
    batch_size: int = 500,
) -> Counts:
    """Insert or update ``rows`` (primary key → {attname: value}) with bulk statements, never one per row.

    Rows whose ``update_fields`` already hold the given values are left alone and counted as unchanged,
    so a re-import writes nothing. A row absent from the database is created from its values alone: for
    a partial update (APL, centroids) the caller passes only keys that exist.
    """
    meta = model._meta
    pk_attname = meta.pk.attname
    attnames = [f.attname for f in meta.concrete_fields]
    counts = Counts(label=label)
    existing: dict[Any, dict[str, Any]] = {}
    for chunk in chunked(list(rows), LOOKUP_CHUNK):
        for current in model._default_manager.filter(pk__in=chunk).values(*attnames):
            existing[current[pk_attname]] = current
    to_write: list[models.Model] = []
    for key, values in progress(rows.items(), total=len(rows), desc=label, enabled=show_progress):
        current = existing.get(key)
        if current is None:
            counts.created += 1
            to_write.append(model(**{pk_attname: key, **values}))
        elif all(current[name] == values[name] for name in update_fields):
            counts.unchanged += 1
        else:
            counts.updated += 1
            to_write.append(model(**{**current, **values}))
    if to_write:
        model._default_manager.bulk_create(
            to_write,
            batch_size=batch_size,
            update_conflicts=True,
            unique_fields=[meta.pk.name],
            update_fields=list(update_fields),
        )
    return counts


@dataclass
class ImportResult:
    """What an import did: counts per model, rows rejected (with --skip-invalid) and notes for the user."""

    counts: list[Counts] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        return [c.summary() for c in self.counts] + self.notes


def ensure_no_rejects(rejects: Sequence[Reject], *, skip_invalid: bool) -> None:
    """Strict by default: any reject stops the import before anything is written."""
    if rejects and not skip_invalid:
        raise RejectedRowsError(rejects)


def csv_rows(path: Path, text: str, expected: Any) -> csv.DictReader[str]:
    """A DictReader on ``text`` with the delimiter of its header line (``,``, ``;`` or tab)."""
    header = text.split("\n", 1)[0]
    if not header.strip():
        raise ImportFileError(path, _("fichier vide ou sans en-tête"), expected)
    delimiter = max(",;\t", key=header.count)
    return csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
