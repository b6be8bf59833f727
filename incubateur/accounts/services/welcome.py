"""The welcome link: a newcomer's first login link, sent when their incubator validates their arrival (#14).

It is a login link (`LoginToken`: single use, only its hash stored, the secret written in at send time by the
worker, never held by the outbox) with a longer life, `WELCOME_LINK_MAX_AGE` (72 h) instead of
`MAGIC_LINK_MAX_AGE` (15 min): a newcomer may read their mail days later. Any link asked for afterwards at
/connexion/ is a normal one. The link opens `WELCOME_LANDING` (a confirmation page: only its POST logs in, so mail
scanners neither use nor burn it), which lands on the newcomer's onboarding checklist.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from incubateur.accounts.models import LoginToken, User
from incubateur.core import journal, notifications
from incubateur.core.models import Notification, Visibility

WELCOME_LINK_KIND = "accounts.welcome_link"
WELCOME_LINK_MASK = "[lien de bienvenue masqué : il est créé au moment de l'envoi]"
# The page the link opens (a URL name with a `secret` argument): the registry's welcome page, which logs in and
# leads to the onboarding checklist. A name, not an import: the registry is a layer above accounts.
WELCOME_LANDING = "registry:welcome"


def welcome_link_send(*, user: User, subject: str, body: str) -> LoginToken:
    """Queue the welcome e-mail to `user` (an active account): `body` holds `WELCOME_LINK_MASK` where the link goes.

    Runs in the caller's transaction (the decision that activates the account). The account's unused links end
    (the newest works, as for login links)."""
    if not connection.in_atomic_block:
        raise RuntimeError("welcome_link_send() must run inside the transaction of the change it announces.")
    if WELCOME_LINK_MASK not in body:
        raise ValueError("The welcome e-mail's body must hold WELCOME_LINK_MASK where the link goes.")
    now = timezone.now()
    expires_at = now + timedelta(seconds=settings.WELCOME_LINK_MAX_AGE)
    LoginToken.objects.usable(now).filter(user=user).update(expires_at=now)
    token = LoginToken.objects.create(
        user=user,
        token_hash=LoginToken.hash(secrets.token_urlsafe(32)),  # replaced at send time: nobody knows this one
        created_at=now,
        expires_at=expires_at,
    )
    journal.record(
        actor=None,
        action="accounts.welcome_link_sent",
        message=f"Lien de bienvenue envoyé à {user.email}",
        visibility=Visibility.INTERNAL,
        obj=user,
        data={"token": token.pk},
    )
    [token.notification] = notifications.notify(
        kind=WELCOME_LINK_KIND,
        subject=subject,
        body=body,
        emails=[user.email],
        sensitive=True,
        expires_at=expires_at,
    )
    token.save(update_fields=["notification"])
    return token


def welcome_link_render(notification: Notification) -> str:
    """The welcome e-mail as sent (the worker calls it at each attempt): a fresh secret, its hash stored on the
    token, the link written in place of the mask. Nothing is sent once the link can no longer be used."""
    token = (
        LoginToken.objects.usable()
        .filter(notification=notification, user__email=notification.recipient)
        .only("pk")
        .first()
    )
    if token is None or WELCOME_LINK_MASK not in notification.body:
        raise notifications.Undeliverable("Ce lien de bienvenue n'est plus utilisable.")
    secret = secrets.token_urlsafe(32)
    if not LoginToken.objects.usable().filter(pk=token.pk).update(token_hash=LoginToken.hash(secret)):
        raise notifications.Undeliverable("Ce lien de bienvenue n'est plus utilisable.")
    link = settings.BASE_URL + reverse(WELCOME_LANDING, kwargs={"secret": secret})
    return notification.body.replace(WELCOME_LINK_MASK, link)
