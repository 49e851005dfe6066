"""The dependency graph of ARCHITECTURE.md, checked on the source: an app never imports one above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "maille"

# app -> apps it may import (besides itself). Keep in sync with ARCHITECTURE.md.
ALLOWED: dict[str, set[str]] = {
    "planning": set(),
    "core": set(),
    # A role grant points at a territory through lazy model references ("territory.Region"): no import.
    "accounts": {"core"},
    "territory": {"core", "accounts"},
    "directory": {"core", "accounts", "territory"},
    "patients": {"core", "territory", "directory"},
    "scheduling": {"core", "accounts", "territory", "directory", "patients", "planning"},
    "notifications": {"core", "accounts", "territory", "directory", "patients", "scheduling"},
    "public": {"core", "accounts", "territory", "directory", "patients", "scheduling", "notifications"},
    # the diagnosis reads the network's capacity and occupancy through scheduling's selectors
    "diagnosis": {"core", "accounts", "territory", "directory", "planning", "scheduling"},
    "quality": {"core", "accounts", "territory", "directory"},
    "api": {"core", "accounts", "territory", "directory", "patients", "scheduling", "diagnosis"},
    # the activity ledger reads completed appointments (its subscriber) and sits above quality (labels); surveys go
    # through the outbox; the kilometres avoided use the planning library's travel model
    "evaluation": {
        "core",
        "accounts",
        "territory",
        "directory",
        "patients",
        "scheduling",
        "notifications",
        "quality",
        "diagnosis",
        "planning",
    },
    "demo": {
        "core",
        "accounts",
        "territory",
        "directory",
        "patients",
        "scheduling",
        "notifications",
        "diagnosis",
        "quality",
        "evaluation",
    },
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


def test_the_graph_has_no_two_way_edge():
    two_way = sorted((a, b) for a, targets in ALLOWED.items() for b in targets if a in ALLOWED.get(b, set()))
    assert not two_way, f"apps importing each other: {two_way}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_imports(path: Path, known: set[str]) -> set[str]:
    """The project modules a module imports (``from .x import y`` resolved; a name imported from a package
    counts as its submodule when there is one)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            submodules = {f"{base}.{alias.name}" for alias in node.names} & known
            found |= submodules
            if len(submodules) < len(node.names):  # some names are the package's own attributes
                found.add(base)
    return {name for name in found if name in known and name != module}


def _import_cycles() -> list[list[str]]:
    paths = [p for p in ROOT.rglob("*.py") if "migrations" not in p.parts]
    known = {_module_name(p) for p in paths}
    graph = {_module_name(p): _module_imports(p, known) for p in paths}
    # Importing a package runs its __init__: an edge to a package is kept, and so are edges to its modules.
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target, [*stack, target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def test_modules_do_not_import_each_other_in_a_cycle():
    assert _import_cycles() == []


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
