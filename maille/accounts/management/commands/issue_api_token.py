"""Issue an API token for an external system; the token is printed once and only its hash is stored."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from maille.accounts.models import ApiToken


class Command(BaseCommand):
    help = "Crée un jeton d'API pour un utilisateur (le jeton n'est affiché qu'une fois)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="compte dont le jeton prend les rôles et le périmètre")
        parser.add_argument("name", help="nom du système client, ex. « ROR Grand Est »")

    def handle(self, *args, username: str, name: str, **options):
        try:
            user = get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"Aucun compte actif « {username} ».") from error
        token, raw = ApiToken.issue(user=user, name=name)
        self.stdout.write(f"Jeton « {token.name} » pour {username} (à conserver, il ne sera plus affiché) :")
        self.stdout.write(raw)
