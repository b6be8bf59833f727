"""`manage.py send_reminders`: what the worker's housekeeping does for the community, once, now."""

from django.core.management.base import BaseCommand

from incubateur.community.services.housekeeping import tick


class Command(BaseCommand):
    help = (
        "Send the reminders before and after the end of missions (J-30, J-15, J-2, J+1, J+30: leaving the "
        "incubator teams), the monthly summaries to incubators' teams and the escalation of undecided reviews. Each "
        "is sent once: safe to run any time."
    )

    def handle(self, *args, **options):
        report = tick()
        steps = ", ".join(f"{kind} : {count}" for kind, count in sorted(report.reminders.sent.items())) or "aucun"
        self.stdout.write(f"Rappels de fin de mission envoyés ({steps}).")
        self.stdout.write(f"Synthèses mensuelles envoyées : {report.digests}.")
        self.stdout.write(f"Demandes de validation relancées : {report.reviews_escalated}.")
