"""Access-matrix rows (tests/access.py) for this part of the project: the download of an attachment
(`guichet:attachment`), scoped like its request (tests/guichet/test_attachments.py checks every case with the people
of a real request: requester, teammate, participant, internal note).

The matrix's community member asked nothing: another member's attachment is a 404 for them; Incubator staff and
administrators download the attachments of any request that is not confidential, a confidential one's nobody of the
matrix (only its requester and participants). The rows that answer 200 ask with HEAD: the file's headers, without
opening it (a GET's streamed file is read by test_attachments.py)."""

from incubateur.guichet import services
from tests.access import ADMIN, ANON, LOGIN, MEMBER, STAFF, Row
from tests.factories import UserFactory

PDF = b"%PDF-1.4\n%%EOF\n"


def _attachment(world: dict, *, confidential: bool = False, note: bool = False):
    """An attachment on another member's request (on an internal note of it with `note`), made on first use."""
    key = f"guichet_attachment_{'confidential' if confidential else 'note' if note else 'request'}"
    if key not in world:
        requester = UserFactory(username=f"pj.{key.rsplit('_', 1)[-1]}")
        files = [("piece.pdf", "application/pdf", PDF)]
        if confidential:
            ticket = services.ticket_submit(
                requester=requester,
                kind="mal-etre",
                subject="Sujet confidentiel",
                body="…",
                recipient=world["position"].person,
                attachments=files,
            )
            world[key] = ticket.attachments.get()
        elif note:
            ticket = services.ticket_submit(requester=requester, kind="autre", subject="Une question", body="…")
            message = services.ticket_reply(
                ticket=ticket, author=world["position"].person, body="Note", internal=True, attachments=files
            )
            world[key] = message.attachments.get()
        else:
            ticket = services.ticket_submit(
                requester=requester, kind="autre", subject="Une question", body="…", attachments=files
            )
            world[key] = ticket.attachments.get()
    return world[key]


def _url(**kind):
    return lambda world: f"/guichet/pieces-jointes/{_attachment(world, **kind).pk}/"


ROWS: list[Row] = [
    Row("guichet:attachment", {ANON: LOGIN, MEMBER: 404, STAFF: 200, ADMIN: 200}, method="head", url=_url()),
    Row("guichet:attachment", {ANON: LOGIN, MEMBER: 404, STAFF: 404, ADMIN: 404}, url=_url(confidential=True)),
    # An internal note's file: staff who may read the request's notes (here, any staff: it is not confidential).
    Row("guichet:attachment", {ANON: LOGIN, MEMBER: 404, STAFF: 200, ADMIN: 200}, method="head", url=_url(note=True)),
    Row(
        "guichet:attachment",
        {ANON: LOGIN, MEMBER: 404, STAFF: 404, ADMIN: 404},
        url=lambda world: "/guichet/pieces-jointes/999999/",
    ),
    Row("guichet:attachment", {ANON: LOGIN, MEMBER: 405, STAFF: 405, ADMIN: 405}, method="post", url=_url()),
]
