"""Logging in with ProConnect (#15): which account a verified identity is, the journal, the rate limit.

- The account is found by its stored ProConnect `sub` first; else, at a first ProConnect login, by its e-mail
  address (compared without case; the platform keeps one address per account: there are no secondary addresses to
  try), and the `sub` is then stored. An account found by address whose stored `sub` differs gets the new one, and
  the journal says so: the person is never blocked (ProConnect's identifiers have changed before).
- No account is ever created: an identity without one, or with an account that is not active (a newcomer waiting
  for validation), is refused with `ProConnectRefused` after its journal row is written.
- The account's own address is not changed by a ProConnect login (that is `change_email`'s job): the address
  ProConnect gave is in the journal row.
- Rate limit: the same per-client allowance as the e-mail link (`LOGIN_RATE_LIMIT_PER_IP`), counted when the
  button is pressed.
"""

from django.conf import settings
from django.contrib.auth import login
from django.db import transaction

from incubateur.accounts.models import User, normalize_email
from incubateur.accounts.proconnect import SESSION_ID_TOKEN, Identity
from incubateur.core import journal
from incubateur.core.models import Visibility
from incubateur.core.ratelimit import client_bucket, hit


class ProConnectRefused(Exception):
    """A verified identity that may not log in. `reason`: "unknown" (no account has its address) or "inactive"."""

    def __init__(self, reason: str, *, email: str):
        super().__init__(reason)
        self.reason = reason
        self.email = email


def proconnect_start_allowed(*, ip: str | None) -> bool:
    """Count one press of the ProConnect button from this client; False once over the e-mail link's allowance."""
    limit, window = settings.LOGIN_RATE_LIMIT_PER_IP
    return hit(f"proconnect-ip:{client_bucket(ip)}", limit=limit, window=window)


def proconnect_login(*, request, identity: Identity, ip: str | None) -> User:
    """Log in the account of a verified ProConnect identity, or raise `ProConnectRefused`."""
    with transaction.atomic():
        user, refusal = _match(identity=identity, ip=ip)
        if refusal is None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            # After login(): it starts a new session when another account was logged in.
            request.session[SESSION_ID_TOKEN] = identity.id_token
            journal.record(
                actor=user,
                action="accounts.login",
                message=f"Connexion de {user.email} par ProConnect",
                visibility=Visibility.INTERNAL,
                obj=user,
                data={"method": "proconnect", "acr": identity.acr, "siret": identity.siret, "ip": ip},
            )
    if refusal is not None:
        raise ProConnectRefused(refusal, email=identity.email)
    return user


def _match(*, identity: Identity, ip: str | None) -> tuple[User | None, str | None]:
    """The account and None, or None/the account and the reason of a refusal (journaled here)."""
    email = normalize_email(identity.email)
    user = User.objects.select_for_update().filter(proconnect_sub=identity.sub).first()
    if user is None:
        user = User.objects.select_for_update().by_email(email).first()
        if user is not None:
            previous = user.proconnect_sub
            User.objects.filter(pk=user.pk).update(proconnect_sub=identity.sub)
            user.proconnect_sub = identity.sub
            journal.record(
                actor=None,
                action="accounts.proconnect_sub_changed" if previous else "accounts.proconnect_linked",
                message=(
                    f"Identifiant ProConnect du compte {user.email} changé (il en avait un autre)"
                    if previous
                    else f"Compte {user.email} relié à son identité ProConnect"
                ),
                visibility=Visibility.INTERNAL,
                obj=user,
                data={"from": previous, "to": identity.sub} if previous else {"sub": identity.sub},
            )
    if user is None:
        journal.record(
            actor=None,
            action="accounts.proconnect_unknown",
            # As for a login link asked for an unknown address: the address is not kept.
            message="Connexion ProConnect refusée : aucun compte n'a cette adresse",
            visibility=Visibility.INTERNAL,
            data={"ip": ip},
        )
        return None, "unknown"
    if not user.is_active:
        journal.record(
            actor=None,
            action="accounts.proconnect_inactive",
            message=f"Connexion ProConnect refusée : le compte {user.email} n'est pas actif",
            visibility=Visibility.INTERNAL,
            obj=user,
            data={"ip": ip},
        )
        return user, "inactive"
    if normalize_email(user.email) != email:
        # Found by `sub`, with another address at ProConnect (a changed address): said in the login's row.
        journal.record(
            actor=None,
            action="accounts.proconnect_email_differs",
            message=f"Le compte {user.email} s'est connecté par ProConnect avec une autre adresse",
            visibility=Visibility.INTERNAL,
            obj=user,
            data={"proconnect_email": email},
        )
    return user, None


@transaction.atomic
def proconnect_failed(*, reason: str, ip: str | None) -> None:
    """A ProConnect return refused by a check (signature, nonce, expiry…): a journal row for the team."""
    journal.record(
        actor=None,
        action="accounts.proconnect_failed",
        message=f"Connexion ProConnect refusée ({reason})",
        visibility=Visibility.INTERNAL,
        data={"reason": reason, "ip": ip},
    )
