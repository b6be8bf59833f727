"""`manage.py load_routing`: seed the guichet's routing table with the default rules (idempotent)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from incubateur.core.text import plural, quantity
from incubateur.guichet.models import RoutingRule
from incubateur.guichet.routing import load_default_rules


class Command(BaseCommand):
    help = "Crée les règles de routage par défaut du guichet qui n'existent pas encore (après load_organisation)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Ne rien faire si une règle existe déjà.")

    def handle(self, *args, if_empty: bool, **options):
        if if_empty and RoutingRule.objects.exists():
            self.stdout.write("Routage déjà présent : rien à faire.")
            return
        with transaction.atomic():
            created = load_default_rules()
        self.stdout.write(f"{quantity(created, 'règle')} de routage {plural(created, 'créée')}.")
