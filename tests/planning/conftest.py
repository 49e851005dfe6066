"""Real commune data for the planning tests (Lorraine, 2,322 communes) and the DREES decay bands."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from maille.planning.accessibility import DistanceDecay
from maille.planning.points import Points

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class CommuneTable:
    codes: list[str]
    departements: list[str]
    points: Points
    population: np.ndarray
    standardised_population: np.ndarray
    apl: np.ndarray


def read_communes(path: Path = DATA / "communes_lorraine.csv") -> CommuneTable:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return CommuneTable(
        codes=[r["code"] for r in rows],
        departements=[r["dep"] for r in rows],
        points=Points(
            [float(r["lat"]) for r in rows], [float(r["lon"]) for r in rows], [r["code"] for r in rows]
        ),
        population=np.array([float(r["population"]) for r in rows]),
        standardised_population=np.array([float(r["pop_std"] or "nan") for r in rows]),
        apl=np.array([float(r["apl"] or "nan") for r in rows]),
    )


def read_decay(path: Path = DATA / "drees_apl_parametres.csv") -> DistanceDecay:
    with path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["table"] == "decroissance_distance"]
    return DistanceDecay.from_labels([(r["classe"], float(r["valeur_2022_ou_unique"])) for r in rows])


@pytest.fixture(scope="session")
def lorraine() -> CommuneTable:
    return read_communes()


@pytest.fixture(scope="session")
def apl_decay() -> DistanceDecay:
    return read_decay()
