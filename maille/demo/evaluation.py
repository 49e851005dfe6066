"""The demo's activity ledger: the acts of the six months of completed appointments, and an import of in-person
consultations by the territory's general practitioners (the demo's remote doctors among them), as a CPTS would
send it, so that the doctors' appropriation rate and the chronic-disease indicator have a real denominator.

Everything is fictional: doctors' RPPS numbers in the fictional range, patients as references of a source tool.
The file goes through the real import (``act_import_create``): the demo shows what an import produces.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from maille.directory.models import Site
from maille.evaluation.cells import forget_indicator_cells
from maille.evaluation.imports import act_import_create
from maille.evaluation.ledger import acts_backfill
from maille.evaluation.models import Act, ActImport

from .network import DEMO_DOCTORS, fake_rpps
from .scheduling import PAST_DAYS

IN_PERSON_DOCTORS = 16  # general practitioners of the territory who do not teleconsult (fake RPPS 500-515)
CONSULTATIONS_PER_DOCTOR_WEEK = 3  # a sample: the demo keeps the file small
ALD_RATE = 0.25
FILE_PREFIX = "activite-presentielle-demo"
HEADER = "identifiant;date_acte;codes;patient;commune_acte;rpps_medecin;exercice_medecin;sexe;age;ald"


def _in_person_file(today: dt.date, rng: random.Random) -> bytes:
    communes = sorted(set(Site.objects.filter(is_fictional=True).values_list("commune_id", flat=True)))
    doctors = [fake_rpps(n) for n in range(1, len(DEMO_DOCTORS) + 1)] + [
        fake_rpps(500 + n) for n in range(IN_PERSON_DOCTORS)
    ]
    practice = {rpps: rng.choice(communes) for rpps in doctors}
    lines = [HEADER]
    for offset in range(PAST_DAYS, 0, -1):
        day = today - dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for rpps in doctors:
            for _ in range(rng.choices([0, 1, 2], weights=[2, 2, 1])[0]):
                if rng.random() > CONSULTATIONS_PER_DOCTOR_WEEK / 5:
                    continue
                patient = f"PRES-{rng.randrange(1, 2500):04d}"
                lines.append(";".join([
                    f"DEMO-G-{len(lines):05d}", day.isoformat(), "G", patient, practice[rpps], rpps, "liberal",
                    rng.choice("FM"), str(rng.randrange(18, 95)), "oui" if rng.random() < ALD_RATE else "non",
                ]))  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


def load_demo_evaluation(*, today: dt.date | None = None) -> dict[str, int]:
    """Record the acts of the completed appointments, then import the in-person file (once)."""
    today = today or timezone.localdate()
    recorded = acts_backfill()
    imported = 0
    file_name = f"{FILE_PREFIX}-{today.isoformat()}.csv"
    if not ActImport.objects.filter(file_name=file_name, is_fictional=True).exists():
        # an earlier demo's file (loaded another day: its dates are anchored on that day) goes first
        earlier = ActImport.objects.filter(file_name__startswith=FILE_PREFIX, is_fictional=True)
        Act.objects.filter(batch__in=earlier).delete()
        earlier.delete()
        admin = get_user_model().objects.filter(is_demo=True, username="admin").first()
        batch = act_import_create(admin, data=_in_person_file(today, random.Random(55)), file_name=file_name,
                                  today=today)  # fmt: skip
        ActImport.objects.filter(pk=batch.pk).update(is_fictional=True)
        Act.objects.filter(batch=batch).update(is_fictional=True)
        imported = batch.rows_created
    # acts were deleted and rewritten above: no stored month of indicators can be trusted
    forget_indicator_cells()
    return {"acts": recorded, "in_person": imported}
