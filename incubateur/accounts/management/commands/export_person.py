"""`manage.py export_person USERNAME_OR_EMAIL [--output FILE]`: everything the platform holds about one person, as
JSON, one key per app (`PERSONAL_DATA_EXPORT_HOOKS`: each app answers for its own tables)."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils.module_loading import import_string

from incubateur.accounts.models import User, normalize_email


def app_of(hook: str) -> str:
    """`incubateur.guichet.personal_data.export` → `guichet`."""
    parts = hook.split(".")
    return parts[-3] if len(parts) >= 3 else hook


def export_person(user) -> dict:
    data = {}
    for hook in settings.PERSONAL_DATA_EXPORT_HOOKS:
        data[app_of(hook)] = import_string(hook)(user)
    return data


class Command(BaseCommand):
    help = "Exporte en JSON tout ce que la plateforme détient sur une personne (identifiant ou adresse e-mail)."

    def add_arguments(self, parser):
        parser.add_argument("person", help="identifiant beta.gouv.fr (prenom.nom) ou adresse e-mail")
        parser.add_argument("--output", "-o", help="fichier où écrire le JSON (par défaut : la sortie standard)")

    def handle(self, *args, person, output=None, **options):
        wanted = person.strip()
        user = User.objects.filter(Q(username=wanted) | Q(email=normalize_email(wanted))).first()
        if user is None:
            raise CommandError(
                f"Personne inconnue : « {wanted} » n'est ni un identifiant ni une adresse e-mail connue."
            )
        text = json.dumps(export_person(user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text)
            self.stderr.write(f"Données de {user.email} écrites dans {output}.")
        else:
            self.stdout.write(text, ending="")
