"""`manage.py seed_synthetic --scale N [--seed S] [--force]`: a realistic synthetic registry and desk (see
`incubateur.synthetic.generator`): N products, 10N members with accounts and missions, 10N guichet requests of
every kind, offers of help, calls, applications and committees, job posts, checklist ticks and a few attachments.
Deterministic for a given scale and seed. COPY-fast on PostgreSQL (`--scale 100000`: a million requests).

It needs the organisation, the routing table and the programmes: it loads them first when they are missing
(`load_organisation`, `load_routing`, `load_programmes`). It refuses to run when synthetic data exists, unless
`--force`, which deletes the previous synthetic rows (and only them) before seeding again.
"""

import time
from io import StringIO

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from incubateur.guichet.models import RoutingRule
from incubateur.organisation.models import Department
from incubateur.programmes.models import Programme
from incubateur.synthetic import generator


class Command(BaseCommand):
    help = (
        "Crée un registre et un guichet synthétiques réalistes : N produits, 10N membres, 10N demandes de tous "
        "types (confidentielles comprises), des offres d'aide, des appels et des candidatures. Déterministe pour "
        "une même échelle et une même graine."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, required=True, help="N : le nombre de produits (10N demandes).")
        parser.add_argument("--seed", type=int, default=0, help="Graine (défaut 0) : mêmes N et graine, mêmes lignes.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Supprimer d'abord les données synthétiques existantes (et seulement elles).",
        )

    def handle(self, *args, scale: int, seed: int, force: bool, **options):
        if scale < 1:
            raise CommandError("--scale doit valoir au moins 1.")
        started = time.perf_counter()
        self._prerequisites()
        with transaction.atomic():  # replacing is all or nothing
            report = self._seed(scale=scale, seed=seed, force=force)
        self.stdout.write(f"Données synthétiques créées (échelle {scale}, graine {seed}) :")
        for line in report.lines():
            self.stdout.write(f"  {line}")
        self.stdout.write(
            f"En {report.seconds:.1f} s ({time.perf_counter() - started:.1f} s en tout ; "
            f"{report.routes_computed} routages calculés)."
        )

    def _seed(self, *, scale: int, seed: int, force: bool) -> generator.Report:
        if generator.exists():
            if not force:
                raise CommandError(
                    "Des données synthétiques existent déjà : rien n'a été créé. Relancez avec --force pour les "
                    "remplacer (seules les lignes synthétiques sont supprimées)."
                )
            deleted = generator.delete()
            self.stdout.write(
                "Données synthétiques précédentes supprimées : "
                + ", ".join(f"{label} {count}" for label, count in deleted.items() if count)
            )
        return generator.seed(scale=scale, seed=seed)

    def _prerequisites(self) -> None:
        for command, missing in (
            ("load_organisation", lambda: not Department.objects.exists()),
            ("load_routing", lambda: not RoutingRule.objects.exists()),
            ("load_programmes", lambda: not Programme.objects.exists()),
        ):
            if missing():
                out = StringIO()
                call_command(command, stdout=out)
                self.stdout.write(f"manage.py {command} (absent) : {out.getvalue().strip().splitlines()[0]}")
