"""`make bench`: run every benchmark script in this folder, save its results, rewrite docs/benchmarks.md.

``python -m benchmarks NAME…`` runs the scripts whose name contains one of the NAMEs; the saved results of
the others are kept, so the document always shows the latest run of each script. Each script runs in a
process of its own: scripts set up Django with different databases (SQLite files, PostgreSQL test
databases), and one process can set Django up once only.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

from benchmarks.results import Report, write_docs


def run_one(name: str) -> int:
    report = importlib.import_module(f"benchmarks.{name}").main()
    if isinstance(report, Report):
        print(f"saved {report.save()}", flush=True)
    return 0


def main(arguments: list[str]) -> int:
    if arguments[:1] == ["--one"]:
        return run_one(arguments[1])
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_")
    )
    selected = [n for n in names if not arguments or any(a in n for a in arguments)]
    failed = []
    for name in selected:
        print(f"\n=== {name}", flush=True)
        if subprocess.run([sys.executable, "-m", "benchmarks", "--one", name], check=False).returncode:
            failed.append(name)
    write_docs()
    print("docs/benchmarks.md rewritten from benchmarks/results/*.json", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
