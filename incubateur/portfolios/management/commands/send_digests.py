"""`manage.py send_digests`: the weekly digest to each portfolio manager (once per ISO week, whatever the
frequency cron runs it at)."""

from django.core.management.base import BaseCommand

from incubateur.core.text import plural, quantity
from incubateur.portfolios.digests import send_digests


class Command(BaseCommand):
    help = "Envoie à chaque responsable de portefeuille sa synthèse hebdomadaire (une fois par semaine)."

    def handle(self, *args, **options):
        sent = send_digests()
        self.stdout.write(f"{quantity(sent, 'synthèse')} {plural(sent, 'envoyée')}.")
