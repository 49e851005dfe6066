"""The open-data export: aggregates by month, département and type, every count under 11 suppressed together
with what would let it be recomputed, no totals."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from maille.accounts.models import Role
from maille.evaluation.models import Act, ActCategory, ActImport, ActSource
from maille.evaluation.opendata import SUPPRESSED, open_data_rows
from tests.accounts.factories import user_with_role
from tests.territory.factories import CommuneFactory, DepartementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger():
    meuse = CommuneFactory(code="55500", departement=DepartementFactory(code="55", name="Meuse"))
    marne = CommuneFactory(code="52121", departement=DepartementFactory(code="52", name="Haute-Marne"))
    batch = ActImport.objects.create(sha256="x")
    rows = []
    # Meuse, November: 11 teleconsultations by 11 patients (shown); 10 téléexpertises (suppressed)
    rows += [(meuse, dt.date(2026, 11, 3 + n % 5), ActCategory.TELECONSULTATION, n) for n in range(11)]
    rows += [(meuse, dt.date(2026, 11, 4), ActCategory.TELEEXPERTISE, n) for n in range(10)]
    # Meuse, December: 12 teleconsultations by only 4 patients (acts shown, patients suppressed)
    rows += [(meuse, dt.date(2026, 12, 1), ActCategory.TELECONSULTATION, n % 4) for n in range(12)]
    # Haute-Marne, November: 3 teleconsultations (suppressed)
    rows += [(marne, dt.date(2026, 11, 5), ActCategory.TELECONSULTATION, 100 + n) for n in range(3)]
    Act.objects.bulk_create(
        Act(source=ActSource.IMPORT, batch=batch, external_id=f"A{i}", performed_on=day, category=category,
            commune=commune, patient_pseudonym=patient, amount=Decimal("25.00"))
        for i, (commune, day, category, patient) in enumerate(rows)
    )  # fmt: skip


def test_counts_under_eleven_are_suppressed_with_what_would_reveal_them(ledger):
    rows = {(r.month, r.departement, r.category): r for r in open_data_rows(
        Act.objects.all(), dt.date(2026, 11, 1), dt.date(2026, 12, 31))}  # fmt: skip
    shown = rows[("2026-11", "55", "Téléconsultation")]
    assert (shown.acts, shown.patients, shown.amount) == (11, 11, Decimal("275.00"))
    expertise = rows[("2026-11", "55", "Téléexpertise")]
    assert (expertise.acts, expertise.patients, expertise.amount) == (SUPPRESSED, SUPPRESSED, SUPPRESSED)
    december = rows[("2026-12", "55", "Téléconsultation")]
    assert (december.acts, december.patients, december.amount) == (12, SUPPRESSED, Decimal("300.00"))
    marne = rows[("2026-11", "52", "Téléconsultation")]
    assert marne.acts == SUPPRESSED
    assert len(rows) == 4  # no total, no margin


def test_the_export_is_a_csv_of_the_users_scope(client, ledger):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    client.force_login(coordinator)
    response = client.get(reverse("evaluation:open_data_csv"), {"du": "2026-11-01", "au": "2026-12-31"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "mois",
        "département",
        "type d'acte",
        "actes",
        "patients distincts",
        "montant facturé (€)",
    ]
    assert ["2026-11", "55", "Téléconsultation", "11", "11", "275,00"] in rows
    assert ["2026-11", "55", "Téléexpertise", "<11", "<11", "<11"] in rows
    assert not [row for row in rows[1:] if row[1] == "52"]  # the Haute-Marne is outside the scope
