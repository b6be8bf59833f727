"""Login by e-mail link ("lien magique").

- the link is valid MAGIC_LINK_MAX_AGE seconds and for one use; only its hash is stored;
- following it shows a confirmation page; only the POST from that page logs in, so mail scanners that
  open links neither burn nor use them;
- requests are rate-limited per client IP, and per address from one client, through the shared cache; a new link
  supersedes the unused older ones;
- the answer, and the work done for it, are the same whether the address is known or not.
"""

import secrets
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY, login
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incubateur.accounts.api_auth import api_tokens_revoke_for
from incubateur.accounts.models import LoginToken, User, normalize_email
from incubateur.core import journal, notifications
from incubateur.core.models import Notification, Visibility
from incubateur.core.ratelimit import client_bucket, hit
from incubateur.core.text import date_fr, time_fr

# What the outbox row says in place of the link: the worker writes the link in at send time (`login_link_render`).
LOGIN_LINK_MASK = "[lien de connexion masqué : il est créé au moment de l'envoi]"


def _login_email_body(*, link: str, expires_at) -> str:
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

    The same work whether the address has an account or not (the time of the answer must not tell): a token, a
    journal row, an outbox row and its delivery task are written either way. An unknown address's token has no
    account, so the worker drops its message at send time (`login_link_render` finds no usable token): nothing is
    sent to it.

    The newest link supersedes the account's unused older ones (at most one works). The limits count per client
    address (`ip`) and per e-mail address *from that client*: someone else asking again and again for a person's
    address uses up their own allowance, never the owner's, whose newest link is the one that works.

    Returns False when a rate limit refused the request (the caller answers the same either way).
    """
    email = normalize_email(email)
    client = client_bucket(ip)
    per_email, window = settings.LOGIN_RATE_LIMIT_PER_EMAIL
    per_ip, ip_window = settings.LOGIN_RATE_LIMIT_PER_IP
    allowed_ip = hit(f"login-ip:{client}", limit=per_ip, window=ip_window)
    allowed_email = hit(f"login-email:{email}:{client}", limit=per_email, window=window)
    if not (allowed_ip and allowed_email):
        return False
    user = User.objects.active().by_email(email).first()
    now = timezone.now()
    expires_at = now + timedelta(seconds=settings.MAGIC_LINK_MAX_AGE)
    with transaction.atomic():
        # Superseded: the account's unused links end now (for an unknown address the same UPDATE, on no row).
        LoginToken.objects.usable(now).filter(user=user).update(expires_at=now)
        # The secret is made by the worker at send time (`login_link_render`): until then the token's hash is that
        # of a secret nobody knows, and the outbox row holds the message with the link masked.
        token = LoginToken.objects.create(
            user=user,
            token_hash=LoginToken.hash(secrets.token_urlsafe(32)),
            created_at=now,
            expires_at=expires_at,
            requested_from=ip,
        )
        journal.record(
            actor=None,
            action="accounts.login_link_sent" if user else "accounts.login_link_unknown",
            message=f"Lien de connexion envoyé à {user.email}"
            if user
            else "Lien de connexion demandé pour une adresse sans compte actif (rien n'est envoyé)",
            visibility=Visibility.INTERNAL,
            obj=user,
            data={"token": token.pk, "ip": ip},
        )
        [token.notification] = notifications.notify(
            kind="accounts.login_link",
            subject="Votre lien de connexion à l'Incubateur de services numériques",
            body=_login_email_body(link=LOGIN_LINK_MASK, expires_at=expires_at),
            emails=[email],
            sensitive=True,
            expires_at=expires_at,
        )
        token.save(update_fields=["notification"])
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


# --- Login links: the link is written in at send time ----------------------------------------------------------


def login_link_render(notification: Notification) -> str:
    """The e-mail of a login link as sent: the worker calls it at each attempt (`notifications.register_renderer`).

    It makes a fresh secret, stores its hash on the token and writes the link in place of `LOGIN_LINK_MASK`; the
    outbox row keeps the masked text, so no page (the admin's included) can show a usable link. Nothing is sent
    when the token can no longer be used (used, expired, superseded) or when the account's address is no longer
    the one the row was written to (`change_email` happened since).
    """
    token = (
        LoginToken.objects.usable()
        .select_related("user")
        .filter(notification=notification, user__email=notification.recipient)
        .first()
    )
    if token is None or LOGIN_LINK_MASK not in notification.body:
        raise notifications.Undeliverable("Ce lien de connexion n'est plus utilisable.")
    secret = secrets.token_urlsafe(32)
    # Conditional: a token used or ended meanwhile keeps its state, and nothing is sent.
    if not LoginToken.objects.usable().filter(pk=token.pk).update(token_hash=LoginToken.hash(secret)):
        raise notifications.Undeliverable("Ce lien de connexion n'est plus utilisable.")
    link = settings.BASE_URL + reverse("accounts:login_confirm", kwargs={"secret": secret})
    return notification.body.replace(LOGIN_LINK_MASK, link)


# --- Changing an account's address -----------------------------------------------------------------------------


def sessions_end(*, user: User) -> int:
    """Delete every session of `user` (database sessions: each live one is decoded once, in chunks). Returns how
    many were ended. Engines without a table (cache-only, signed cookies) have nothing to list: 0."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return 0
    reader = store()
    wanted = str(user.pk)
    keys = [
        key
        for key, data in store.get_model_class()
        .objects.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
        .iterator(chunk_size=2000)
        if str(reader.decode(data).get(SESSION_KEY)) == wanted
    ]
    store.get_model_class().objects.filter(session_key__in=keys).delete()
    if hasattr(store, "cache_key_prefix"):  # `cached_db`: its cached copies too
        caches[settings.SESSION_CACHE_ALIAS].delete_many([store.cache_key_prefix + key for key in keys])
    return len(keys)


def _email_changed_body(*, user: User, old: str, new: str, at, by: User | None, to_old: bool) -> str:
    who = "" if by is None or by.pk == user.pk else f" par {by.display_name}"
    opening = (
        f"L'adresse e-mail de votre compte sur la plateforme de l'Incubateur de services numériques a été changée "
        f"le {date_fr(at)} à {time_fr(at)}{who} : ce n'est plus {old}, c'est désormais {new}.\n\n"
        if to_old
        else f"Votre compte sur la plateforme de l'Incubateur de services numériques a désormais cette adresse "
        f"({new}) depuis le {date_fr(at)} à {time_fr(at)}{who} ; c'était {old}.\n\n"
    )
    return (
        "Bonjour,\n\n"
        + opening
        + "Par précaution, toutes les sessions ouvertes avec ce compte ont été fermées et ses jetons d'API révoqués ; "
        "les liens de connexion envoyés à l'ancienne adresse ne sont plus valables.\n\n"
        "Si vous n'êtes pas à l'origine de ce changement, signalez-le sans attendre à l'équipe de l'Incubateur : "
        "les demandes confidentielles lues depuis ce compte le montrent à la personne qui les a faites.\n\n"
        "L'Incubateur de services numériques (DINUM)\n"
    )


@transaction.atomic
def change_email(*, user: User, new_email: str, by: User | None) -> User:
    """Give `user` a new address: the only way an account's address changes (the admin's form calls it).

    Journaled; e-mailed to the old and the new address; every session of the account ends, its API tokens are
    revoked and its unused login links stop working; `email_changed_at` is recorded, so that a read of a
    confidential request near that moment is flagged to its requester. The same address again changes nothing.
    """
    new = normalize_email(new_email)
    try:
        validate_email(new)
    except ValidationError as error:
        raise ValidationError({"email": error.messages}) from error
    old = User.objects.select_for_update().values_list("email", flat=True).get(pk=user.pk)
    if new == old:
        return user
    if User.objects.by_email(new).exclude(pk=user.pk).exists():
        raise ValidationError({"email": "Un autre compte a déjà cette adresse e-mail."})
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(email=new, email_changed_at=now)
    user.email, user.email_changed_at = new, now
    links = LoginToken.objects.usable(now).filter(user=user).update(expires_at=now)
    api_tokens = api_tokens_revoke_for(user=user, by=by)
    sessions = sessions_end(user=user)
    journal.record(
        actor=by,
        action="accounts.email_changed",
        message=f"Adresse du compte {user.display_name} changée de {old} à {new}",
        visibility=Visibility.INTERNAL,
        obj=user,
        data={"from": old, "to": new, "sessions": sessions, "api_tokens": api_tokens, "login_links": links},
    )
    subject = "L'adresse e-mail de votre compte à l'Incubateur de services numériques a changé"
    for address, to_old in ((old, True), (new, False)):
        notifications.notify(
            kind="accounts.email_changed",
            subject=subject,
            body=_email_changed_body(user=user, old=old, new=new, at=now, by=by, to_old=to_old),
            emails=[address],
        )
    return user
