"""`make bench`: run every benchmark script in this folder, save its results, rewrite docs/benchmarks.md.

``python -m benchmarks NAME…`` runs the scripts whose name contains one of the NAMEs; the saved results of
the others are kept, so the document always shows the latest run of each script.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from benchmarks.results import Report, write_docs


def main() -> int:
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_")
    )
    selected = [n for n in names if not sys.argv[1:] or any(a in n for a in sys.argv[1:])]
    for name in selected:
        print(f"\n=== {name}", flush=True)
        report = importlib.import_module(f"benchmarks.{name}").main()
        if isinstance(report, Report):
            print(f"saved {report.save()}", flush=True)
    write_docs()
    print("docs/benchmarks.md rewritten from benchmarks/results/*.json", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
