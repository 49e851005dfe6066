"""Django field validators wrapping ``maille.core.identifiers``."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError

from . import identifiers


def _check(normalize: Callable[[str], str], value: str) -> None:
    try:
        normalize(value)
    except identifiers.InvalidIdentifier as error:
        raise ValidationError(str(error)) from error


# Plain module-level functions: migrations serialise validators by their import path.
def validate_insee_commune(value: str) -> None:
    _check(identifiers.normalize_insee_commune, value)


def validate_rpps(value: str) -> None:
    _check(identifiers.normalize_rpps, value)


def validate_finess(value: str) -> None:
    _check(identifiers.normalize_finess, value)


def validate_siret(value: str) -> None:
    _check(identifiers.normalize_siret, value)


def validate_nir(value: str) -> None:
    _check(identifiers.normalize_nir, value)


def validate_phone(value: str) -> None:
    _check(identifiers.normalize_phone, value)


def validate_in_france(latitude: float, longitude: float) -> None:
    """Coordinates inside metropolitan France or an overseas département (bounding boxes)."""
    boxes = [
        (41.3, 51.2, -5.3, 9.7),  # metropolitan France and Corsica
        (15.8, 16.6, -61.9, -60.9),  # Guadeloupe
        (14.3, 14.9, -61.3, -60.8),  # Martinique
        (2.1, 5.8, -54.7, -51.6),  # Guyane
        (-21.4, -20.8, 55.2, 55.9),  # La Réunion
        (-13.1, -12.6, 44.9, 45.4),  # Mayotte
    ]
    if not any(s <= latitude <= n and w <= longitude <= e for s, n, w, e in boxes):
        raise ValidationError(
            f"coordonnées hors de France ({latitude:.5f}, {longitude:.5f})", code="outside_france"
        )
