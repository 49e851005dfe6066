from __future__ import annotations

import openpyxl
import pytest

from maille.territory.importers.apl import import_apl, label_bounds, parse_apl
from maille.territory.importers.base import ImportFileError, RejectedRowsError
from maille.territory.models import AplParameter, Commune, FormerCommune

from .conftest import APL_WORKBOOK, FIXTURE_COMMUNES

OUTSIDE = 3  # 01001, 2A004, 97101 are in the extract but not in the loaded territory


def _damaged(tmp_path, sheet, row, column, value):
    workbook = openpyxl.load_workbook(APL_WORKBOOK)
    workbook[sheet].cell(row=row, column=column).value = value
    path = tmp_path / "apl.xlsx"
    workbook.save(path)
    return path


def test_parse_reads_the_published_layout():
    data = parse_apl(APL_WORKBOOK)
    assert data.year == 2023
    assert data.sheet == "APL 2023"
    assert len(data.rows) == FIXTURE_COMMUNES + OUTSIDE
    assert data.rows["01001"] == {
        "apl_year": 2023,
        "apl_gp": 1.942,
        "apl_gp_under65": 1.881,
        "population_standardised": 838.154,
    }
    assert parse_apl(APL_WORKBOOK, year=2022).rows["01001"]["apl_gp"] == 1.89


def test_parameters_tables_with_bounds():
    parameters = parse_apl(APL_WORKBOOK).parameters
    distance = [p for p in parameters if p["table"] == "decroissance_distance" and p["year"] == 2023]
    assert [p["upper_bound"] for p in distance] == [10, 15, 20, None]
    assert [round(p["value"], 4) for p in distance] == [1, 0.6667, 0.3333, 0]
    ages = [p for p in parameters if p["table"] == "poids_age" and p["year"] == 2022]
    assert len(ages) == 19
    assert (ages[0]["lower_bound"], ages[0]["upper_bound"], ages[0]["value"]) == (0, 5, 0.93)
    assert (ages[1]["lower_bound"], ages[1]["upper_bound"]) == (5, 10)
    assert ages[-1]["upper_bound"] is None
    activity = [p for p in parameters if p["table"] == "activite_actes_annuels" and p["year"] == 2023]
    assert [p["value"] for p in activity] == [0, 3600, None, 6000]
    assert activity[2]["value_text"] == "actes_reels"
    assert label_bounds("Entre 3 601 et 6 000", "activite_actes_annuels") == (3601, 6000)


@pytest.mark.django_db
def test_import_sets_apl_and_counts_communes_outside(loaded_cog):
    result = import_apl(APL_WORKBOOK)
    communes, parameters, former = result.counts
    assert former.created == 0  # the fixture's COG has no former code for the three outside rows
    assert (communes.created, communes.updated, communes.unchanged) == (0, FIXTURE_COMMUNES, 0)
    assert parameters.created == AplParameter.objects.count() == 54
    assert any("3 commune(s) du classeur hors territoire chargé" in note for note in result.notes)
    commune = Commune.objects.get(code="55463")
    assert commune.apl_year == 2023
    assert commune.apl_gp > 0
    assert commune.population_standardised > 0
    again = import_apl(APL_WORKBOOK)
    assert (again.counts[0].unchanged, again.counts[1].unchanged) == (FIXTURE_COMMUNES, 54)
    assert AplParameter.objects.count() == 54


@pytest.mark.django_db
def test_strict_communes_rejects_communes_absent_from_the_database(loaded_cog):
    with pytest.raises(
        RejectedRowsError, match=r"feuille « APL 2023 », ligne 11 : commune inconnue « 01001 »"
    ):
        import_apl(APL_WORKBOOK, strict_communes=True)
    assert not Commune.objects.filter(apl_gp__isnull=False).exists()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (1, "5546X", "code commune INSEE invalide"),
        (3, "n.d.", "nombre attendu"),
        (3, "NaN", "non finie"),
        (5, None, "valeur manquante"),
        (5, -12.0, "valeur négative"),
        (1, "01001", "code commune en double"),
    ],
)
@pytest.mark.django_db
def test_bad_rows_are_rejected_with_their_row_and_nothing_is_written(
    tmp_path, loaded_cog, column, value, message
):
    path = _damaged(tmp_path, "APL 2023", 13, column, value)
    with pytest.raises(RejectedRowsError, match=rf"ligne 13 : .*{message}"):
        import_apl(path)
    assert not Commune.objects.filter(apl_gp__isnull=False).exists()
    assert not AplParameter.objects.exists()
    result = import_apl(path, skip_invalid=True)
    assert len(result.rejects) == 1
    assert Commune.objects.filter(apl_gp__isnull=False).exists()


@pytest.mark.django_db
def test_wrong_files_get_a_clear_error(tmp_path, loaded_cog):
    not_xlsx = tmp_path / "apl.xlsx"
    not_xlsx.write_text("code;apl\n55463;3.2\n")
    with pytest.raises(ImportFileError, match=r"apl\.xlsx : pas un classeur \.xlsx lisible"):
        import_apl(not_xlsx)
    truncated = tmp_path / "tronque.xlsx"
    truncated.write_bytes(APL_WORKBOOK.read_bytes()[:6000])
    with pytest.raises(ImportFileError, match=r"tronque\.xlsx"):
        import_apl(truncated)
    with pytest.raises(
        ImportFileError, match=r"pas de feuille « APL 2019 » \(années présentes : 2022, 2023\)"
    ):
        import_apl(APL_WORKBOOK, year=2019)
    no_header = _damaged(tmp_path, "APL 2023", 9, 1, "Commune")
    with pytest.raises(ImportFileError, match="en-tête « Code commune INSEE » introuvable"):
        import_apl(no_header)
    workbook = openpyxl.load_workbook(APL_WORKBOOK)
    del workbook["Paramètres"]
    workbook.save(tmp_path / "sans_parametres.xlsx")
    with pytest.raises(ImportFileError, match="feuille « Paramètres » absente"):
        import_apl(tmp_path / "sans_parametres.xlsx")
    assert not Commune.objects.filter(apl_gp__isnull=False).exists()


@pytest.mark.django_db
def test_query_count_does_not_grow_with_rows(tmp_path, loaded_cog, django_assert_max_num_queries):
    workbook = openpyxl.load_workbook(APL_WORKBOOK)
    workbook["APL 2023"].delete_rows(14, 20)  # keep a handful of communes
    small = tmp_path / "small.xlsx"
    workbook.save(small)
    with django_assert_max_num_queries(12) as few:
        import_apl(small)
    Commune.objects.update(apl_gp=None)
    AplParameter.objects.all().delete()
    with django_assert_max_num_queries(12) as many:
        import_apl(APL_WORKBOOK)
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
def test_rows_of_merged_communes_keep_their_published_value_on_the_former_commune(loaded_cog):
    workbook = parse_apl(APL_WORKBOOK)
    outside = sorted(set(workbook.rows) - set(Commune.objects.values_list("code", flat=True)))
    assert len(outside) == 3
    FormerCommune.objects.create(code=outside[0], commune_id="55463")
    result = import_apl(APL_WORKBOOK)
    former = FormerCommune.objects.get(code=outside[0])
    assert former.apl_gp == workbook.rows[outside[0]]["apl_gp"]
    assert former.apl_year == 2023
    # The absorbing commune keeps its own published value: nothing is averaged into it.
    assert Commune.objects.get(code="55463").apl_gp == workbook.rows["55463"]["apl_gp"]
    assert any(f"Commune {outside[0]} du classeur fusionnée depuis dans" in note for note in result.notes)
    assert any("2 commune(s) du classeur hors territoire chargé" in note for note in result.notes)
