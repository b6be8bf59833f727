from django.core.management.base import BaseCommand, CommandError

from incubateur.accounts.api_auth import api_token_issue
from incubateur.accounts.models import User


class Command(BaseCommand):
    help = (
        "Délivre un jeton d'API (/api/v1/) au compte de cette adresse. Le jeton est affiché une seule fois, "
        "sur la dernière ligne ; seule son empreinte est enregistrée."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="Adresse e-mail du compte.")
        parser.add_argument("--name", default="", help="Nom du jeton (à quoi il sert), ex. « tableau de bord ».")

    def handle(self, *args, email: str, name: str, **options):
        user = User.objects.by_email(email).first()
        if user is None:
            raise CommandError(f"Aucun compte avec l'adresse {email}.")
        try:
            token, secret = api_token_issue(user=user, name=name)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Jeton « {token.name or 'sans nom'} » délivré à {user.email}. Conservez-le : il ne sera plus affiché."
        )
        self.stdout.write(secret)
