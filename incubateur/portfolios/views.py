"""Investment committees of a product and the portfolio boards (Incubator staff).

- `committees` / `committee_new`: a product's comités d'investissement, and recording one (`committee_record`);
- `board` / `board_csv`: one portfolio manager's board (`perms.can_see_board`: the manager, pole leads, the
  direction, administrators; anyone else gets a 404);
- `boards` / `boards_csv`: every portfolio with totals per portfolio and per phase (`perms.sees_every_board`);
  a portfolio manager who does not see every board is sent to their own.

The CSV exports are for spreadsheets as used in France: UTF-8 with a byte order mark (Excel then reads the
accents right), `;` between fields, a decimal comma, dates as DD/MM/YYYY, one header row in French. A cell that a
spreadsheet would run as a formula (starting with = + - @) is prefixed with an apostrophe: product names come
from the public registry.
"""

import csv
import datetime
import re
from io import StringIO

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from incubateur.core.decorators import staff_required
from incubateur.core.text import date_fr, euros
from incubateur.portfolios import perms, selectors, services
from incubateur.portfolios.forms import CommitteeForm
from incubateur.portfolios.selectors import PHASE_ORDER, PortfolioBoard
from incubateur.registry.enums import PhaseName
from incubateur.ui.forms import run_service

CSV_HEADERS = [
    "Portefeuille",
    "Responsable",
    "Phase",
    "Produit",
    "Identifiant",
    "Début de la phase",
    "Mois dans la phase",
    "Repère (mois)",
    "Au-delà du repère",
    "Dernier comité",
    "Prochain comité avant le",
    "Comité en retard",
    "Demandes ouvertes au guichet",
    "Offres d'aide en attente",
    "Candidatures en cours",
    "Fiche du produit",
]


# --- Investment committees ------------------------------------------------------------------------------------


@staff_required
@require_safe
def committees(request, ghid: str):
    product = get_object_or_404(selectors.products().only("pk", "ghid", "name", "thematiques"), ghid=ghid)
    found = selectors.committees_of(product)
    for committee in found.recorded:
        committee.requested_label = euros(committee.budget_requested)
        committee.granted_label = euros(committee.budget_granted)
    portfolio = found.portfolio
    return render(
        request,
        "portfolios/committees.html",
        {
            "product": product,
            "committees": found.recorded,
            "imported": found.imported,
            "phase": found.phase,
            "portfolio": portfolio,
            "board_visible": bool(
                portfolio and portfolio.manager and perms.can_see_board(request.user, portfolio.manager)
            ),
            "next_due": found.next_due,
            "next_due_overdue": bool(found.next_due and found.next_due < timezone.localdate()),
            "stopped": found.stopped,
            "no_committee": found.none_known,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def committee_new(request, ghid: str):
    product = get_object_or_404(selectors.products(), ghid=ghid)
    if not perms.can_record_committees(request.user):
        raise Http404
    form = CommitteeForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            committee = run_service(
                form, lambda: services.committee_record(product=product, actor=request.user, **form.cleaned_data)
            )
        except IntegrityError:
            # The same phase added meanwhile (a double submission): the database's unique constraint answers.
            form.add_error("phase", "Le produit a déjà connu cette phase.")
            committee = None
        if committee is not None:
            message = f"Comité du {date_fr(committee.date)} enregistré : {committee.get_decision_display()}."
            if committee.phase:
                message += f" Le produit passe en phase « {PhaseName(committee.phase).label} »."
            messages.success(request, message)
            return redirect("portfolios:committees", ghid=product.ghid)
    return render(
        request,
        "portfolios/committee_new.html",
        {"product": product, "form": form, "phase": selectors.current_phase(product)},
    )


# --- Portfolio boards -----------------------------------------------------------------------------------------


def _manager_or_404(request, username: str):
    manager = get_user_model().objects.filter(username=username).first()
    if manager is None or not perms.can_see_board(request.user, manager):
        raise Http404
    portfolios = list(selectors.portfolios().filter(manager=manager))
    if not portfolios:
        raise Http404
    return manager, portfolios


@staff_required
@require_safe
def board(request, username: str):
    manager, portfolios = _manager_or_404(request, username)
    today = timezone.localdate()
    their_boards = selectors.boards(portfolios, today=today)
    return render(
        request,
        "portfolios/board.html",
        {
            "manager": manager,
            "manager_name": manager.display_name,
            "boards": their_boards,
            "totals": selectors.sum_totals(their_boards),
            "sees_every_board": perms.sees_every_board(request.user),
            "today": today,
        },
    )


@staff_required
@require_safe
def board_csv(request, username: str):
    manager, portfolios = _manager_or_404(request, username)
    today = timezone.localdate()
    name = "portefeuille-" + re.sub(r"[^A-Za-z0-9._-]", "-", manager.username)
    return _csv_response(selectors.boards(portfolios, today=today), name, today)


def _every_board_or_redirect(request):
    """None when the user sees every board; else a redirect to their own board, or a 404."""
    if perms.sees_every_board(request.user):
        return None
    if request.user.username and perms.manages_a_portfolio(request.user):
        return redirect("portfolios:board", username=request.user.username)
    raise Http404


@staff_required
@require_safe
def boards(request):
    if not perms.sees_every_board(request.user) and not perms.manages_a_portfolio(request.user):
        # Reached from the staff menu: say who sees the boards rather than a bare 404.
        return render(request, "portfolios/boards_closed.html", {"portfolios": selectors.portfolios()})
    if (answer := _every_board_or_redirect(request)) is not None:
        return answer
    today = timezone.localdate()
    every_board = selectors.boards(list(selectors.portfolios()), today=today)
    phases = [(name, PhaseName(name).label) for name in PHASE_ORDER]
    rows = [
        {
            "board": board_,
            "totals": board_.totals,
            "per_phase": [board_.count_in(name) for name, _ in phases],
        }
        for board_ in every_board
    ]
    return render(
        request,
        "portfolios/boards.html",
        {
            "rows": rows,
            "phases": phases,
            "totals": selectors.sum_totals(every_board),
            "phase_totals": [sum(row["per_phase"][i] for row in rows) for i in range(len(phases))],
            "today": today,
        },
    )


@staff_required
@require_safe
def boards_csv(request):
    if (answer := _every_board_or_redirect(request)) is not None:
        return answer
    today = timezone.localdate()
    return _csv_response(selectors.boards(list(selectors.portfolios()), today=today), "portefeuilles", today)


# --- CSV ------------------------------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"  # a spreadsheet reads this as a date (sorts, filters); « 1er mai 2026 » it does not
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text  # never a formula in a spreadsheet
    return text


def _csv_response(boards_: list[PortfolioBoard], name: str, today: datetime.date) -> HttpResponse:
    buffer = StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for board_ in boards_:
        portfolio = board_.portfolio
        for group in board_.groups:
            for row in group.rows:
                writer.writerow(
                    _cell(value)
                    for value in (
                        portfolio.label,
                        portfolio.manager.display_name if portfolio.manager else "",
                        group.label,
                        row.product.name,
                        row.product.ghid,
                        row.phase_start,
                        row.months_in_phase,
                        row.norm_months,
                        row.over_norm,
                        row.last_committee,
                        row.next_committee_due,
                        row.committee_overdue,
                        row.open_requests,
                        row.pending_offers,
                        row.running_applications,
                        settings.BASE_URL + reverse("registry:product_detail", args=[row.product.ghid]),
                    )
                )
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{today:%Y-%m-%d}.csv"'
    return response
