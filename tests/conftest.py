"""Shared fixtures. Strict by default: unknown template variables fail, warnings are errors."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("MAILLE_CHROMIUM", "/usr/bin/chromium")


class InvalidTemplateVariable(str):
    """Makes a template fail loudly when it reads a variable that does not exist."""

    def __mod__(self, other: object) -> str:
        raise AssertionError(f"Unknown template variable: {other!r}")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.2 s per user; tests create hundreds. Production keeps Django's default.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _public_slots_computed_each_time(settings):
    # Each test has its own data: the public slot page's per-process cache (tested on its own) starts empty
    # and keeps nothing between requests.
    from maille.public.slots import forget_cached_slots

    settings.PUBLIC_SLOTS_CACHE_SECONDS = 0
    forget_cached_slots()


@pytest.fixture(autouse=True)
def _indicators_computed_each_time(settings):
    # The same for the evaluation's indicators (their cache is tested on its own).
    from maille.evaluation.views_indicators import forget_indicator_reports

    settings.EVALUATION_INDICATORS_CACHE_SECONDS = 0
    forget_indicator_reports()


@pytest.fixture(autouse=True)
def _diagnosis_computed_each_time(settings):
    # The same: today's diagnosis of a zone is not kept between requests (its cache is tested on its own).
    from maille.diagnosis.views import forget_today_diagnoses

    settings.DIAGNOSIS_TODAY_CACHE_SECONDS = 0
    forget_today_diagnoses()


@pytest.fixture(autouse=True)
def _evidence_files_in_a_temporary_directory(settings, tmp_path_factory):
    # Evidence files uploaded by the tests never land in the project's var/.
    settings.QUALITY_EVIDENCE_DIR = tmp_path_factory.mktemp("evidence")


@pytest.fixture(autouse=True)
def _strict_templates(settings):
    for template in settings.TEMPLATES:
        template["OPTIONS"]["string_if_invalid"] = InvalidTemplateVariable("%s")


@pytest.fixture(autouse=True)
def _reference_catalogues_in_transactional_tests(request):
    """Transactional tests flush every table after they run, including the catalogues that a data migration
    loads (equipment, specialties, uses): reload them before each such test."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return
    request.getfixturevalue("transactional_db")
    from maille.directory.models import EquipmentType, Specialty, Use
    from maille.directory.reference_data import load_reference_data

    load_reference_data(EquipmentType, Specialty, Use)
    from maille.quality.shipped import load_shipped_charter, load_shipped_referential, mark_checked_criteria

    load_shipped_referential()
    mark_checked_criteria()
    load_shipped_charter()
    from django.apps import apps

    from maille.evaluation.shipped import load_shipped_tariffs

    load_shipped_tariffs(apps, None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }
