"""Shared loader of the national commune file for the planning benchmarks (not a benchmark itself)."""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FRANCE = Path(__file__).parent / "data" / "communes_france.csv.gz"


@dataclass(frozen=True)
class Communes:
    codes: np.ndarray
    region: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray
    population: np.ndarray
    standardised_population: np.ndarray
    apl: np.ndarray


def load_communes(region: str | None = None) -> Communes:
    """Communes with coordinates (3 of 34,976 have none), optionally of one région."""
    with gzip.open(FRANCE, "rt", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["lat"] and (region is None or r["reg"] == region)]
    return Communes(
        codes=np.array([r["code"] for r in rows]),
        region=np.array([r["reg"] for r in rows]),
        latitude=np.array([float(r["lat"]) for r in rows]),
        longitude=np.array([float(r["lon"]) for r in rows]),
        population=np.array([float(r["population"]) for r in rows]),
        standardised_population=np.nan_to_num(np.array([float(r["pop_std"] or "nan") for r in rows])),
        apl=np.array([float(r["apl"] or "nan") for r in rows]),
    )


def synthetic_supply(communes: Communes) -> np.ndarray:
    """GP activity is not open data: 5 consultations per inhabitant in communes above 1,500 people."""
    return np.where(communes.population > 1500, communes.population * 5.0, 0.0)
