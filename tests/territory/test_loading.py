"""The shipped Grand Est dataset, loaded the way `maille demo` loads it."""

from __future__ import annotations

from io import StringIO

import pytest

from maille.territory.importers.apl import parse_apl
from maille.territory.loading import GRAND_EST_DIR, grand_est_polygon_files, load_grand_est
from maille.territory.models import AplParameter, Commune, CommuneGeometry, Departement, Epci, FormerCommune


def test_shipped_dataset_is_compact_and_complete():
    files = [p for p in GRAND_EST_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 5_000_000
    assert len(grand_est_polygon_files()) == 10


@pytest.mark.django_db
def test_load_grand_est_loads_everything_and_reloads_without_changes():
    out = StringIO()
    summary = load_grand_est(stdout=out)
    assert summary.startswith("Grand Est chargé en ")
    communes = Commune.objects.filter(departement__region_id="44")
    assert Departement.objects.filter(region_id="44").count() == 10
    assert 5000 < communes.count() < 5200
    assert communes.filter(latitude__isnull=True).count() == 0
    assert CommuneGeometry.objects.count() == communes.count()
    assert communes.filter(apl_gp__isnull=False).count() > 5000
    assert Epci.objects.count() > 100
    assert AplParameter.objects.filter(year=2023).count() == 27
    stenay = Commune.objects.get(code="55502")
    assert stenay.name == "Stenay"
    assert stenay.apl_year == 2023
    assert 49.4 < stenay.latitude < 49.6
    assert 5.1 < stenay.longitude < 5.3
    assert "Communes : " in out.getvalue()
    # Every commune row of the DREES workbook is accounted for: on the commune of that code, or, for the
    # three communes merged since the workbook's geography, on the former commune, mapped by the COG.
    workbook = parse_apl(next((GRAND_EST_DIR / "apl").glob("*.xlsx*")))
    assert len(workbook.rows) == 5112
    current = dict(Commune.objects.filter(code__in=list(workbook.rows)).values_list("code", "apl_gp"))
    former = {f.code: f for f in FormerCommune.objects.filter(code__in=list(workbook.rows))}
    assert len(current) + len(former) == 5112
    assert all(current[code] == row["apl_gp"] for code, row in workbook.rows.items() if code in current)
    assert {code: f.commune_id for code, f in former.items()} == {
        "08300": "08439",
        "51205": "51485",
        "88393": "88321",
    }
    assert all(f.apl_gp == workbook.rows[code]["apl_gp"] and f.apl_year == 2023 for code, f in former.items())
    assert "Commune 88393 du classeur fusionnée depuis dans Neufchâteau (88321)" in out.getvalue()
    again = StringIO()
    load_grand_est(stdout=again)
    assert " 0 ajout(s), 0 mise(s) à jour" in again.getvalue()
    assert "mise(s) à jour, 0 sans" not in again.getvalue()
