import time

from django.core.management.base import BaseCommand, CommandError

from incubateur.registry import content


class _Progress:
    """A bar redrawn in place on a terminal; otherwise one plain line per step, when it is done."""

    def __init__(self, out, *, tty: bool, width: int = 30):
        self.out = out
        self.tty = tty
        self.width = width
        self.shown: tuple | None = None

    def __call__(self, label: str, done: int, total: int) -> None:
        if self.tty:
            filled = self.width * done // max(total, 1)
            state = (label, filled, done == total)
            if state == self.shown and done != total:
                return
            self.shown = state
            bar = "█" * filled + "·" * (self.width - filled)
            self.out.write(f"\r  {label:<14} {bar} {done}/{total}", ending="\n" if done == total else "")
            self.out.flush()
        elif done == total:
            self.out.write(f"  {label} : {done}/{total}")


class Command(BaseCommand):
    help = (
        "Importe l'arborescence de beta.gouv.fr (organisations, incubateurs, produits, membres, équipes) : PATH est "
        "un dépôt beta.gouv.fr ou son dossier content/. Tout ou rien : une erreur et rien n'est écrit."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="dépôt beta.gouv.fr, ou son dossier content/")
        parser.add_argument(
            "--strict", action="store_true", help="Les avertissements sont des erreurs : rien n'est importé."
        )

    def handle(self, *args, path: str, strict: bool, **options):
        tty = hasattr(self.stdout, "isatty") and self.stdout.isatty()
        started = time.perf_counter()
        try:
            report = content.import_betagouv(path=path, strict=strict, progress=_Progress(self.stdout, tty=tty))
        except content.ImportRefused as exc:
            raise CommandError(exc.render()) from exc
        seconds = time.perf_counter() - started
        self.stdout.write(f"Import depuis {report.content} ({seconds:.2f} s) :")
        for line in report.lines():
            self.stdout.write(f"  {line}")
        if report.warnings:
            self.stdout.write(f"Avertissements ({len(report.warnings)}) :")
            for problem in report.warnings:
                self.stdout.write(f"  {problem}")
        if report.conflicts:
            self.stdout.write(f"Conflits ({len(report.conflicts)}) : modifié des deux côtés, la plateforme gardée")
            for conflict in report.conflicts:
                self.stdout.write(f"  {conflict}")
