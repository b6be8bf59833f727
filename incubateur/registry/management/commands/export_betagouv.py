from django.core.management.base import BaseCommand

from incubateur.registry import content


class Command(BaseCommand):
    help = (
        "Écrit le registre au format de beta.gouv.fr (_authors/, _startups/, _incubators/, _organisations/, "
        "_teams/) dans DIR, ou dans DIR/content/ si DIR est un dépôt beta.gouv.fr. Les fichiers existants sont "
        "remplacés ; les autres ne sont pas touchés."
    )

    def add_arguments(self, parser):
        parser.add_argument("dir", help="dossier de destination (créé au besoin)")

    def handle(self, *args, dir: str, **options):
        report = content.export_betagouv(path=dir)
        self.stdout.write(f"Export vers {report.folder} :")
        for line in report.lines():
            self.stdout.write(f"  {line}")
