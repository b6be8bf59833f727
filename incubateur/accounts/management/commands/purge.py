"""`manage.py purge [--dry-run]`: anonymise what the retention periods have made unnecessary
(`PERSONAL_DATA_PURGE_HOOKS`: each app purges its own tables), in one transaction, and print the counts per hook.
`--dry-run` runs the same and rolls it back: the counts are those a real run would give, nothing changes."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from incubateur.accounts.management.commands.export_person import app_of


class DryRun(Exception):
    """Raised to roll the transaction back after a dry run."""


class Command(BaseCommand):
    help = (
        "Anonymise les demandes confidentielles closes et les comptes inactifs au-delà des durées de conservation "
        "(RETENTION_CONFIDENTIAL_REQUESTS_MONTHS, RETENTION_INACTIVE_ACCOUNTS_YEARS)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="compter seulement : ne rien modifier")

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        reports: list[tuple[str, dict[str, int]]] = []
        try:
            with transaction.atomic():
                for hook in settings.PERSONAL_DATA_PURGE_HOOKS:
                    reports.append((app_of(hook), import_string(hook)(now=now)))
                if dry_run:
                    raise DryRun
        except DryRun:
            pass
        for app, counts in reports:
            details = ", ".join(f"{name} : {count}" for name, count in counts.items())
            self.stdout.write(f"{app} — {details}")
        if dry_run:
            self.stdout.write("Simulation (--dry-run) : rien n'a été modifié.")
