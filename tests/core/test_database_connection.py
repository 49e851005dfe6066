"""PostgreSQL connections bind parameters on the server and prepare the statements they repeat (settings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
from django.db import connection
from django.db.models import Value

from maille.directory.models import Site
from tests.factories import SiteFactory


def _options_with(**environment: str) -> dict:
    """The database OPTIONS the settings build from ``environment`` (read in a process of its own: settings are
    computed once, at import)."""
    script = "import json; from maille import settings; print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    env = {**os.environ, **environment}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_postgresql_binds_on_the_server_and_prepares_from_the_second_run():
    options = _options_with(DATABASE_URL="postgres://maille@127.0.0.1:5432/maille")
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 2


def test_the_threshold_can_be_set_and_zero_turns_preparing_off():
    url = "postgres://maille@127.0.0.1:5432/maille"
    assert _options_with(DATABASE_URL=url, DATABASE_PREPARE_THRESHOLD="5")["prepare_threshold"] == 5
    assert _options_with(DATABASE_URL=url, DATABASE_PREPARE_THRESHOLD="0")["prepare_threshold"] is None


def test_sqlite_gets_none_of_it():
    options = _options_with(DATABASE_URL="sqlite:////tmp/maille-options-test.sqlite3")
    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_run_again_on_a_connection_is_prepared_there():
    site = SiteFactory()
    # A statement text of its own (the alias), which no other test can have prepared on this connection.
    alias = f"probe_{uuid.uuid4().hex}"
    reads = Site.objects.filter(pk=site.pk).annotate(**{alias: Value(1)})

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{alias}%"]
            )
            return cursor.fetchone()[0]

    assert reads.first() == site
    assert prepared() == 0  # once: bound on the server, not prepared
    for _ in range(3):
        assert getattr(reads.first(), alias) == 1
    assert prepared() == 1  # prepared once, then reused
