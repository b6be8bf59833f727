"""`manage.py load_programmes`: create the Incubator's programmes that do not exist yet (idempotent)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from incubateur.core.text import plural, quantity
from incubateur.programmes.catalogue import load_programmes


class Command(BaseCommand):
    help = "Crée les programmes de l'Incubateur (FAST, consolidation, FINDPE, EIG, AIC) qui n'existent pas encore."

    def handle(self, *args, **options):
        with transaction.atomic():
            created = load_programmes()
        self.stdout.write(f"{quantity(created, 'programme')} {plural(created, 'créé')}.")
