"""`manage.py restore FILE [--yes]`: replace the database's content with a backup made by `manage.py backup`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from incubateur.core import backup


class Command(BaseCommand):
    help = (
        "Restaure une sauvegarde faite par `manage.py backup` dans la base de données configurée, dont elle "
        "remplace tout le contenu. Arrêtez le site et les workers avant."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FICHIER", help="Sauvegarde à restaurer.")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Confirmer le remplacement d'une base qui contient déjà des données.",
        )

    def handle(self, *args, file: str, yes: bool, **options):
        try:
            report = backup.restore(Path(file), replace=yes)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Sauvegarde {report.engine} {report.path} restaurée.")
        for line in backup.describe(report.counts):
            self.stdout.write(line)
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(warning))
