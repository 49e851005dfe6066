from __future__ import annotations

import gzip
import json
import shutil

import pytest

from maille.territory.importers.base import ImportFileError, RejectedRowsError
from maille.territory.importers.cog import find_cog_files, import_cog, parse_cog
from maille.territory.models import Commune, Departement, Epci, FormerCommune, Region

from .conftest import COG_DIR, FIXTURE_COMMUNES


def _counts(result):
    return {c.label: (c.created, c.updated, c.unchanged, c.rejected) for c in result.counts}


def _edit(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_parse_keeps_current_communes_with_their_epci():
    data = parse_cog(find_cog_files([COG_DIR]))
    assert not data.rejects
    assert len(data.communes) == FIXTURE_COMMUNES
    assert "08007" not in data.communes  # a commune-déléguée
    assert data.communes["55463"]["epci_id"] == "245500327"
    assert set(data.epcis) == {"245500327", "245701404"}


@pytest.mark.django_db
def test_import_writes_every_level_and_is_idempotent():
    first = import_cog([COG_DIR])
    assert _counts(first)["Communes"] == (FIXTURE_COMMUNES, 0, 0, 0)
    commune = Commune.objects.get(code="57038")
    assert commune.departement.region.name == "Grand Est"
    assert commune.epci.name == "CC du Pays Haut Val d'Alzette"
    assert commune.postal_codes
    assert commune.population > 0
    second = import_cog([COG_DIR])
    assert _counts(second)["Communes"] == (0, 0, FIXTURE_COMMUNES, 0)
    assert _counts(second)["EPCI"] == (0, 0, 2, 0)
    assert Commune.objects.count() == FIXTURE_COMMUNES
    assert Region.objects.count() == len(json.loads((COG_DIR / "regions.json").read_text()))


@pytest.mark.django_db
def test_former_codes_point_at_the_commune_that_absorbed_them(cog_copy):
    """``anciensCodes`` of a current commune, and ``chefLieu`` of a delegated commune whose code is no
    longer current; a former code whose absorbing commune is not loaded is left out."""
    _edit(
        cog_copy / "communes.json",
        lambda d: d.append(
            {"code": "55999", "nom": "Ancienne-Commune", "type": "commune-deleguee", "chefLieu": "55463"}
        ),
    )
    result = import_cog([cog_copy])
    assert _counts(result)["Anciennes communes"] == (3, 0, 0, 0)
    assert dict(FormerCommune.objects.values_list("code", "commune_id")) == {
        "55003": "55229",
        "55074": "55229",
        "55999": "55463",
    }
    assert FormerCommune.objects.get(code="55999").name == "Ancienne-Commune"
    assert _counts(import_cog([cog_copy]))["Anciennes communes"] == (0, 0, 3, 0)


@pytest.mark.django_db
def test_region_filter_restricts_every_level(cog_copy):
    import_cog([cog_copy], regions=["44"])
    assert list(Region.objects.values_list("code", flat=True)) == ["44"]
    assert set(Departement.objects.values_list("region_id", flat=True)) == {"44"}
    with pytest.raises(ImportFileError, match="région"):
        import_cog([cog_copy], regions=["99"])


@pytest.mark.django_db
def test_changed_name_counts_as_updated(cog_copy):
    import_cog([cog_copy])
    _edit(cog_copy / "communes.json", lambda d: d[0].update(nom="Nom changé"))
    result = import_cog([cog_copy])
    assert _counts(result)["Communes"] == (0, 1, FIXTURE_COMMUNES - 1, 0)
    assert Commune.objects.filter(name="Nom changé").count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d[0].update(code="5546"), "élément 1"),
        (lambda d: d[1].update(code="ABCDE"), "code commune INSEE invalide"),
        (lambda d: d[2].update(departement="99"), "département inconnu « 99 »"),
        (lambda d: d[3].update(population=-4), "population négative"),
        (lambda d: d.append(dict(d[4])), "code commune en double"),
        (lambda d: d[5].update(codesPostaux=["5500"]), "codes postaux invalides"),
    ],
)
@pytest.mark.django_db
def test_bad_commune_rejects_everything(cog_copy, change, message):
    _edit(cog_copy / "communes.json", change)
    with pytest.raises(RejectedRowsError, match=message) as error:
        import_cog([cog_copy])
    assert "communes.json" in str(error.value)
    assert Commune.objects.count() == 0
    assert Region.objects.count() == 0


@pytest.mark.django_db
def test_bad_row_leaves_a_loaded_database_unchanged(cog_copy):
    import_cog([cog_copy])
    before = list(Commune.objects.values_list("code", "name", "population"))
    _edit(
        cog_copy / "communes.json", lambda d: (d[0].update(nom="Autre"), d[1].update(population="beaucoup"))
    )
    with pytest.raises(RejectedRowsError, match="population"):
        import_cog([cog_copy])
    assert list(Commune.objects.values_list("code", "name", "population")) == before


@pytest.mark.django_db
def test_skip_invalid_imports_the_valid_rows_and_lists_rejects(cog_copy):
    _edit(cog_copy / "communes.json", lambda d: d[0].update(population=-1))
    result = import_cog([cog_copy], skip_invalid=True)
    assert [str(r) for r in result.rejects] == [
        f"communes.json, élément 1 ({result.rejects[0].location[-6:-1]}) : population négative (-1)"
    ]
    assert Commune.objects.count() == FIXTURE_COMMUNES - 1


@pytest.mark.django_db
def test_epci_problems_are_rejected(cog_copy):
    def damage(data):
        data[0]["membres"].append({"code": "55999"})
        data[1]["code"] = "245701405"  # wrong Luhn key

    _edit(cog_copy / "epci.json", damage)
    with pytest.raises(RejectedRowsError) as error:
        import_cog([cog_copy])
    text = str(error.value)
    assert "commune membre inconnue « 55999 »" in text
    assert "SIREN invalide" in text
    assert Epci.objects.count() == 0


@pytest.mark.django_db
def test_wrong_formats_get_one_clear_error(cog_copy):
    (cog_copy / "regions.json").write_text("<html>pas du JSON</html>")
    with pytest.raises(ImportFileError, match=r"regions\.json : JSON illisible"):
        import_cog([cog_copy])
    (cog_copy / "regions.json").write_text('{"code": "44"}')
    with pytest.raises(ImportFileError, match="pas une liste"):
        import_cog([cog_copy])
    text = (COG_DIR / "communes.json").read_text()
    (cog_copy / "communes.json").write_text(text[: len(text) // 2])
    shutil.copy(COG_DIR / "regions.json", cog_copy / "regions.json")
    with pytest.raises(ImportFileError, match="tronqué"):
        import_cog([cog_copy])
    (cog_copy / "communes.json").unlink()
    with pytest.raises(ImportFileError, match=r"introuvable.*communes\.json"):
        import_cog([cog_copy])


@pytest.mark.django_db
def test_gzipped_files_are_read_and_truncated_gzip_is_reported(cog_copy):
    for path in list(cog_copy.iterdir()):
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()
    import_cog([cog_copy])
    assert Commune.objects.count() == FIXTURE_COMMUNES
    gz = cog_copy / "communes.json.gz"
    gz.write_bytes(gz.read_bytes()[:500])
    with pytest.raises(ImportFileError, match="gzip tronqué"):
        import_cog([cog_copy])


@pytest.mark.django_db
def test_query_count_does_not_grow_with_rows(cog_copy, django_assert_max_num_queries):
    # The same number of statements for the 27 communes as for a quarter of them.
    _edit(
        cog_copy / "communes.json",
        lambda d: d.__setitem__(slice(None), [c for c in d if c["code"] < "55300"]),
    )
    _edit(
        cog_copy / "epci.json",
        lambda d: [e.update(membres=[m for m in e["membres"] if m["code"] < "55300"]) for e in d],
    )
    with django_assert_max_num_queries(20) as small:
        import_cog([cog_copy])
    for model in (Commune, Epci, Departement, Region):
        model.objects.all().delete()
    with django_assert_max_num_queries(20) as full:
        import_cog([COG_DIR])
    assert len(full.captured_queries) == len(small.captured_queries)
