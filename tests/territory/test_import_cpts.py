from __future__ import annotations

import pytest

from maille.territory.importers.base import ImportFileError, RejectedRowsError
from maille.territory.importers.cpts import import_cpts
from maille.territory.models import Cpts

from .conftest import CPTS_CSV


@pytest.mark.django_db
def test_import_cpts_with_perimeters_is_idempotent(loaded_cog):
    result = import_cpts(CPTS_CSV, fictional=True)
    assert result.counts[0].created == 2
    cpts = Cpts.objects.get(name="CPTS fictive du Sammiellois")
    assert cpts.is_fictional
    assert cpts.departement_id == "55"
    assert set(cpts.communes.values_list("code", flat=True)) == {"55463", "55467", "55268"}
    again = import_cpts(CPTS_CSV, fictional=True)
    assert again.counts[0].unchanged == 2
    assert Cpts.communes.through.objects.count() == 5


@pytest.mark.django_db
def test_changed_perimeter_is_replaced(tmp_path, loaded_cog):
    import_cpts(CPTS_CSV)
    path = tmp_path / "cpts.csv"
    path.write_text("nom;departement;communes\nCPTS fictive du Sammiellois;55;55463\n")
    result = import_cpts(path)
    assert (result.counts[0].updated, result.counts[0].unchanged) == (1, 0)
    assert list(
        Cpts.objects.get(name="CPTS fictive du Sammiellois").communes.values_list("code", flat=True)
    ) == ["55463"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("CPTS X;55;55999", "ligne 4 : commune inconnue « 55999 »"),
        ("CPTS X;99;55463", "ligne 4 : département inconnu « 99 »"),
        ("CPTS X;55;554X3", "ligne 4 : code commune INSEE invalide"),
        ("CPTS fictive du Sammiellois;55;55463", "ligne 4 : CPTS « CPTS fictive du Sammiellois » en double"),
        ("CPTS X;55;", "ligne 4 : périmètre vide"),
        (";55;55463", "ligne 4 : nom de CPTS manquant"),
    ],
)
@pytest.mark.django_db
def test_bad_rows_are_rejected_and_nothing_is_written(tmp_path, loaded_cog, line, message):
    path = tmp_path / "cpts.csv"
    path.write_text(CPTS_CSV.read_text() + line + "\n")
    with pytest.raises(RejectedRowsError, match=message):
        import_cpts(path)
    assert not Cpts.objects.exists()
    assert import_cpts(path, skip_invalid=True).counts[0].created == 2


@pytest.mark.django_db
def test_wrong_header(tmp_path, loaded_cog):
    path = tmp_path / "cpts.csv"
    path.write_text("name,communes\nA,55463\n")
    with pytest.raises(ImportFileError, match="cpts.csv : en-tête"):
        import_cpts(path)


@pytest.mark.django_db
def test_query_count_does_not_grow_with_rows(tmp_path, loaded_cog, django_assert_max_num_queries):
    one = tmp_path / "one.csv"
    one.write_text("nom;departement;communes\nCPTS A;55;55463\n")
    many = tmp_path / "many.csv"
    many.write_text(
        "nom;departement;communes\n" + "".join(f"CPTS {i};55;55463 55467 55268\n" for i in range(40))
    )
    with django_assert_max_num_queries(12) as few:
        import_cpts(one)
    with django_assert_max_num_queries(12) as lots:
        import_cpts(many)
    assert len(lots.captured_queries) == len(few.captured_queries)
