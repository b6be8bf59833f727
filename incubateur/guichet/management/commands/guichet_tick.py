"""`manage.py guichet_tick`: reminders, overdue alerts and auto-close (the worker also runs it at every beat)."""

from django.core.management.base import BaseCommand

from incubateur.core.text import plural, quantity
from incubateur.guichet.services.housekeeping import tick


class Command(BaseCommand):
    help = "Rappels de première réponse, alertes de retard et clôture automatique des demandes résolues."

    def handle(self, *args, **options):
        report = tick()
        self.stdout.write(
            f"{quantity(report.reminded, 'rappel')}, {quantity(report.escalated, 'alerte')} de retard, "
            f"{quantity(report.closed, 'demande')} {plural(report.closed, 'close')}."
        )
