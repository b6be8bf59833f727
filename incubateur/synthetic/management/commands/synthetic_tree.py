"""`manage.py synthetic_tree OUT --factor N --sample PATH [--seed S] [--force]`: a beta.gouv.fr content tree N
times the sample, every reference consistent (`incubateur.synthetic.tree`), for `make bench` (P3). Deterministic;
refuses a non-empty OUT unless --force."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from incubateur.synthetic.tree import TreeRefused, write_tree


class Command(BaseCommand):
    help = (
        "Écrit une arborescence beta.gouv.fr synthétique : N fois l'échantillon, avec de nouveaux identifiants et "
        "des références cohérentes. Déterministe pour un même échantillon, un même facteur et une même graine."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", type=Path, help="Dossier à écrire (vide, sauf --force).")
        parser.add_argument("--factor", type=int, default=4, help="N : combien de fois l'échantillon (défaut 4).")
        parser.add_argument("--sample", type=Path, required=True, help="Dossier content/ de l'échantillon.")
        parser.add_argument("--seed", type=int, default=0, help="Graine (défaut 0).")
        parser.add_argument("--force", action="store_true", help="Remplacer les dossiers _* d'un OUT non vide.")

    def handle(self, *args, out: Path, factor: int, sample: Path, seed: int, force: bool, **options):
        try:
            counts = write_tree(out=out, sample=sample, factor=factor, seed=seed, force=force)
        except TreeRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{sum(counts.values())} fichiers écrits dans {out} (facteur {factor}, graine {seed}) :")
        for folder, count in counts.items():
            self.stdout.write(f"  {folder} : {count}")
