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
def _strict_templates(settings):
    for template in settings.TEMPLATES:
        template["OPTIONS"]["string_if_invalid"] = InvalidTemplateVariable("%s")


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
