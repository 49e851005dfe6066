"""Importing acts from a CSV file: every row checked, a row-level report, nothing saved on error, nothing
counted twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from maille.accounts.models import Role
from maille.core.models import AuditEvent
from maille.evaluation.imports import ActFileError, act_import_create
from maille.evaluation.ledger import pseudonym
from maille.evaluation.models import Act, ActCategory, ActImport, BillingLine, DoctorPractice
from tests.accounts.factories import user_with_role
from tests.directory.factories import SiteFactory
from tests.territory.factories import CommuneFactory, DepartementFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 5)
DOCTOR = "10000000009"  # Luhn-valid 11 digits
NURSE = "10000000017"
HEADER = ("identifiant;date_acte;heure;codes;patient;site;commune_acte;rpps_medecin;exercice_medecin;"
          "rpps_accompagnant;duree_minutes;date_rdv;sexe;age;commune_patient;medecin_traitant;ald;compte_rendu_mt")  # fmt: skip


@pytest.fixture
def world():
    meuse = DepartementFactory(code="55", name="Meuse")
    marne = DepartementFactory(code="52", name="Haute-Marne")
    souilly = CommuneFactory(code="55500", departement=meuse)
    verdun = CommuneFactory(code="55545", departement=meuse)
    langres = CommuneFactory(code="52269", departement=marne)
    site = SiteFactory(commune=souilly, host_organisation__commune=souilly)
    other = SiteFactory(commune=langres, host_organisation__commune=langres)
    coordinator = user_with_role(Role.COORDINATOR, departement=meuse)
    return {"site": site, "other": other, "verdun": verdun, "langres": langres, "coordinator": coordinator}


def row(world, **values):
    base = {"identifiant": "A-1", "date_acte": "03/11/2026", "heure": "09:30", "codes": "TCG+TLL",
            "patient": "P-42", "site": str(world["site"].pk), "commune_acte": "", "rpps_medecin": DOCTOR,
            "exercice_medecin": "liberal", "rpps_accompagnant": NURSE, "duree_minutes": "21",
            "date_rdv": "30/10/2026", "sexe": "F", "age": "78", "commune_patient": "55545",
            "medecin_traitant": "non", "ald": "oui", "compte_rendu_mt": "oui"}  # fmt: skip
    base.update(values)
    return ";".join(base[column] for column in HEADER.split(";"))


def csv_file(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def run(world, data, user=None):
    return act_import_create(user or world["coordinator"], data=data, file_name="actes.csv", today=TODAY)


def test_a_good_file_writes_its_acts_priced_on_their_day_and_is_audited(world):
    data = csv_file(
        row(world),
        row(world, identifiant="A-2", codes="TE2+RQD", date_acte="2025-12-31", duree_minutes="", age="", date_rdv=""),
        row(world, identifiant="A-3", codes="G", site="", commune_acte="55545", rpps_accompagnant="",
            exercice_medecin="centre_sante"),
    )  # fmt: skip
    batch = run(world, data)
    assert (batch.rows_created, batch.rows_already_present) == (3, 0)
    assert (batch.first_day, batch.last_day) == (dt.date(2025, 12, 31), dt.date(2026, 11, 3))
    first = Act.objects.get(external_id="A-1")
    assert (first.category, first.site, first.commune_id) == (ActCategory.TELECONSULTATION, world["site"],
                                                              world["site"].commune_id)  # fmt: skip
    assert (first.duration_minutes, first.patient_age, first.patient_sex, first.is_ald) == (21, 78, "F", True)
    assert (first.has_medecin_traitant, first.report_sent_to_medecin_traitant) == (False, True)
    assert first.patient_pseudonym == pseudonym("import", "P-42")
    assert first.booked_at.date() == dt.date(2026, 10, 30)
    assert first.assistant_profession == "infirmier"
    assert dict(first.lines.values_list("code_id", "amount")) == {
        "TCG": Decimal("25.00"),
        "TLL": Decimal("12.00"),
    }
    assert dict(first.lines.values_list("code_id", "professional_rpps")) == {"TCG": DOCTOR, "TLL": NURSE}
    assert first.amount == Decimal("37.00")
    expertise = Act.objects.get(external_id="A-2")
    assert expertise.category == ActCategory.TELEEXPERTISE
    assert dict(expertise.lines.values_list("code_id", "amount")) == {
        "TE2": Decimal("20.00"),
        "RQD": Decimal("10.00"),
    }
    in_person = Act.objects.get(external_id="A-3")
    assert (in_person.category, in_person.site, in_person.commune_id) == (
        ActCategory.IN_PERSON,
        None,
        "55545",
    )
    assert in_person.doctor_practice == DoctorPractice.HEALTH_CENTRE
    assert in_person.amount == Decimal("30.00")
    event = AuditEvent.objects.get(action="acts.import")
    assert (event.actor, event.details) == (world["coordinator"], {"created": 3, "already_present": 0})


def test_the_same_file_sent_again_counts_nothing_twice(world):
    data = csv_file(row(world), row(world, identifiant="A-2"))
    run(world, data)
    again = run(world, csv_file(row(world), row(world, identifiant="A-2"), row(world, identifiant="A-3")))
    assert (again.rows_created, again.rows_already_present) == (1, 2)
    assert Act.objects.count() == 3
    assert BillingLine.objects.count() == 6


def test_an_identifier_imported_before_with_other_values_is_an_error(world):
    run(world, csv_file(row(world)))
    with pytest.raises(ActFileError) as refused:
        run(world, csv_file(row(world, date_acte="04/11/2026")))
    (error,) = refused.value.errors
    assert (error.line, error.column, error.value) == (2, "identifiant", "A-1")
    assert "déjà été importé" in error.message
    assert Act.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "column", "words"),
    [
        ({"site": "999999"}, "site", "Site inconnu"),
        ({"codes": "TCG+XYZ"}, "codes", "Code d'acte inconnu : XYZ"),
        ({"codes": "TCG+TCG"}, "codes", "deux fois"),
        ({"codes": "TCG+FTA"}, "codes", "FTA est un forfait annuel de l'officine, pas le code d'un acte"),
        ({"codes": "TCG+G"}, "codes", "ne se combine pas"),
        ({"codes": "TCG+TC"}, "codes", "Un seul code du médecin"),
        (
            {"date_acte": "14/09/2018", "codes": "TCG"},
            "date_acte",
            "avant le premier tarif connu de TCG (du 15/09/2018)",
        ),
        ({"date_acte": "31/03/2022", "codes": "TE2+RQD"}, "date_acte", "avant le premier tarif connu de RQD"),
        ({"date_acte": "06/12/2026"}, "date_acte", "futur"),
        ({"date_acte": "2026-13-01"}, "date_acte", "JJ/MM/AAAA"),
        ({"duree_minutes": "0"}, "duree_minutes", "Durée impossible"),
        ({"duree_minutes": "300"}, "duree_minutes", "Durée impossible"),
        ({"duree_minutes": "-5"}, "duree_minutes", "Durée impossible"),
        ({"duree_minutes": "²"}, "duree_minutes", "Durée impossible"),  # a digit for isdigit(), not for int()
        ({"age": "①"}, "age", "0 à 120"),
        ({"site": "²"}, "site", "Site inconnu"),
        ({"rpps_medecin": "10000000001"}, "rpps_medecin", "clé de contrôle"),
        ({"rpps_medecin": ""}, "rpps_medecin", "RPPS du médecin manquant"),
        ({"patient": ""}, "patient", "Référence du patient manquante"),
        ({"identifiant": ""}, "identifiant", "Identifiant de l'acte manquant"),
        ({"identifiant": "x" * 65}, "identifiant", "trop long"),
        ({"date_rdv": "05/11/2026"}, "date_rdv", "après l'acte"),
        ({"sexe": "Z"}, "sexe", "F, M ou X"),
        ({"age": "130"}, "age", "0 à 120"),
        ({"commune_patient": "99999"}, "commune_patient", "Commune inconnue"),
        ({"ald": "peut-être"}, "ald", "oui ou non"),
        ({"heure": "25:99"}, "heure", "HH:MM"),
        ({"exercice_medecin": "hospitalier"}, "exercice_medecin", "liberal, centre_sante ou salarie"),
        ({"site": ""}, "site", "Numéro du site manquant"),
        ({"codes": "G", "site": "", "commune_acte": ""}, "commune_acte", "Commune du cabinet manquante"),
        ({"codes": "G", "site": "", "commune_acte": "52269"}, "commune_acte", "hors de votre périmètre"),
    ],
)
def test_each_bad_value_is_named_with_its_line_and_column_and_nothing_is_saved(world, values, column, words):
    data = csv_file(
        row(world, identifiant="OK-1"), row(world, identifiant=values.pop("identifiant", "BAD-1"), **values)
    )
    with pytest.raises(ActFileError) as refused:
        run(world, data)
    matching = [e for e in refused.value.errors if e.column == column and words in e.message]
    assert matching, [(e.column, e.message) for e in refused.value.errors]
    assert matching[0].line == 3
    assert not Act.objects.exists()
    assert not ActImport.objects.exists()
    assert not BillingLine.objects.exists()


def test_a_site_outside_the_coordinators_territory_is_refused(world):
    with pytest.raises(ActFileError) as refused:
        run(world, csv_file(row(world, site=str(world["other"].pk))))
    assert refused.value.errors[0].column == "site"
    assert not Act.objects.exists()


def test_a_duplicate_identifier_inside_the_file_names_its_first_line(world):
    with pytest.raises(ActFileError) as refused:
        run(world, csv_file(row(world), row(world, identifiant="A-2"), row(world)))
    (error,) = refused.value.errors
    assert (error.line, error.column) == (4, "identifiant")
    assert "ligne 2" in error.message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "vide"),
        (csv_file(header="identifiant;date_acte;codes"), "Colonne obligatoire absente : patient"),
        (HEADER.encode() + b"\n", "aucun acte"),
        (b"\xff\xfe\x00\x00" + "é".encode("utf-16")[2:] * 3, "Colonne obligatoire absente"),
    ],
)
def test_empty_headless_or_unreadable_files_get_one_clear_line(world, data, words):
    with pytest.raises(ActFileError) as refused:
        run(world, data)
    assert any(words in error.message for error in refused.value.errors)
    assert not ActImport.objects.exists()


def test_windows_1252_files_and_commas_are_read(world):
    header = HEADER.replace(";", ",")
    line = row(world).replace(";", ",")
    batch = run(world, csv_file(line, header=header, encoding="cp1252"))
    assert batch.rows_created == 1


def test_an_administrator_imports_anywhere_an_evaluator_nowhere(world):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    batch = run(world, csv_file(row(world, site=str(world["other"].pk))), user=admin)
    assert batch.rows_created == 1
    evaluator = user_with_role(Role.EVALUATOR, departement_id="55")
    with pytest.raises(ActFileError):
        run(world, csv_file(row(world, identifiant="E-1")), user=evaluator)
