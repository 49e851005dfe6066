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
            number = float(str(raw).replace(",", ".").strip()) if not isinstance(raw, int | float) else raw
        except ValueError:
            errors[spec.name] = _("%(label)s : un nombre est attendu.") % {"label": spec.label}
            continue
        if isinstance(number, bool) or number != number or not spec.minimum <= number <= spec.maximum:
            errors[spec.name] = _("%(label)s : entre %(min)s et %(max)s %(unit)s.") % {
                "label": spec.label,
                "min": f"{spec.minimum:g}".replace(".", ","),
                "max": f"{spec.maximum:g}".replace(".", ","),
                "unit": spec.unit,
            }
            continue
        if spec.integer and number != int(number):
            errors[spec.name] = _("%(label)s : un nombre entier est attendu.") % {"label": spec.label}
            continue
        chosen[spec.name] = int(number) if spec.integer else float(number)
    if errors:
        raise AssumptionsError(errors)
    names = {f.name for f in fields(Assumptions)}
    return Assumptions(**{k: v for k, v in chosen.items() if k in names})  # type: ignore[arg-type]
