"""API tokens: `Authorization: Bearer <token>` for /api/v1/, and issuing and revoking them.

A token is shown once, when issued; only its SHA-256 is stored (`ApiToken.hash`). Public operations accept
anonymous requests (`optional_token`): a token then only adds personal fields; an absent header is anonymous, a
header that does not carry a usable token is a 401, never a silent downgrade to anonymous.

A token is looked up on every request (one query on the unique index of `token_hash`, its account joined): a revoked
token, or the token of a deactivated account, is refused at once. The SQL of that query is compiled once per
connection (`_Lookup`), not on every request; `last_used_at` is written at most once a minute.
"""

import secrets
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security.apikey import APIKeyCookie
from ninja.security.http import HttpBearer
from ninja.utils import check_csrf

from incubateur.accounts.models import ApiToken, User
from incubateur.core import journal
from incubateur.core.models import Visibility
from incubateur.core.roles import is_member, is_staff

# `last_used_at` is written at most this often per token: not one write per request.
LAST_USED_PRECISION = timedelta(minutes=1)
TOKEN_PREFIX = "isn_"
INVALID_TOKEN = "Jeton d'API invalide ou révoqué."
MALFORMED_HEADER = "En-tête Authorization invalide : attendu « Bearer <jeton> »."


class Anonymous:
    """`request.auth` of a request without a token (truthy: django-ninja lets the request through)."""

    token = None
    user = None

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "<Anonymous>"


ANONYMOUS = Anonymous()


def has_token(request: HttpRequest) -> bool:
    """Whether the request carries a valid token (call from an operation guarded by `optional_token`)."""
    return isinstance(getattr(request, "auth", None), ApiToken)


class _Lookup:
    """`ApiToken.objects.usable().select_related("user").filter(token_hash=…)` compiled once for one connection:
    the same SQL, parameters and rows (the ORM's converters, `from_db`, the account cached on the token as
    `select_related` caches it), without building and compiling the query on every request (most of the time
    a token costs otherwise). `token_hash` is unique: at most one row."""

    SENTINEL = "\x00token_hash"  # a hash is 64 hexadecimal digits: never this

    def __init__(self, alias: str):
        self.alias = alias
        self.connection = connections[alias]
        queryset = ApiToken.objects.usable().select_related("user").filter(token_hash=self.SENTINEL).order_by()
        self.compiler = queryset.query.get_compiler(alias)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        self.position = self.params.index(self.SENTINEL)
        columns = [expression for expression, _, _ in self.compiler.select]
        self.converters = self.compiler.get_converters(columns)
        tokens = ApiToken._meta.db_table
        self.split = sum(1 for column in columns if column.alias == tokens)
        self.names = [column.target.attname for column in columns]
        if any(column.alias != tokens for column in columns[: self.split]):  # select_related's order
            raise RuntimeError("The token lookup expects the token's columns first.")  # pragma: no cover
        self.cache_user = ApiToken._meta.get_field("user").set_cached_value

    def find(self, token_hash: str) -> ApiToken | None:
        params = self.params.copy()
        params[self.position] = token_hash
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = next(self.compiler.apply_converters([row], self.converters))
        token = ApiToken.from_db(self.alias, self.names[: self.split], row[: self.split])
        self.cache_user(token, User.from_db(self.alias, self.names[self.split :], row[self.split :]))
        return token


_lookups = threading.local()  # each thread its connection (Django's connections are per thread), its lookup


def find_usable_token(token_hash: str) -> ApiToken | None:
    """The usable token with this hash and its account, in one query."""
    alias = ApiToken.objects.db
    lookup = getattr(_lookups, "lookup", None)
    if lookup is None or lookup.alias != alias or lookup.connection is not connections[alias]:
        lookup = _lookups.lookup = _Lookup(alias)
    return lookup.find(token_hash)


def authenticate(secret: str) -> ApiToken | None:
    """The usable token with this secret (one query), its `last_used_at` refreshed if older than a minute."""
    if not secret:
        return None
    token = find_usable_token(ApiToken.hash(secret))
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        # Conditional: of concurrent requests, one writes.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


class OptionalBearer(HttpBearer):
    """Anonymous without an Authorization header; with one, it must carry a usable token (else 401 JSON)."""

    def __call__(self, request: HttpRequest):
        header = request.headers.get(self.header, "").strip()
        if not header:
            return ANONYMOUS
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != self.openapi_scheme or not secret.strip():
            raise HttpError(401, MALFORMED_HEADER)
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str):
        found = authenticate(token)
        if found is None:
            raise HttpError(401, INVALID_TOKEN)
        return found


optional_token = OptionalBearer()


# --- A token or the session (the guichet's and the programmes' operations) ------------------------------

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
NOT_FOUND = "Introuvable."
CSRF_FAILED = (
    "Vérification CSRF échouée : avec la session du site, envoyez le jeton CSRF dans l'en-tête X-CSRFToken "
    "(ou utilisez un jeton d'API)."
)


def in_scope(user, *, staff_only: bool):
    """The account, if it may use the operation at all (an active account; Incubator staff when `staff_only`).
    A staff-only operation is a 404 for anyone else: outside your scope, it does not exist."""
    if not is_member(user):
        return None
    if staff_only and not is_staff(user):
        raise HttpError(404, NOT_FOUND)
    return user


class TokenAuth(OptionalBearer):
    """A bearer token, when the request carries an Authorization header (an unusable one is a 401). Without the
    header it steps aside (`None`) and the session is tried."""

    def __init__(self, *, staff_only: bool = False):
        self.staff_only = staff_only
        super().__init__()

    def __call__(self, request: HttpRequest):
        if not request.headers.get(self.header, "").strip():
            return None
        token = super().__call__(request)
        return token if in_scope(token.user, staff_only=self.staff_only) else None


class SessionAuth(APIKeyCookie):
    """The session of the site. Unsafe methods must carry the CSRF token (`X-CSRFToken`), checked only once a
    session user is found: without one the answer is the 401 of anonymous, not a CSRF error."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, *, staff_only: bool = False):
        self.staff_only = staff_only
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not is_member(user):
            return None
        if request.method not in SAFE_METHODS and check_csrf(request):
            raise HttpError(403, CSRF_FAILED)
        return in_scope(user, staff_only=self.staff_only)

    def authenticate(self, request: HttpRequest, key):  # required by APIKeyCookie; __call__ does the work
        return None  # pragma: no cover


def token_or_session(*, staff_only: bool = False) -> list:
    """`auth=` of an operation open to a bearer token or the site's session (CSRF on unsafe methods); anonymous
    is a 401; with `staff_only`, anyone but Incubator staff gets a 404 before the body is read."""
    return [TokenAuth(staff_only=staff_only), SessionAuth(staff_only=staff_only)]


def api_user(request: HttpRequest):
    """The account behind `request.auth` (a token's user, or the session's)."""
    auth = request.auth
    return auth.user if isinstance(auth, ApiToken) else auth


# --- Issuing and revoking ---------------------------------------------------------------------------


@transaction.atomic
def api_token_issue(*, user: User, name: str = "", by: User | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`. Returns the row and the secret, which is never stored nor shown again."""
    if not user.is_active:
        raise ValueError(f"Le compte {user.email} est désactivé : aucun jeton ne peut lui être délivré.")
    # The prefix makes a leaked token recognisable (secret scanners), and a token never starts with "-" (which
    # `manage.py revoke_api_token <token>` would read as an option).
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip()[:200], token_hash=ApiToken.hash(secret))
    journal.record(
        actor=by,
        action="accounts.api_token_issued",
        message=f"Jeton d'API « {token.name or 'sans nom'} » délivré à {user.email}",
        visibility=Visibility.INTERNAL,
        obj=user,
        data={"token": token.pk},
    )
    return token, secret


@transaction.atomic
def api_tokens_revoke(*, tokens, by: User | None = None) -> int:
    """Revoke the usable tokens among `tokens` (a QuerySet of ApiToken). Returns how many were revoked."""
    now = timezone.now()
    revoked = list(tokens.filter(revoked_at__isnull=True).select_related("user"))
    ApiToken.objects.filter(pk__in=[t.pk for t in revoked], revoked_at__isnull=True).update(revoked_at=now)
    for token in revoked:
        journal.record(
            actor=by,
            action="accounts.api_token_revoked",
            message=f"Jeton d'API « {token.name or 'sans nom'} » de {token.user.email} révoqué",
            visibility=Visibility.INTERNAL,
            obj=token.user,
            data={"token": token.pk},
        )
    return len(revoked)


def api_token_revoke_secret(*, secret: str, by: User | None = None) -> int:
    """Revoke the token with this secret. Returns 1 if it was usable, 0 if unknown or already revoked."""
    return api_tokens_revoke(tokens=ApiToken.objects.filter(token_hash=ApiToken.hash(secret.strip())), by=by)


def api_tokens_revoke_for(*, user: User, by: User | None = None) -> int:
    """Revoke every token of an account. Returns how many were revoked."""
    return api_tokens_revoke(tokens=ApiToken.objects.filter(user=user), by=by)
