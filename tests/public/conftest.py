"""Public booking tests: a small network whose site lies in a commune with a postcode, a public use."""

from __future__ import annotations

import pytest

from tests.scheduling.factories import make_network


@pytest.fixture
def net(db, settings, tmp_path):
    settings.NOTIFICATIONS_FILE = str(tmp_path / "outbox.jsonl")
    settings.PUBLIC_BASE_URL = "https://rdv.example.org"
    network = make_network(commune_code="55463")
    commune = network.site.commune
    commune.name, commune.postal_codes = "Saint-Mihiel", ["55300"]
    commune.save()
    return network
