"""`maille demo`: migrate, load the demo territory and network, create the demo accounts, print logins."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from maille.demo.accounts import print_demo_logins
from maille.demo.loader import load_demo


class Command(BaseCommand):
    help = "Charge le territoire et le réseau de démonstration (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--no-logins", action="store_true", help="ne pas afficher les comptes (maille serve le fait)"
        )

    def handle(self, *args, base_url: str, no_logins: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        summary = load_demo(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(summary))
        if not no_logins:
            print_demo_logins(base_url)
