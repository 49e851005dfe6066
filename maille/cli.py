"""The ``maille`` command: one entry point for serving, the demo, imports and planning.

maille demo                 migrate, load the demo territory and network, print the demo logins
maille serve [--host --port]  serve the platform (prints the demo logins when the demo is loaded), with the
                            task worker and the periodic housekeeping beside it (unless --no-worker)
maille housekeeping [--every SECONDS]  expire holds, resend due webhooks, purge idempotency keys
maille import KIND FILE…    import open data (cog, centroids, apl, polygons): see `maille import --help`
maille plan …               planning computations on the loaded territory
maille <django command>     any other Django management command (migrate, createsuperuser…)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

IMPORT_COMMANDS = {
    "cog": "import_cog",
    "centroids": "import_centroids",
    "apl": "import_apl",
    "polygons": "import_polygons",
    "cpts": "import_cpts",
}


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maille.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["maille", *args])


def _serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="maille serve", description="Serve the Maille platform.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument(
        "--no-worker", action="store_true", help="do not start the task worker nor the periodic housekeeping"
    )
    options = parser.parse_args(argv)
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from maille.demo.accounts import print_demo_logins

    print_demo_logins(f"http://{options.host}:{options.port}")
    # Stopped by a supervisor or `kill` (SIGTERM), stop the background processes too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    background = [] if options.no_worker else [subprocess.Popen(command) for command in background_commands()]
    try:
        _manage("runserver", "--noreload", f"{options.host}:{options.port}")
    finally:
        for process in background:
            process.terminate()
        for process in background:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def background_commands() -> list[list[str]]:
    """The processes `maille serve` runs beside the web server (`--no-worker` skips them).

    The worker runs background tasks (webhooks, reminders, long imports); django-tasks has no periodic
    scheduler, so housekeeping (expired holds, webhook retries, idempotency keys) runs in a loop of its own.
    """
    maille = [sys.executable, "-m", "maille.cli"]
    return [[*maille, "db_worker", "--interval", "1"], [*maille, "housekeeping", "--every", "60"]]


def _import(argv: list[str]) -> None:
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in IMPORT_COMMANDS:
        print("usage: maille import {" + ",".join(IMPORT_COMMANDS) + "} FILE… [options]")
        print("Each kind has its own --help, e.g. `maille import apl --help`.")
        sys.exit(0 if argv and argv[0] in {"-h", "--help"} else 2)
    _django()
    _manage(IMPORT_COMMANDS[argv[0]], *argv[1:])


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return
    command, rest = argv[0], argv[1:]
    if command == "serve":
        _serve(rest)
    elif command == "import":
        _import(rest)
    else:
        _django()
        _manage(command, *rest)


if __name__ == "__main__":
    main()
