"""The maturity dashboard of a region (issue 14, speed): every site, its level, scores, gaps and trend.

Builds a fresh SQLite database in a temporary folder (``maille migrate``: the shipped referential and
charter), then a region of 1,000 sites in three départements: 800 with a closed self-assessment of 25
answered criteria (20,000 answers: 80 % met, 10 % partly, 10 % not met, closed over the last two years),
300 labels in force and 20 suspended, 2,400 actions. Signed in as a coordinator of the whole region, it asks
for the dashboard page (``/qualite/maturite/``) through Django's test client in this process: the first request
(cold: nothing cached, templates compiled on the way) and the median of five (warm). Reference, in the same
run: the same levels computed site by site with the assessment page's scoring (``assessment_scores``), the way
a dashboard without grouped queries would.

    .venv/bin/python -m benchmarks quality
"""

from __future__ import annotations

import datetime
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.results import Report

SITES, ASSESSED, ANSWERS_PER_ASSESSMENT = 1000, 800, 25
LABELLED, SUSPENDED, ACTIONS_PER_SITE = 300, 20, 3
TARGET_MS = 300.0


def _build() -> object:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from maille.accounts.models import Role, RoleGrant
    from maille.directory.models import Organisation, OrganisationKind, Site, SiteLevel
    from maille.quality.models import (
        Action,
        Answer,
        Assessment,
        Label,
        ReferentialVersion,
        Verdict,
    )
    from maille.territory.models import Commune, Departement, Region

    rng = random.Random(14)
    region = Region.objects.create(code="44", name="Grand Est")
    departements = [Departement.objects.create(code=code, name=name, region=region)
                    for code, name in (("52", "Haute-Marne"), ("54", "Meurthe-et-Moselle"), ("55", "Meuse"))]  # fmt: skip
    communes = Commune.objects.bulk_create(
        Commune(code=f"{departements[n % 3].code}{n // 3:03d}", name=f"Commune {n}", departement=departements[n % 3],
                latitude=48.0 + rng.random() * 2, longitude=4.5 + rng.random() * 2, population=500)
        for n in range(SITES)
    )  # fmt: skip
    organisations = Organisation.objects.bulk_create(
        Organisation(name=f"Structure {n}", kind=OrganisationKind.PHARMACY, commune=commune)
        for n, commune in enumerate(communes)
    )
    sites = Site.objects.bulk_create(
        Site(name=f"Site {n:04d}", host_organisation=organisation, level=SiteLevel.HYPER_PROXIMITY,
             commune=organisation.commune, address="1 place", latitude=organisation.commune.latitude,
             longitude=organisation.commune.longitude)
        for n, organisation in enumerate(organisations)
    )  # fmt: skip
    version = ReferentialVersion.objects.get(status="published")
    criteria = list(version.criteria.filter(site_levels=[]).order_by("pk")[:ANSWERS_PER_ASSESSMENT])
    now = timezone.now()
    assessments = Assessment.objects.bulk_create(
        Assessment(site=site, version=version, site_level=site.level, status="closed",
                   closed_at=now - datetime.timedelta(days=rng.randrange(730)))
        for site in sites[:ASSESSED]
    )  # fmt: skip
    answers = []
    for assessment in assessments:
        for criterion in criteria:
            draw = rng.random()
            compliance = "met" if draw < 0.8 else "partial" if draw < 0.9 else "not_met"
            answers.append(Answer(assessment=assessment, criterion=criterion, compliance=compliance,
                                  verdict=Verdict.ACCEPTED))  # fmt: skip
    Answer.objects.bulk_create(answers, batch_size=2000)
    # Frozen scores, as assessment_close writes them.
    from maille.quality.assessments import assessment_scores

    for assessment in assessments:
        scores = assessment_scores(assessment)
        assessment.score, assessment.mandatory_met = scores.percent, scores.every_mandatory_met
    Assessment.objects.bulk_update(assessments, ["score", "mandatory_met"], batch_size=500)
    today = timezone.localdate()
    Label.objects.bulk_create(
        Label(site=assessment.site, assessment=assessment, status="granted" if n < LABELLED else "suspended",
              granted_on=today, expires_on=today + datetime.timedelta(days=1000), verification_code=f"BENCH{n:05d}")
        for n, assessment in enumerate(assessments[: LABELLED + SUSPENDED])
    )  # fmt: skip
    owner = get_user_model().objects.create_user("bench-owner")
    Action.objects.bulk_create(
        Action(site=site, title="Action", owner=owner, status=rng.choice(["todo", "in_progress", "done"]),
               due_date=today + datetime.timedelta(days=rng.randrange(-60, 120)))
        for site in sites[:ASSESSED]
        for _ in range(ACTIONS_PER_SITE)
    )  # fmt: skip
    coordinator = get_user_model().objects.create_user("bench-coordinator")
    RoleGrant.objects.create(user=coordinator, role=Role.COORDINATOR, region=region)
    return coordinator


def _naive_levels(user: object) -> int:
    """The reference: each site's last closed assessment scored one by one."""
    from maille.quality.assessments import assessment_scores
    from maille.quality.maturity import maturity_level
    from maille.quality.models import Assessment
    from maille.quality.selectors import quality_sites_visible_to

    levels = 0
    for site in quality_sites_visible_to(user):
        assessment = Assessment.objects.filter(site=site, status="closed").order_by("-closed_at").first()
        if assessment is None:
            continue
        scores = assessment_scores(assessment)
        label = site.quality_labels.filter(status="granted").first()
        levels += maturity_level(score=scores.percent, mandatory_met=scores.every_mandatory_met,
                                 label_in_force=label is not None)  # fmt: skip
    return levels


def main() -> Report:
    var_dir = tempfile.mkdtemp(prefix="maille-bench-quality-")
    os.environ["MAILLE_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)
    maille = str(Path(sys.executable).with_name("maille"))
    subprocess.run(
        [maille, "migrate", "--no-input"], env={**os.environ}, check=True, stdout=subprocess.DEVNULL
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maille.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    started = time.perf_counter()
    coordinator = _build()
    build_seconds = time.perf_counter() - started
    from maille.quality.models import Answer

    answers = Answer.objects.count()
    client = Client()
    client.force_login(coordinator)
    # The process has served a first page (Django's URLs and apps loaded, as in a running server); the
    # dashboard's own first request is the cold one.
    started = time.perf_counter()
    client.get("/")
    first_page = (time.perf_counter() - started) * 1000
    timings = []
    for _ in range(6):
        started = time.perf_counter()
        response = client.get("/qualite/maturite/")
        timings.append(time.perf_counter() - started)
        if response.status_code != 200 or response.content.count(b'data-testid="maturity-site"') != SITES:
            raise RuntimeError(f"dashboard: {response.status_code}")
    cold, warm = timings[0] * 1000, statistics.median(timings[1:]) * 1000
    started = time.perf_counter()
    _naive_levels(coordinator)
    naive = (time.perf_counter() - started) * 1000

    report = Report(
        script="quality",
        title="Quality maturity dashboard (issue 14)",
        database="SQLite (a temporary database built by the script)",
        command="make bench (python -m benchmarks quality)",
        method=(
            f"A region of {SITES:,} sites in three départements, {ASSESSED} of them with a closed self-assessment of "
            f"{ANSWERS_PER_ASSESSMENT} answers ({answers:,} answers), {LABELLED} labels in force and {SUSPENDED} "
            f"suspended, {ASSESSED * ACTIONS_PER_SITE:,} actions (built in {build_seconds:.1f} s). The dashboard "
            "page of the whole region, asked by a regional coordinator through Django's test client in the "
            "benchmark's process (server side: query, scoring, map data, HTML of 1,000 rows). Cold: the "
            "dashboard's first request, after the process served one other page (the home page, which loads "
            "Django's URLs and apps the way a running server already has)."
        ),
    )
    report.add(
        f"Maturity dashboard of the region ({SITES:,} sites, {answers:,} answered criteria): the whole page",
        f"cold {cold:.0f} ms, warm median of 5 {warm:.0f} ms (max {max(timings[1:]) * 1000:.0f} ms)",
        reference=f"levels computed site by site with the assessment page's scoring: {naive:.0f} ms "
        f"({naive / warm:.0f}× the page); the process's first page (home): {first_page:.0f} ms",
        target=f"< {TARGET_MS:.0f} ms",
        met=cold < TARGET_MS and warm < TARGET_MS,
        value=round(warm, 1),
        unit="ms",
    )
    return report
