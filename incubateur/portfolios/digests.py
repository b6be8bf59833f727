"""The weekly digest to each portfolio manager: what is overdue on their board and at the guichet. Sent once
per ISO week per person (`DigestSent`), so `manage.py send_digests` may run from cron at any frequency."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from incubateur.core import notifications
from incubateur.core.text import quantity
from incubateur.guichet.models import Ticket
from incubateur.organisation.models import Portfolio
from incubateur.portfolios.models import DigestSent
from incubateur.portfolios.selectors import boards, overdue_items


def iso_week(now=None) -> str:
    year, week, _ = timezone.localtime(now or timezone.now()).isocalendar()
    return f"{year}-W{week:02d}"


def send_digests(*, now=None) -> int:
    """Queue this week's digest for every portfolio manager who has not had it; returns how many were sent."""
    now = now or timezone.now()
    week = iso_week(now)
    done = set(DigestSent.objects.filter(week=week).values_list("user_id", flat=True))
    portfolios = [p for p in Portfolio.objects.select_related("manager") if p.manager and p.manager_id not in done]
    by_manager: dict = {}
    for board in boards(portfolios, today=timezone.localdate(now)):
        by_manager.setdefault(board.portfolio.manager, []).append(board)
    sent = 0
    for manager, their_boards in by_manager.items():
        lines = []
        for board in their_boards:
            items = overdue_items(board)
            if items:
                lines.append(f"Portefeuille {board.portfolio.label} :")
                lines += [f"  - {item}" for item in items]
        late = list(
            Ticket.objects.overdue(now).filter(assignee=manager, confidential=False).order_by("first_response_due")
        )
        if late:
            lines.append("Guichet — demandes sans première réponse dans le délai :")
            lines += [f"  - Demande {t.reference} : {t.subject}" for t in late]
        count = sum(1 for line in lines if line.startswith("  - "))
        try:
            with transaction.atomic():
                DigestSent.objects.create(user=manager, week=week, items=count, sent_at=now)
                if count:
                    board_url = settings.BASE_URL + reverse("portfolios:board", args=[manager.username])
                    notifications.notify(
                        kind="programmes.digest",
                        subject=f"Votre synthèse de la semaine : {quantity(count, 'point')} en retard",
                        body="Bonjour,\n\n" + "\n".join(lines) + f"\n\nVotre tableau de bord : {board_url}\n",
                        emails=[manager.email],
                    )
        except IntegrityError:
            continue  # another run sent it this week
        sent += bool(count)
    return sent
