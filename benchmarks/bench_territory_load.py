"""Loading the shipped Grand Est territory (bulk upserts), against a naive one-save-per-row reference.

Runs on a throwaway SQLite database in a temporary folder; the reference saves the APL of a subset of
communes one ``save()`` at a time, the same work as ``import_apl`` does in bulk, measured in the same run.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from benchmarks.results import Report

REFERENCE_SUBSET = 500


def main() -> Report:
    report = Report(
        script="territory_load",
        title="Loading the Grand Est territory (issue 3)",
        database="SQLite (a temporary file)",
        command="make bench (python -m benchmarks territory_load)",
        method=(
            "The shipped files (COG, EPCI, outlines, centroids, DREES APL) loaded into an empty SQLite database "
            "in a temporary folder; the reference saves the APL of a subset of communes one `save()` at a time, "
            "the same work `import_apl` does in bulk, in the same run."
        ),
    )
    folder = tempfile.mkdtemp(prefix="maille-bench-territory-")
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maille.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from maille.territory.importers.apl import parse_apl
    from maille.territory.loading import GRAND_EST_DIR, load_grand_est
    from maille.territory.models import Commune

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    summary = load_grand_est(stdout=open(os.devnull, "w"))  # noqa: SIM115
    full_seconds = time.perf_counter() - started
    report.note(f"What was loaded: {summary}")
    report.add(
        "Load the whole Grand Est territory into an empty database",
        f"{full_seconds:.1f} s",
        target="< 60 s",
        met=full_seconds < 60,
        value=round(full_seconds, 2),
        unit="s",
    )

    started = time.perf_counter()
    load_grand_est(stdout=open(os.devnull, "w"))  # noqa: SIM115
    again = time.perf_counter() - started
    report.add(
        "Same, nothing to change (idempotent re-run)", f"{again:.1f} s", value=round(again, 2), unit="s"
    )

    data = parse_apl(next((GRAND_EST_DIR / "apl").glob("*.xlsx*")))
    codes = list(Commune.objects.order_by("code").values_list("code", flat=True)[:REFERENCE_SUBSET])
    codes = [code for code in codes if code in data.rows]
    Commune.objects.filter(code__in=codes).update(apl_gp=None, apl_year=None)
    started = time.perf_counter()
    with transaction.atomic():
        for code in codes:  # the naive reference: one read and one write per row
            commune = Commune.objects.get(code=code)
            for field, value in data.rows[code].items():
                setattr(commune, field, value)
            commune.save()
    naive = time.perf_counter() - started

    from maille.territory.importers.apl import save_apl

    Commune.objects.filter(code__in=codes).update(apl_gp=None, apl_year=None)
    started = time.perf_counter()
    save_apl(data, codes)
    bulk = time.perf_counter() - started
    report.add(
        f"APL of {len(codes)} communes: bulk upsert",
        f"{bulk * 1000:.0f} ms",
        reference=f"one save() per row {naive * 1000:.0f} ms → {naive / bulk:.1f}×",
        value=round(bulk * 1000, 1),
        unit="ms",
    )
    return report


if __name__ == "__main__":
    main()
