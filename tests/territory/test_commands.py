"""The import commands as users run them: summary on stdout, errors as CommandError, `maille import …`."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from maille.territory.models import Commune, CommuneGeometry, Cpts

from .conftest import APL_WORKBOOK, COG_DIR, CPTS_CSV, FIXTURE_COMMUNES, GEO_FILES


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_every_command_prints_a_french_summary():
    out, _err = _run("import_cog", str(COG_DIR), "--region", "44")
    assert f"Communes : {FIXTURE_COMMUNES} ajout(s), 0 mise(s) à jour, 0 sans changement, 0 rejet(s)" in out
    out, _err = _run("import_centroids", *map(str, GEO_FILES))
    assert f"Communes (centroïdes) : 0 ajout(s), {FIXTURE_COMMUNES} mise(s) à jour" in out
    out, _err = _run("import_polygons", *map(str, GEO_FILES), "--tolerance", "0.0005")
    assert f"Contours de communes : {FIXTURE_COMMUNES} ajout(s)" in out
    out, _err = _run("import_apl", str(APL_WORKBOOK), "--year", "2022")
    assert "Feuille lue : « APL 2022 »." in out
    assert "hors territoire chargé" in out
    out, _err = _run("import_cpts", str(CPTS_CSV), "--fictional")
    assert "CPTS : 2 ajout(s)" in out
    assert Commune.objects.filter(apl_year=2022, latitude__isnull=False).count() == FIXTURE_COMMUNES
    assert CommuneGeometry.objects.count() == FIXTURE_COMMUNES
    assert Cpts.objects.filter(is_fictional=True).count() == 2


@pytest.mark.django_db
def test_rejects_stop_the_command_or_are_listed_with_skip_invalid(tmp_path, loaded_cog):
    data = json.loads(GEO_FILES[1].read_text())
    data["features"][2]["properties"]["code"] = "55A01"
    path = tmp_path / "communes-55.geojson"
    path.write_text(json.dumps(data))
    with pytest.raises(
        CommandError, match=r"rien n'a été importé.*\n.*communes-55\.geojson, entité 3 : code commune"
    ):
        _run("import_polygons", str(path))
    assert not CommuneGeometry.objects.exists()
    out, err = _run("import_polygons", str(path), "--skip-invalid")
    assert "1 rejet(s)" in out
    assert "1 ligne(s) rejetée(s), non importée(s)" in err
    assert "entité 3" in err
    assert CommuneGeometry.objects.count() == len(data["features"]) - 1


@pytest.mark.django_db
def test_wrong_format_is_a_command_error(tmp_path, loaded_cog):
    path = tmp_path / "apl.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(CommandError, match=r"apl\.xlsx : pas un classeur"):
        _run("import_apl", str(path))
    with pytest.raises(CommandError, match="tolerance"):
        _run("import_polygons", str(GEO_FILES[0]), "--tolerance", "2")


def test_maille_import_lists_the_kinds():
    completed = subprocess.run(
        [sys.executable, "-m", "maille.cli", "import", "apl", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--strict-communes" in completed.stdout
    assert "--skip-invalid" in completed.stdout
