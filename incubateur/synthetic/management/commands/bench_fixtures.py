"""`manage.py bench_fixtures VIEWER [--static VIEW FILE]`, run by `make bench` on each of its databases: what the
measured requests need. Prints one JSON line: an API token and a session cookie for VIEWER (a member of the
Incubator), a session cookie for a community member who is not staff (« Mon espace »), the request the P5 page
shows, an attachment on it (created once, through the guichet's attachment service), the first synthetic product,
a product whose id holds a dot (the v3 file), the number of requests, and (--static) the bytes of VIEW written under
STATIC_ROOT as FILE, so that the same bytes can be served as a static file (P4)."""

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from incubateur.accounts.api_auth import api_token_issue
from incubateur.core.roles import is_staff
from incubateur.guichet.models import Attachment, Message, Ticket
from incubateur.guichet.services.attachments import attachments_add
from incubateur.registry.models import Member, Product
from incubateur.synthetic.generator import GHID_PREFIX


class Command(BaseCommand):
    help = "Pour make bench : jeton, session et cibles des mesures, en une ligne JSON."

    def add_arguments(self, parser):
        parser.add_argument("viewer", help="Identifiant du compte qui lit (un membre de l'Incubateur).")
        parser.add_argument("--static", nargs=2, metavar=("VUE", "FICHIER"), help="Copier la réponse de VUE.")

    def handle(self, *args, viewer: str, static: list[str] | None, **options):
        try:
            user = get_user_model().objects.get(username=viewer)
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"Compte introuvable : {viewer}") from error
        _, token = api_token_issue(user=user, name="make bench")
        # A request as staff handle most: not confidential, about a product, with a thread (the same choice at
        # any size).
        ticket = (
            Ticket.objects.filter(confidential=False, team_owned=False, product__isnull=False, assignee__isnull=False)
            .filter(pk__in=Message.objects.filter(internal=False).values("ticket"))
            .order_by("pk")
            .first()
        )
        product = Product.objects.filter(ghid__startswith=GHID_PREFIX).order_by("pk").first()
        dotted = Product.objects.filter(ghid__contains=".").order_by("ghid").first() or product
        member = community_member()
        figures = {
            "token": token,
            "cookie": f"{settings.SESSION_COOKIE_NAME}={session_key(user)}",
            "member_cookie": f"{settings.SESSION_COOKIE_NAME}={session_key(member)}" if member else None,
            "ticket": ticket.reference if ticket else None,
            "attachment": bench_attachment(ticket, user) if ticket else None,
            "product": product.ghid if product else None,
            "dotted_product": dotted.ghid if dotted else None,
            "requests": Ticket.objects.count(),
            "static": copy_as_static(*static) if static else None,
        }
        self.stdout.write(json.dumps(figures))


def session_key(user) -> str:
    """A session of `user`, as the login view would have saved it."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def community_member():
    """The first member of the community with an account who is not staff (the same choice at any size)."""
    for member in Member.objects.filter(user__isnull=False).select_related("user").order_by("pk")[:200]:
        if member.user.is_active and not is_staff(member.user):
            return member.user
    return None


def bench_attachment(ticket: Ticket, by) -> int:
    """An attachment on `ticket`, added once through the guichet's service (the same one on every run)."""
    existing = Attachment.objects.filter(ticket=ticket, name="mesure.txt").order_by("pk").first()
    if existing is None:
        content = b"Piece jointe de mesure (make bench).\n" * 200
        existing = attachments_add(ticket=ticket, files=[("mesure.txt", "text/plain", content)], by=by)[0]
    return existing.pk


def copy_as_static(view: str, name: str) -> dict:
    response = Client(HTTP_HOST="127.0.0.1").get(view)
    target = Path(settings.STATIC_ROOT) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(response.content)
    return {"status": response.status_code, "bytes": len(response.content), "url": settings.STATIC_URL + name}
