"""/api/v1/portfolios/{username}/board: a portfolio manager's board.

A bearer token (`Authorization: Bearer <token>`) or the site's session, as everywhere in /api/v1/ (see
programmes/api/endpoints.py). For that manager, the pole leads, the direction and administrators; a 404 for anyone
else, before anything is read, exactly as if the board did not exist. Dates are ISO 8601 (YYYY-MM-DD).
"""

import datetime

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from incubateur.accounts.api_auth import api_user, token_or_session
from incubateur.core.api import ErrorOut, PersonOut
from incubateur.organisation.models import Portfolio
from incubateur.portfolios import perms, selectors

router = Router(tags=["programmes"])

STAFF_AUTH = token_or_session(staff_only=True)


class BoardRowOut(Schema):
    ghid: str
    name: str
    phase: str
    phase_label: str
    phase_start: datetime.date
    months_in_phase: float
    norm_months: int | None = Field(description="Repère de durée de la phase (mois).")
    over_norm: bool
    last_committee: datetime.date | None
    next_committee_due: datetime.date | None
    committee_known: bool = Field(
        description="Un comité est connu (enregistré ou dans l'historique du produit) ; sans lui, rien n'est dû."
    )
    committee_overdue: bool
    open_requests: int
    pending_offers: int
    running_applications: int

    @staticmethod
    def resolve_ghid(row: selectors.ProductRow) -> str:
        return row.product.ghid

    @staticmethod
    def resolve_name(row: selectors.ProductRow) -> str:
        return row.product.name


class BoardPhaseOut(Schema):
    phase: str
    label: str
    count: int
    products: list[BoardRowOut]

    @staticmethod
    def resolve_count(group: selectors.PhaseGroup) -> int:
        return len(group.rows)

    @staticmethod
    def resolve_products(group: selectors.PhaseGroup) -> list:
        return group.rows


class BoardTotalsOut(Schema):
    products: int
    committees_overdue: int
    over_norm: int
    open_requests: int
    pending_offers: int
    running_applications: int


class PortfolioBoardOut(Schema):
    slug: str
    label: str
    phases: list[BoardPhaseOut]
    totals: BoardTotalsOut

    @staticmethod
    def resolve_slug(board: selectors.PortfolioBoard) -> str:
        return board.portfolio.slug

    @staticmethod
    def resolve_label(board: selectors.PortfolioBoard) -> str:
        return board.portfolio.label

    @staticmethod
    def resolve_phases(board: selectors.PortfolioBoard) -> list:
        return board.groups


class BoardOut(Schema):
    manager: PersonOut
    today: datetime.date
    portfolios: list[PortfolioBoardOut]
    totals: BoardTotalsOut = Field(description="Sur l'ensemble de ses portefeuilles.")


@router.get(
    "/portfolios/{username}/board",
    response={200: BoardOut, 401: ErrorOut, 404: ErrorOut},
    auth=STAFF_AUTH,
    url_name="portfolios_board",
    summary="Le tableau de bord d'un responsable de portefeuille",
)
def portfolio_board(request: HttpRequest, username: str):
    """The products of the manager's portfolios grouped by current phase: last committee and when the next is due,
    time in phase against its norm, open guichet requests, pending offers of help, running applications. For that
    manager, the pole leads, the direction and administrators; a 404 for anyone else."""
    user = api_user(request)
    manager = get_user_model().objects.filter(username=username, is_active=True).first()
    if manager is None or not perms.can_see_board(user, manager):
        raise HttpError(404, f"Tableau de bord introuvable : « {username[:100]} ».")
    portfolios = list(Portfolio.objects.filter(manager=manager))
    if not portfolios:
        raise HttpError(404, f"Tableau de bord introuvable : « {username[:100]} ».")
    today = timezone.localdate()
    found = selectors.boards(portfolios, today=today)
    return {"manager": manager, "today": today, "portfolios": found, "totals": selectors.sum_totals(found)}
