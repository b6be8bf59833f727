"""`manage.py backup FILE`: a consistent copy of the whole database, taken while the site runs (core/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from incubateur.core import backup


class Command(BaseCommand):
    help = (
        "Sauvegarde toute la base de données dans FICHIER, site en marche : API de sauvegarde de SQLite, ou "
        "pg_dump -Fc pour PostgreSQL. Le fichier n'apparaît qu'une fois complet."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FICHIER", help="Fichier de sauvegarde à écrire (remplacé s'il existe).")

    def handle(self, *args, file: str, **options):
        try:
            report = backup.backup(Path(file))
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Sauvegarde {report.engine} écrite dans {report.path} ({backup.human_size(report.size)}).")
        for line in backup.describe(report.counts):
            self.stdout.write(line)
