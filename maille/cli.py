"""The ``maille`` command: one entry point for serving, the demo, imports and planning.

maille demo                 migrate, load the demo territory and network, print the demo logins
maille serve [--host --port]  serve the platform with gunicorn (prints the demo logins when the demo is loaded),
                            the task worker and the periodic housekeeping beside it (unless --no-worker;
                            --dev: Django's development server)
maille housekeeping [--every SECONDS]  expire holds, resend due webhooks, purge idempotency keys
maille import KIND FILE…    import open data (cog, centroids, apl, polygons): see `maille import --help`
maille plan …               planning computations on the loaded territory
maille <django command>     any other Django management command (migrate, createsuperuser…)
"""

from __future__ import annotations

import argparse
import os
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
    parser = argparse.ArgumentParser(
        prog="maille serve",
        description="Serve the Maille platform with the production server (gunicorn), the task worker and "
        "the periodic housekeeping; Ctrl-C or SIGTERM stops all of them.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--workers", type=int, default=None, help="web worker processes (WEB_WORKERS)")
    parser.add_argument("--threads", type=int, default=None, help="threads per web worker (WEB_THREADS)")
    parser.add_argument(
        "--no-worker", action="store_true", help="do not start the task worker nor the periodic housekeeping"
    )
    parser.add_argument(
        "--dev",
        action="store_true",
        help="Django's development server instead of gunicorn (never in production)",
    )
    options = parser.parse_args(argv)
    _django()
    from django.conf import settings
    from django.core.management import call_command

    from maille.core.serving import (
        Child,
        Supervisor,
        background_commands,
        development_server_command,
        gunicorn_command,
    )

    call_command("migrate", interactive=False, verbosity=0)
    from maille.demo.accounts import print_demo_logins

    print_demo_logins(f"http://{options.host}:{options.port}")
    if options.dev:
        web = Child("web", development_server_command(options.host, options.port))
    else:
        workers = options.workers or settings.WEB_WORKERS
        threads = options.threads or settings.WEB_THREADS
        web = Child("web", gunicorn_command(options.host, options.port, workers, threads))
    children = [web] if options.no_worker else [web, *background_commands()]
    sys.exit(Supervisor(children).run())


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
