"""Fixtures of the territory tests: paths to the small real extracts and a database loaded with them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from maille.territory.importers.cog import import_cog

FIXTURES = Path(__file__).parent / "fixtures"
COG_DIR = FIXTURES / "cog"
GEO_FILES = sorted((FIXTURES / "geo").glob("*.geojson"))
APL_WORKBOOK = FIXTURES / "apl_extract.xlsx"
COORDINATES_CSV = FIXTURES / "communes_coordinates.csv"
CPTS_CSV = FIXTURES / "cpts.csv"
FIXTURE_COMMUNES = 27


@pytest.fixture
def cog_copy(tmp_path: Path) -> Path:
    """A writable copy of the COG extract, for tests that damage one file."""
    target = tmp_path / "cog"
    shutil.copytree(COG_DIR, target)
    return target


@pytest.fixture
def loaded_cog(db):
    return import_cog([COG_DIR])
