"""The planning library stands alone: no Django, no other Maille package; its examples run."""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import maille.planning

PACKAGE = Path(maille.planning.__file__).parent
MODULES = sorted(f"maille.planning.{m.name}" for m in pkgutil.iter_modules([str(PACKAGE)]))


def imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_planning_imports_neither_django_nor_other_maille_packages():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for name in imported_names(path):
            top = name.split(".")[0]
            if top == "django" or (top == "maille" and not name.startswith("maille.planning")):
                offenders.append(f"{path.name}: {name}")
    assert offenders == []
    assert len(MODULES) >= 5


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
