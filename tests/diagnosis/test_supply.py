"""One's own supply data: the file read row by row (every error reported, nothing saved half-way), the
activity counted as the DREES counts it, the accessibility computed from scratch beside the published APL,
and the pages."""

from __future__ import annotations

from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maille.accounts.models import Role
from maille.core.identifiers import luhn_complete
from maille.core.models import AuditEvent
from maille.diagnosis.models import SupplyImport
from maille.diagnosis.supply import (
    SupplyFileError,
    activity_bands,
    compare_with_published,
    counted_activity,
    parse_supply_file,
    supply_import_create,
)
from maille.diagnosis.zones import Zone
from maille.territory.models import AplParameter
from tests.factories import CommuneFactory, DepartementFactory, user_with_role

pytestmark = pytest.mark.django_db
MEUSE = Zone("departement", "55", "Meuse")
RPPS_A, RPPS_B = luhn_complete("1000000001"), luhn_complete("1000000002")
HEADER = "identifiant_rpps;code_commune;activite_actes;age;nom\n"


@pytest.fixture
def bands(network):
    for rank, (label, value, text, lower, upper) in enumerate([
        ("Moins de 250", 0.0, "", 0.0, 250.0),
        ("Entre 251 et 3 600", 3600.0, "", 251.0, 3600.0),
        ("Entre 3 601 et 6 000", None, "actes_reels", 3601.0, 6000.0),
        ("Plus de 6 000", 6000.0, "", 6000.0, None),
    ], start=1):  # fmt: skip
        AplParameter.objects.create(year=2023, table=AplParameter.Table.ACTIVITY, rank=rank, label=label,
                                    value=value, value_text=text, lower_bound=lower, upper_bound=upper)  # fmt: skip
    return activity_bands()


def test_activity_counts_as_the_drees_counts_it(bands):
    assert [counted_activity(acts, bands) for acts in (100, 250, 251, 2000, 3600, 4500, 6000, 9000)] == [
        0, 0, 3600, 3600, 3600, 4500, 6000, 6000,
    ]  # fmt: skip


def test_a_good_file_is_read_and_summed_per_commune(bands):
    data = ("\ufeff" + HEADER + f"{RPPS_A};55001;4500;52;Dr A\n{RPPS_B};55001;9000;70;Dr B\n"
            ";55003;3000;;\n\n").encode()  # fmt: skip
    parsed = parse_supply_file(data, bands=bands, exclude_65_and_over=False)
    assert parsed.practitioners == 3
    assert parsed.departements == {"55"}
    assert parsed.communes == {
        "55001": {"gps": 2, "activity": 10500.0},
        "55003": {"gps": 1, "activity": 3600.0},
    }
    under_65 = parse_supply_file(data, bands=bands, exclude_65_and_over=True)
    assert under_65.communes["55001"] == {"gps": 1, "activity": 4500.0}
    commas = "code_commune,activite_actes\n55001,4500\n".encode("cp1252")
    assert parse_supply_file(commas, bands=bands, exclude_65_and_over=False).practitioners == 1


def test_every_wrong_row_is_reported_with_its_line_and_column(bands):
    data = (HEADER + f"{RPPS_A};55001;4500;52;ok\n"
            "12345678901;99999;-5;150;x\n"
            f"{RPPS_A};55001;30000;40;y\n"
            ";55003;beaucoup;;z\n").encode()  # fmt: skip
    with pytest.raises(SupplyFileError) as refused:
        parse_supply_file(data, bands=bands, exclude_65_and_over=False)
    found = {(e.line, e.column) for e in refused.value.errors}
    assert found == {
        (3, "identifiant_rpps"), (3, "code_commune"), (3, "activite_actes"), (3, "age"),
        (4, "identifiant_rpps"), (4, "activite_actes"), (5, "activite_actes"),
    }  # fmt: skip
    messages = {(e.line, e.column): e.message for e in refused.value.errors}
    assert "Commune inconnue" in messages[(3, "code_commune")]
    assert "clé de contrôle" in messages[(3, "identifiant_rpps")]
    assert "ligne 2" in messages[(4, "identifiant_rpps")]
    assert "Activité impossible" in messages[(4, "activite_actes")]
    with pytest.raises(SupplyFileError) as no_header:
        parse_supply_file(b"rpps;commune_x\n1;2\n", bands=bands, exclude_65_and_over=False)
    assert {e.column for e in no_header.value.errors} == {"code_commune", "activite_actes"}


def test_nothing_is_saved_from_a_wrong_file_nor_outside_the_territory(bands, network):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    with pytest.raises(SupplyFileError):
        supply_import_create(coordinator, name="x", data=(HEADER + ";99999;10;;\n").encode(), file_name="f.csv",
                             exclude_65_and_over=False)  # fmt: skip
    with pytest.raises(SupplyFileError) as outside:
        supply_import_create(coordinator, name="x", data=(HEADER + ";52001;4000;;\n").encode(), file_name="f.csv",
                             exclude_65_and_over=False)  # fmt: skip
    assert "hors de votre territoire : 52" in outside.value.errors[0].message
    assert not SupplyImport.objects.exists()
    saved = supply_import_create(coordinator, name=" Médecins 2025 ", data=(HEADER + ";55002;4000;;\n").encode(),
                                 file_name="f.csv", exclude_65_and_over=False)  # fmt: skip
    assert (saved.name, saved.departements, saved.practitioners) == ("Médecins 2025", ["55"], 1)
    assert AuditEvent.objects.filter(action="supply.import", target_id=str(saved.pk)).exists()


def test_accessibility_from_the_file_beside_the_published_apl(bands, network):
    """One GP of 4,000 acts at Loin, 58 minutes from every other commune: Loin's 1,000 standardised
    inhabitants share it alone (4.0); the communes near Près have nothing."""
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    supply = supply_import_create(coordinator, name="Un médecin à Loin", data=(HEADER + ";55002;4000;;\n").encode(),
                                  file_name="f.csv", exclude_65_and_over=False)  # fmt: skip
    comparison = compare_with_published(coordinator, MEUSE, supply)
    rows = {r.code: r for r in comparison.rows}
    assert rows["55002"].computed == pytest.approx(4.0)
    assert rows["55002"].difference == pytest.approx(2.0)  # published 2.0
    assert rows["55001"].computed == 0.0
    assert all(r.complete for r in comparison.rows)
    assert comparison.under_published == 500 + 1000  # Près 1.2, Loin 2.0
    assert comparison.under_computed == 500 + 2000 + 100  # Près, Milieu, Sans APL: no GP within reach


def test_a_commune_near_a_departement_the_file_does_not_cover_is_marked(bands, network):
    meurthe = DepartementFactory(
        code="54", name="Meurthe-et-Moselle", region=network["pres"].departement.region
    )
    CommuneFactory(code="54001", name="Voisine", departement=meurthe, population=300, latitude=49.0,
                   longitude=5.35)  # fmt: skip
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    supply = supply_import_create(coordinator, name="Meuse", data=(HEADER + ";55002;4000;;\n").encode(),
                                  file_name="f.csv", exclude_65_and_over=False)  # fmt: skip
    comparison = compare_with_published(coordinator, MEUSE, supply)
    incomplete = {r.code for r in comparison.rows if not r.complete}
    assert incomplete == {"55001", "55004", "55003"}  # within 20 minutes of Voisine (54)
    assert comparison.incomplete == 3
    assert comparison.population == 1000  # only Loin counts in the totals


def test_the_pages_from_upload_to_comparison(client, bands, network):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    client.force_login(coordinator)
    url = reverse("diagnosis:supply_list")
    bad = SimpleUploadedFile("medecins.csv", (HEADER + ";99999;-1;;\n").encode(), content_type="text/csv")
    refused = client.post(url, {"nom": "Essai", "fichier": bad})
    assert refused.status_code == 422
    text = unescape(refused.content.decode())
    assert "Rien n'a été importé : 2 erreurs." in text
    assert text.count('data-testid="supply-error"') == 2
    assert 'value="Essai"' in text
    assert not SupplyImport.objects.exists()
    good = SimpleUploadedFile("medecins.csv", (HEADER + ";55002;4000;;\n").encode(), content_type="text/csv")
    saved = client.post(url, {"nom": "Essai", "fichier": good})
    supply = SupplyImport.objects.get()
    assert saved.url == reverse("diagnosis:supply_detail", args=[supply.pk])
    detail = unescape(client.get(saved.url).content.decode())
    assert "Accessibilité calculée avec ce fichier" in detail
    assert 'data-testid="supply-commune"' in detail
    evaluator = user_with_role(Role.EVALUATOR, departement_id="55")
    client.force_login(evaluator)
    assert client.get(saved.url).status_code == 200
    assert client.post(url, {"nom": "x"}).status_code == 403
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="52"))
    assert client.get(saved.url).status_code == 404
    client.force_login(coordinator)
    assert client.post(reverse("diagnosis:supply_delete", args=[supply.pk])).status_code == 302
    assert not SupplyImport.objects.exists()


def test_without_the_apl_parameters_the_offer_page_says_why(client, bands, network):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    supply = supply_import_create(coordinator, name="Meuse", data=(HEADER + ";55002;4000;;\n").encode(),
                                  file_name="f.csv", exclude_65_and_over=False)  # fmt: skip
    AplParameter.objects.filter(table=AplParameter.Table.DISTANCE).delete()
    client.force_login(coordinator)
    response = client.get(reverse("diagnosis:supply_detail", args=[supply.pk]))
    assert response.status_code == 409
    assert "Aucun paramètre APL" in unescape(response.content.decode())
