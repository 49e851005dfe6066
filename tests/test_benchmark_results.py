"""`make bench` results: saved as JSON, rendered into docs/benchmarks.md between markers, never by hand."""

from __future__ import annotations

import json

import numpy as np

from benchmarks import results


def test_a_report_is_saved_and_rendered_with_its_target_and_verdict(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nHand-written method.\n", encoding="utf-8")
    monkeypatch.setattr(results, "DOCS", docs)
    report = results.Report(
        script="demo", title="Demo figures", command="make bench", method="How.", database="postgresql"
    )
    report.add(
        "Search p95", "12.0 ms", reference="naive 240 ms → 20×", target="p95 < 20 ms", met=True, value=12.0
    )
    report.add("Throughput", "43 bookings/s", target="≥ 200 bookings/s", met=False, value=43.0)
    report.add("Load | pipe", "1.0 s")
    report.add("Solver stopped", "9.1 s, gap 0.01 %", target="< 10 s", met=np.bool_(True))  # NumPy's bool
    report.note("A plain note.")
    saved = json.loads(report.save().read_text(encoding="utf-8"))
    assert saved["measures"][1]["met"] is False
    assert saved["measures"][3]["met"] is True
    assert saved["machine"]

    results.write_docs()
    text = docs.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nHand-written method.\n")
    assert "| Search p95 | 12.0 ms | naive 240 ms → 20× | p95 < 20 ms | ✔ met |" in text
    assert "| Throughput | 43 bookings/s |  | ≥ 200 bookings/s | ✘ **missed** |" in text
    assert "| Load \\| pipe | 1.0 s |  |  |  |" in text  # a pipe cannot break the table
    assert "- A plain note." in text
    assert "; database: postgresql)." in text

    # A second run replaces the generated section and keeps the rest.
    report.measures[0].result = "9.0 ms"
    report.save()
    results.write_docs()
    again = docs.read_text(encoding="utf-8")
    assert again.count(results.BEGIN) == 1
    assert "| Search p95 | 9.0 ms |" in again
    assert "12.0 ms" not in again
