"""The dependency graph of ARCHITECTURE.md, checked on the source: an app never imports one above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "maille"

# app -> apps it may import (besides itself). Keep in sync with ARCHITECTURE.md.
ALLOWED: dict[str, set[str]] = {
    "planning": set(),
    "core": {"accounts"},  # only lazily, in the navigation context processor and home view
    "territory": {"core", "accounts"},
    "accounts": {"core", "territory"},
    "directory": {"core", "accounts", "territory"},
    "scheduling": {"core", "accounts", "territory", "directory", "planning"},
    "diagnosis": {"core", "accounts", "territory", "directory", "planning"},
    "api": {"core", "accounts", "territory", "directory", "scheduling", "diagnosis"},
    "demo": {"core", "accounts", "territory", "directory", "scheduling", "diagnosis"},
}
TOP_LEVEL_MODULES = {"settings", "urls", "wsgi", "asgi", "cli", "__init__"}


def _imported_maille_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    apps: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "maille" and len(parts) > 1:
                apps.add(parts[1])
    return apps


def _app_sources():
    for app in sorted(ALLOWED):
        for path in sorted((ROOT / app).rglob("*.py")):
            yield app, path


@pytest.mark.parametrize(("app", "path"), list(_app_sources()), ids=lambda v: str(v).split("maille/")[-1])
def test_app_imports_follow_the_dependency_graph(app, path):
    forbidden = _imported_maille_apps(path) - ALLOWED[app] - {app} - TOP_LEVEL_MODULES
    assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}, above '{app}' in the graph"


def test_every_app_is_in_the_graph():
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= set(ALLOWED), f"add {sorted(packages - set(ALLOWED))} to ALLOWED and ARCHITECTURE.md"


def test_planning_imports_no_django():
    for path in (ROOT / "planning").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] == "django" for a in node.names), path
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] != "django", path


# Modules that answer users (pages, /api/v1, /fhir): they read appointments and patients through the scoped
# selectors of maille/scheduling/selectors.py, never through the model managers.
SCOPED_MODELS = {"Appointment", "Patient"}


def _interface_modules():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        parts = relative.parts
        if "migrations" in parts or "tests" in parts:
            continue
        is_view = "views" in parts or path.stem in {"views", "api", "fhir"} or path.stem.startswith("views_")
        if is_view or parts[0] == "api":
            yield path


def _direct_manager_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"objects", "_default_manager", "_base_manager"}
            and isinstance(node.value, ast.Name)
            and node.value.id in SCOPED_MODELS
        ):
            found.append(f"{node.value.id}.{node.attr} (line {node.lineno})")
    return found


def test_interfaces_read_appointments_and_patients_through_selectors():
    modules = list(_interface_modules())
    assert len(modules) > 10  # the walk finds the views, API and FHIR modules
    offenders = {
        str(path.relative_to(ROOT)): uses for path in modules if (uses := _direct_manager_uses(path))
    }
    assert not offenders, f"use maille.scheduling.selectors instead of the managers: {offenders}"


def test_the_manager_check_finds_a_direct_query(tmp_path):
    sample = tmp_path / "views.py"
    sample.write_text("def page(request):\n    return Appointment.objects.filter(pk=1)\n", encoding="utf-8")
    assert _direct_manager_uses(sample) == ["Appointment.objects (line 2)"]
