"""Access-matrix rows (tests/access.py) for the triage of received mails (#18): Incubator staff only (a community
member gets a 404); a mail is seen through `InboundMail.objects.for_user` (the matrix's mail concerns no request).
Setting one aside is POST-only (a GET is a 405 once past the staff check)."""

from incubateur.guichet.models import InboundMail, InboundMailOutcome
from tests.access import ADMIN, ANON, LOGIN, MEMBER, STAFF, Row, staff_only


def _mail(world, action: str = "") -> str:
    if "held_mail" not in world:
        world["held_mail"] = InboundMail.objects.create(
            sha256="0" * 64,
            source="stdin",
            sender="inconnu@exemple.org",
            subject="Présentation",
            outcome=InboundMailOutcome.HELD,
            reason="reçue par e-mail, expéditeur non vérifié",
            raw=b"From: inconnu@exemple.org\r\nSubject: Presentation\r\n\r\nBonjour.\r\n",
        )
    return f"/guichet/equipe/courriels/{world['held_mail'].pk}/" + (f"{action}/" if action else "")


ROWS: list[Row] = [
    Row("guichet:mail_inbox", staff_only(200)),
    Row("guichet:mail_detail", staff_only(200), url=lambda world: _mail(world)),
    Row("guichet:mail_set_aside", staff_only(302), method="post", url=lambda world: _mail(world, "ecarter")),
    Row(
        "guichet:mail_set_aside",
        {ANON: LOGIN, MEMBER: 404, STAFF: 405, ADMIN: 405},
        url=lambda world: _mail(world, "ecarter"),
    ),
]
