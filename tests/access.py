"""The access matrix: every route × every role → the expected status.

Each app adds its rows to ROWS (one `Row` per route name). `test_access_matrix.py` checks every row and
fails when a route of the project has none.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from incubateur.core.roles import Role

ANON, MEMBER, STAFF, ADMIN = Role.ANONYMOUS, Role.MEMBER, Role.STAFF, Role.ADMIN
LOGIN = "login"  # anonymous sent to the login page (302 to /connexion/?next=…)


@dataclass(frozen=True)
class Row:
    name: str  # URL name, e.g. "core:journal"
    expected: dict[Role, int | str]  # status code for each role, or LOGIN
    method: str = "get"
    # Builds the URL from a `world` of objects (used for routes with parameters).
    url: Callable[[dict], str] | None = None
    data: dict = field(default_factory=dict)

    def __hash__(self):
        return hash((self.name, self.method))


def everyone(status: int) -> dict[Role, int | str]:
    return {ANON: status, MEMBER: status, STAFF: status, ADMIN: status}


def logged_in(status: int, *, staff: int | None = None) -> dict[Role, int | str]:
    staff = status if staff is None else staff
    return {ANON: LOGIN, MEMBER: status, STAFF: staff, ADMIN: staff}


def staff_only(status: int) -> dict[Role, int | str]:
    return {ANON: LOGIN, MEMBER: 404, STAFF: status, ADMIN: status}


ROWS: list[Row] = [
    # public
    Row("public:home", everyone(200)),
    Row("public:accessibility", everyone(200)),
    Row("public:legal", everyone(200)),
    Row("public:privacy", everyone(200)),
    Row("public:sitemap", everyone(200)),
    Row("public:my_space", logged_in(200)),
    Row("healthz", everyone(200)),
    # accounts
    Row("accounts:login", {ANON: 200, MEMBER: 302, STAFF: 302, ADMIN: 302}),
    Row("accounts:login_sent", everyone(200)),
    Row("accounts:login_confirm", everyone(410), url=lambda world: f"/connexion/lien/{'x' * 43}/"),
    Row("accounts:logout", logged_in(302), method="post"),
    Row("accounts:account", logged_in(301)),  # « Mon compte » became « Mon espace » (public:my_space)
    # core (staff pages)
    Row("core:journal", staff_only(200)),
    Row("core:notifications", staff_only(200)),
    # organisation
    Row("organisation:who_does_what", everyone(200)),
    Row("organisation:manage", staff_only(200)),
    Row(
        "organisation:person",
        everyone(200),
        url=lambda world: f"/qui-fait-quoi/{world['position'].person.username}/",
    ),
    Row(
        "organisation:portfolio_edit",
        staff_only(200),
        url=lambda world: f"/equipe/organisation/portefeuilles/{world['portfolio'].slug}/",
    ),
    Row(
        "organisation:position_add",
        staff_only(200),
        url=lambda world: f"/equipe/organisation/poles/{world['pole'].slug}/ajouter/",
    ),
    Row(
        "organisation:position_end",
        staff_only(200),
        url=lambda world: f"/equipe/organisation/postes/{world['position'].pk}/terminer/",
    ),
    # API v1 (public, read-only)
    Row("api-v1:openapi-json", everyone(200)),
    Row("api-v1:openapi-view", everyone(200)),
    Row("api-v1:api-root", everyone(404)),  # django-ninja answers 404 on the bare root outside DEBUG
    Row("api-v1:organisation", everyone(200)),
    Row("api-v1:search", everyone(200)),
    Row("api-v1:contact", everyone(200)),
    Row(
        "core:notification_retry",
        staff_only(302),
        method="post",
        url=lambda world: f"/equipe/notifications/{world['notification'].pk}/renvoyer/",
    ),
]

# Routes that the matrix does not own: Django's admin has its own permission system (is_staff), tested apart.
EXEMPT_NAMESPACES = {"admin"}


def _collect() -> None:
    # Each app's tests contribute rows in their own module. Imported here, not at the top: those modules import
    # `Row` from this one (a cycle).
    from tests.accounts import access_proconnect
    from tests.community import access_community
    from tests.guichet import access_api as guichet_api
    from tests.guichet import access_attachments, access_mail
    from tests.guichet import access_desk as guichet_desk
    from tests.guichet import access_pages as guichet_pages
    from tests.portfolios import access_api as portfolios_api
    from tests.portfolios import access_board as portfolios_board
    from tests.programmes import access_api as programmes_api
    from tests.programmes import access_public as programmes_public
    from tests.programmes import access_staff as programmes_staff
    from tests.recruitment import access_recruitment
    from tests.registry import access_api, access_joining, access_missions, access_pages
    from tests.transparency import access_journal, access_statistics

    ROWS.extend(access_pages.ROWS)
    ROWS.extend(access_api.ROWS)
    ROWS.extend(guichet_pages.ROWS)
    ROWS.extend(guichet_desk.ROWS)
    ROWS.extend(guichet_api.ROWS)
    ROWS.extend(programmes_public.ROWS)
    ROWS.extend(programmes_staff.ROWS)
    ROWS.extend(programmes_api.ROWS)
    ROWS.extend(portfolios_board.ROWS)
    ROWS.extend(portfolios_api.ROWS)
    ROWS.extend(access_missions.ROWS)
    ROWS.extend(access_joining.ROWS)
    ROWS.extend(access_community.ROWS)
    ROWS.extend(access_proconnect.ROWS)
    ROWS.extend(access_recruitment.ROWS)
    ROWS.extend(access_journal.ROWS)
    ROWS.extend(access_statistics.ROWS)
    ROWS.extend(access_mail.ROWS)
    ROWS.extend(access_attachments.ROWS)


_collect()
