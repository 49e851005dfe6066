"""The assumptions behind a scenario's sizing and its network accessibility, each with its bounds.

One table (``FIELDS``) gives each assumption its French label, default, unit and the range outside which a
value is refused as absurd; the web form and the API schema are both built from it, so that the two can
never accept different values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from maille.core.input_guards import french_decimal


@dataclass(frozen=True)
class Field:
    name: str
    label: Any
    unit: Any
    default: float
    minimum: float
    maximum: float
    step: float
    integer: bool = False
    help: Any = ""


FIELDS: tuple[Field, ...] = (
    Field("use_rate", _lazy("Recours à la téléconsultation assistée"), _lazy("par habitant et par an"),
          0.05, 0.001, 2.0, 0.001,
          help=_lazy("Nombre de téléconsultations assistées par habitant d'un bassin et par an.")),
    Field("consultation_minutes", _lazy("Durée d'une téléconsultation"), _lazy("minutes"), 20, 5, 90, 1),
    Field("target_wait_minutes", _lazy("Attente moyenne visée"), _lazy("minutes"), 15, 1, 120, 1),
    Field("weeks_per_year", _lazy("Semaines d'ouverture"), _lazy("par an"), 47, 1, 52, 1),
    Field("max_rooms", _lazy("Salles au plus par site"), "", 4, 1, 10, 1, integer=True),
    Field("catchment_minutes", _lazy("Trajet maximal d'un bassin"), _lazy("minutes"), 30, 5, 60, 1,
          help=_lazy("Chaque commune va au site le plus proche, à ce trajet au plus.")),
    Field("envisaged_hours_per_week", _lazy("Heures de téléconsultation d'un site envisagé"),
          _lazy("par semaine"), 14, 1, 60, 0.5,
          help=_lazy("Capacité d'un nouveau site, comptée dans l'APL avec le réseau.")),
)  # fmt: skip
FIELD_BY_NAME = {f.name: f for f in FIELDS}


@dataclass(frozen=True)
class Assumptions:
    use_rate: float = 0.05
    consultation_minutes: float = 20.0
    target_wait_minutes: float = 15.0
    weeks_per_year: float = 47.0
    max_rooms: int = 4
    catchment_minutes: float = 30.0
    envisaged_hours_per_week: float = 14.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def changed(self) -> dict[str, float]:
        """The assumptions that differ from the defaults (what a report says was chosen)."""
        default = Assumptions()
        return {k: v for k, v in asdict(self).items() if getattr(default, k) != v}


class AssumptionsError(ValueError):
    """Values out of range: ``errors`` maps each field to its French message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def checked_number(
    raw: Any, *, label: Any, low: float, high: float, integer: bool = False, unit: Any = ""
) -> float:
    """A submitted number (a decimal comma is fine) within its bounds, or ``ValueError`` with the French
    message naming the field: the one check of every bounded number of the diagnosis (assumptions, optimiser)."""
    if isinstance(raw, bool):
        raise ValueError(_("%(label)s : un nombre est attendu.") % {"label": label})
    typed = float(raw) if isinstance(raw, int | float) else french_decimal(raw)
    if typed is None:
        raise ValueError(_("%(label)s : un nombre est attendu.") % {"label": label})
    number = float(typed)
    if number != number or not low <= number <= high:
        raise ValueError(_("%(label)s : entre %(min)s et %(max)s %(unit)s.") % {
            "label": label, "min": f"{low:g}".replace(".", ","), "max": f"{high:g}".replace(".", ","),
            "unit": unit,
        })  # fmt: skip
    if integer and number != int(number):
        raise ValueError(_("%(label)s : un nombre entier est attendu.") % {"label": label})
    return int(number) if integer else number


def parse_assumptions(values: Mapping[str, Any]) -> Assumptions:
    """Assumptions from submitted or stored values (missing ones take their default); raises
    :class:`AssumptionsError` naming every field that is not a number in its range."""
    errors: dict[str, str] = {}
    chosen: dict[str, float] = {}
    for spec in FIELDS:
        raw = values.get(spec.name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            chosen[spec.name] = checked_number(
                raw,
                label=spec.label,
                low=spec.minimum,
                high=spec.maximum,
                integer=spec.integer,
                unit=spec.unit,
            )
        except ValueError as error:
            errors[spec.name] = str(error)
    if errors:
        raise AssumptionsError(errors)
    names = {f.name for f in fields(Assumptions)}
    return Assumptions(**{k: v for k, v in chosen.items() if k in names})  # type: ignore[arg-type]
