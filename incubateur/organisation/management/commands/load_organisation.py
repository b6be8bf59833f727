from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incubateur.organisation import loader, services
from incubateur.organisation.models import Department

DEFAULT_FILE = Path(settings.BASE_DIR) / "data" / "organisation.yaml"


class Command(BaseCommand):
    help = "Charge l'organisation de l'Incubateur depuis un fichier YAML (par défaut data/organisation.yaml)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Ne charger que si aucune organisation n'est enregistrée (make run : ne pas écraser les "
            "changements faits en ligne).",
        )

    def handle(self, *args, file: str, if_empty: bool, **options):
        if if_empty and Department.objects.exists():
            self.stdout.write("Organisation déjà chargée : rien à faire (sans --if-empty, le fichier fait foi).")
            return
        try:
            data = loader.load(file)
        except loader.OrganisationFileError as exc:
            raise CommandError(f"Rien n'a été modifié.\n{exc}") from exc
        try:
            report = services.organisation_load(data=data, source=Path(file).name)
        except ValueError as exc:
            raise CommandError(f"Rien n'a été modifié.\n{file}: {exc}") from exc
        self.stdout.write(f"Organisation chargée depuis {file}")
        for line in report.lines():
            self.stdout.write(f"  {line}")
