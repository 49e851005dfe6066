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
