"""`manage.py load_demo`: the demo registry of a first `make run` (`incubateur.synthetic.demo`), on an empty
registry only; the first `import_betagouv` removes it. Needs the organisation, the routing table and the programmes
(`make run` loads them first)."""

from django.core.management.base import BaseCommand

from incubateur.synthetic import demo


class Command(BaseCommand):
    help = (
        "Sur un registre vide, charge un petit registre de démonstration (données synthétiques signalées comme "
        "telles sur chaque page). Le premier import de beta.gouv.fr (import_betagouv) le retire."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=demo.SCALE, help=f"Nombre de produits (défaut {demo.SCALE}).")

    def handle(self, *args, scale: int, **options):
        report = demo.load(scale=scale)
        if report is None:
            self.stdout.write("Registre non vide : pas de données de démonstration chargées.")
            return
        self.stdout.write(
            f"Données de démonstration chargées ({scale} produits fictifs, en {report.seconds:.1f} s) ; "
            "le premier import de beta.gouv.fr (import_betagouv) les remplacera."
        )
