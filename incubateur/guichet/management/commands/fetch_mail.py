"""`manage.py fetch_mail`: read the IMAP mailboxes of MAIL_INTAKE_IMAP_URL once (the worker does it every minute)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incubateur.guichet.mail.fetch import fetch_all


class Command(BaseCommand):
    help = (
        "Relève les boîtes IMAP du guichet (MAIL_INTAKE_IMAP_URL) : chaque message devient une demande ou une réponse."
    )

    def handle(self, *args, **options):
        if not settings.MAIL_INTAKE_IMAP_URL:
            raise CommandError("MAIL_INTAKE_IMAP_URL n'est pas configuré : aucune boîte à relever.")
        report = fetch_all()
        done = [o for o in report.outcomes if not o.duplicate]
        self.stdout.write(
            f"{report.fetched} message(s) relevé(s), {len(done)} traité(s), "
            f"{len(report.outcomes) - len(done)} déjà reçu(s), {len(report.errors)} erreur(s)."
        )
        for outcome in done:
            self.stdout.write(f"- n°{outcome.mail.pk} : {outcome.result} — {outcome.reason}")
        for error in report.errors:
            self.stderr.write(error)
        if report.errors:
            raise CommandError("Certains messages n'ont pas été traités : ils le seront à la prochaine relève.")
