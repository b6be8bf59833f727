"""`manage.py refresh_statistics`: compute the public statistics now (the worker does it once a day)."""

from django.core.management.base import BaseCommand

from incubateur.transparency import statistics


class Command(BaseCommand):
    help = "Calcule les statistiques publiques (/statistiques/) et remplace leurs instantanés."

    def handle(self, *args, **options):
        snapshots = statistics.refresh()
        self.stdout.write(f"{len(snapshots)} indicateurs calculés.")
