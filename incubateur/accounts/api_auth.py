"""API tokens: `Authorization: Bearer <token>` for /api/v1/, and issuing and revoking them.

A token is shown once, when issued; only its SHA-256 is stored (`ApiToken.hash`). Public operations accept
anonymous requests (`optional_token`): a token then only adds personal fields; an absent header is anonymous, a
header that does not carry a usable token is a 401, never a silent downgrade to anonymous.
"""

import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security.http import HttpBearer

from incubateur.accounts.models import ApiToken, User
from incubateur.core import journal
from incubateur.core.models import Visibility

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


def authenticate(secret: str) -> ApiToken | None:
    """The usable token with this secret (one query), its `last_used_at` refreshed if older than a minute."""
    if not secret:
        return None
    token = ApiToken.objects.usable().select_related("user").filter(token_hash=ApiToken.hash(secret)).first()
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
