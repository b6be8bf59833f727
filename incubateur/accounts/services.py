"""Login by e-mail link ("lien magique").

- the link is valid MAGIC_LINK_MAX_AGE seconds and for one use; only its hash is stored;
- following it shows a confirmation page; only the POST from that page logs in, so mail scanners that
  open links neither burn nor use them;
- requests are rate-limited per address and per IP through the shared cache;
- the answer is the same whether the address is known or not.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import login
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incubateur.accounts.models import LoginToken, User, normalize_email
from incubateur.core import journal, notifications
from incubateur.core.models import Visibility
from incubateur.core.ratelimit import hit


def _login_email_body(*, user: User, link: str, expires_at) -> str:
    local = timezone.localtime(expires_at)
    return (
        "Bonjour,\n\n"
        "Voici votre lien pour vous connecter à la plateforme de l'Incubateur de services numériques :\n\n"
        f"{link}\n\n"
        f"Il est valable jusqu'à {local:%H:%M} (15 minutes) et ne sert qu'une fois.\n\n"
        "Si vous n'avez pas demandé à vous connecter, ignorez ce message : personne ne pourra se connecter "
        "sans ce lien.\n\n"
        "L'Incubateur de services numériques (DINUM)\n"
    )


def login_link_request(*, email: str, ip: str | None) -> bool:
    """Send a login link to `email` if it belongs to an active account.

    Returns False when the rate limit refused the request (the caller answers the same either way).
    """
    email = normalize_email(email)
    per_email, window = settings.LOGIN_RATE_LIMIT_PER_EMAIL
    per_ip, ip_window = settings.LOGIN_RATE_LIMIT_PER_IP
    allowed_ip = hit(f"login-ip:{ip}", limit=per_ip, window=ip_window) if ip else True
    allowed_email = hit(f"login-email:{email}", limit=per_email, window=window)
    if not (allowed_ip and allowed_email):
        return False
    user = User.objects.active().by_email(email).first()
    if user is None:
        return True
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    expires_at = now + timedelta(seconds=settings.MAGIC_LINK_MAX_AGE)
    link = settings.BASE_URL + reverse("accounts:login_confirm", kwargs={"secret": secret})
    with transaction.atomic():
        token = LoginToken.objects.create(
            user=user, token_hash=LoginToken.hash(secret), created_at=now, expires_at=expires_at, requested_from=ip
        )
        journal.record(
            actor=None,
            action="accounts.login_link_sent",
            message=f"Lien de connexion envoyé à {user.email}",
            visibility=Visibility.INTERNAL,
            obj=user,
            data={"token": token.pk, "ip": ip},
        )
        notifications.notify(
            kind="accounts.login_link",
            subject="Votre lien de connexion à l'Incubateur de services numériques",
            body=_login_email_body(user=user, link=link, expires_at=expires_at),
            emails=[user.email],
            sensitive=True,
            expires_at=expires_at,
        )
    return True


def login_token_peek(*, secret: str) -> LoginToken | None:
    """The usable token behind a link, without using it (for the confirmation page)."""
    return LoginToken.objects.usable().select_related("user").filter(token_hash=LoginToken.hash(secret)).first()


@transaction.atomic
def login_with_token(*, request, secret: str) -> User | None:
    """Use a link once and log its user in. Returns None when it is unknown, expired or already used."""
    now = timezone.now()
    token_hash = LoginToken.hash(secret)
    # The conditional UPDATE is the single-use guarantee: of two concurrent POSTs, one updates a row.
    if not LoginToken.objects.usable(now).filter(token_hash=token_hash).update(used_at=now):
        return None
    token = LoginToken.objects.select_related("user").get(token_hash=token_hash)
    user = token.user
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    journal.record(
        actor=user,
        action="accounts.login",
        message=f"Connexion de {user.email} par lien",
        visibility=Visibility.INTERNAL,
        obj=user,
        data={"token": token.pk},
    )
    return user


@transaction.atomic
def logout_record(*, user: User) -> None:
    journal.record(
        actor=user,
        action="accounts.logout",
        message=f"Déconnexion de {user.email}",
        visibility=Visibility.INTERNAL,
        obj=user,
    )
