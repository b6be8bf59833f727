from django.core.management.base import BaseCommand, CommandError

from incubateur.registry.content import sync


class Command(BaseCommand):
    help = (
        "Récupère le dépôt beta.gouv.fr (BETAGOUV_REPO_URL : dossier content/ seulement, sans historique, dans "
        "BETAGOUV_SYNC_DIR) et l'importe en gardant les modifications faites sur la plateforme : les conflits sont "
        "signalés. Un commit qui ne se lit pas n'importe rien (code de sortie 1)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", help="dépôt à suivre (par défaut BETAGOUV_REPO_URL)")

    def handle(self, *args, url: str | None, **options):
        try:
            result = sync.sync(url=url)
        except sync.SyncFailed as exc:
            raise CommandError(f"Synchronisation impossible : {exc}") from exc
        if result.refused:
            raise CommandError("\n".join(result.lines()))
        for line in result.lines():
            self.stdout.write(line)
        if result.report and result.report.conflicts:
            conflicts = result.report.conflicts
            self.stdout.write(f"Conflits ({len(conflicts)}) : modifié des deux côtés, la plateforme gardée")
            for conflict in conflicts:
                self.stdout.write(f"  {conflict}")
