from django.core.management.base import BaseCommand, CommandError

from incubateur.accounts.api_auth import api_token_revoke_secret, api_tokens_revoke_for
from incubateur.accounts.models import User
from incubateur.core.text import plural, quantity


class Command(BaseCommand):
    help = (
        "Révoque un jeton d'API : `revoke_api_token <jeton>`, ou tous les jetons d'un compte : "
        "`revoke_api_token <adresse e-mail> --all`."
    )

    def add_arguments(self, parser):
        parser.add_argument("value", help="Le jeton, ou avec --all l'adresse e-mail du compte.")
        parser.add_argument("--all", action="store_true", help="Révoquer tous les jetons du compte de cette adresse.")

    def handle(self, *args, value: str, all: bool, **options):
        value = value.strip()
        if all:
            user = User.objects.by_email(value).first()
            if user is None:
                raise CommandError(f"Aucun compte avec l'adresse {value}.")
            count = api_tokens_revoke_for(user=user)
            self.stdout.write(f"{quantity(count, 'jeton')} {plural(count, 'révoqué')} pour {user.email}.")
            return
        if "@" in value:
            raise CommandError("Pour révoquer les jetons d'un compte par son adresse, ajoutez --all.")
        if not api_token_revoke_secret(secret=value):
            raise CommandError("Aucun jeton actif ne correspond : inconnu ou déjà révoqué.")
        self.stdout.write("Jeton révoqué.")
