"""`manage.py guichet_tick`: reminders, overdue alerts and auto-close (the worker also runs it at every beat)."""

from django.core.management.base import BaseCommand

from incubateur.guichet.services.housekeeping import tick


class Command(BaseCommand):
    help = "Rappels de première réponse, alertes de retard et clôture automatique des demandes résolues."

    def handle(self, *args, **options):
        report = tick()
        self.stdout.write(
            f"{report.reminded} rappel(s), {report.escalated} alerte(s) de retard, "
            f"{report.closed} demande(s) close(s)."
        )
