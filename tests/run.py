"""Run the test suite on the database named by DATABASE_URL (SQLite by default).

PostgreSQL-only tests (real concurrency races) are deselected on SQLite, never skipped.
pytest's exit code 5 ("no tests collected") is turned into a failure.
"""

import os
import sys

# Run as a script, this folder would head sys.path and a test package named like a library (e.g. tests/fhir)
# would hide it; pytest puts the project root on the path itself.
sys.path[:] = [
    entry for entry in sys.path if os.path.abspath(entry or ".") != os.path.dirname(os.path.abspath(__file__))
]

import pytest  # noqa: E402

if __name__ == "__main__":
    args = sys.argv[1:]
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    if not on_postgres:
        args = ["-m", "not postgres", *args]
    print(f"Maille tests on {'PostgreSQL' if on_postgres else 'SQLite'}", flush=True)
    code = pytest.main(args)
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("No test was collected: failing.", file=sys.stderr)
        code = 1
    sys.exit(int(code))
