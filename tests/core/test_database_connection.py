"""PostgreSQL connections bind parameters on the server and prepare the statements they repeat (settings), all
but the slot engine's reads of many rows."""

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
from maille.scheduling.engine.int_rows import int_rows
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

    assert reads.first() == site
    assert prepared(alias) == 0  # once: bound on the server, not prepared
    for _ in range(3):
        assert getattr(reads.first(), alias) == 1
    assert prepared(alias) == 1  # prepared once, then reused


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_slot_engines_reads_of_many_rows_are_never_prepared_and_the_rest_still_are():
    """A prepared busy-rows read plans "any of these keys" once for all (ADR 0017): twice as slow at 3,000 sites."""
    alias = f"probe_{uuid.uuid4().hex}"
    connection.ensure_connection()
    threshold = connection.connection.prepare_threshold
    assert threshold is not None  # the settings prepare statements (ADR 0017)
    for _ in range(threshold + 2):
        assert int_rows(f"SELECT %s AS {alias}, 2", [1], 2).tolist() == [[1, 2]]
    assert prepared(alias) == 0
    assert connection.connection.prepare_threshold == threshold  # restored for every other statement

    other = f"other_{uuid.uuid4().hex}"
    for _ in range(threshold + 2):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT %s AS {other}", [1])
    assert prepared(other) == 1


def prepared(text: str) -> int:
    """How many statements prepared on this connection contain ``text``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{text}%"])
        return cursor.fetchone()[0]
