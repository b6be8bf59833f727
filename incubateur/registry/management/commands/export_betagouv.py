from django.core.management.base import BaseCommand, CommandError

from incubateur.registry import content


class Command(BaseCommand):
    help = (
        "Écrit le registre au format de beta.gouv.fr (_authors/, _startups/, _incubators/, _organisations/, "
        "_teams/) dans DIR, ou dans DIR/content/ si DIR est un dépôt beta.gouv.fr. Les fichiers existants sont "
        "remplacés (un lien symbolique est remplacé par un fichier, sa cible n'est pas touchée ; un dossier qui est "
        "un lien refuse l'export) ; les autres ne sont pas touchés."
    )

    def add_arguments(self, parser):
        parser.add_argument("dir", help="dossier de destination (créé au besoin)")

    def handle(self, *args, dir: str, **options):
        try:
            report = content.export_betagouv(path=dir)
        except content.ExportRefused as exc:
            raise CommandError(exc.render()) from exc
        self.stdout.write(f"Export vers {report.folder} :")
        for line in report.lines():
            self.stdout.write(f"  {line}")
