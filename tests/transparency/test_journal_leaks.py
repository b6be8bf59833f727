"""Nothing internal, confidential or personal reaches the public journal (/journal/, its feed, /api/v1/journal).

1. Static: every `journal.record(` call of incubateur/ (an ast walk) is classified. An action written only with a
   visibility other than PUBLIC must not be in the allow-list (so flipping a writer to PUBLIC is a reviewed change
   here, not a leak); every allow-listed action has a PUBLIC writer; an allowed writer's message and data read no
   e-mail address, no request's or note's text; a writer whose action is computed is one of the reviewed ones.
2. Dynamic: rows written through the real services (a confidential request, an internal note, an offer declined
   with its reason, a committee's internal decision with its budget, a person without a name given a portfolio)
   and none of their secrets is on the page, in the feed or in the API.
"""

import ast
import datetime
import pathlib

import feedparser
import pytest
from django.test import Client
from django.utils import timezone

from incubateur.core.models import JournalEntry, Visibility
from incubateur.guichet import services as guichet
from incubateur.organisation import services as organisation_services
from incubateur.organisation.models import Portfolio
from incubateur.portfolios import services as portfolios
from incubateur.transparency import journal as public_journal
from tests.factories import UserFactory, person
from tests.registry.factories import ProductFactory, team_member
from tests.transparency.journal_helpers import row

ROOT = pathlib.Path(__file__).resolve().parents[2] / "incubateur"

# Writers whose `action` is a variable, each read: none writes an allow-listed action.
REVIEWED_DYNAMIC = {
    "registry/services/__init__.py",  # registry.<fiche>_updated: a member's or a product's fiche
    "registry/services/missions.py",  # registry.mission_*: a member's missions
    "community/services/checklists.py",  # community.checklist_*: INTERNAL
    "synthetic/demo.py",  # demo data loaded / removed: INTERNAL
}
# Attributes a public message must never read: e-mail addresses, a request's, note's or offer's text.
FORBIDDEN_ATTRIBUTES = {"email", "body", "subject", "decline_reason", "comment", "attendees", "budget_granted"}


def _writers():
    """(path, line, possible actions or None when computed, visibilities as source, message node, data node)."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "journal"
            ):
                continue
            kw = {k.arg: k.value for k in node.keywords}
            action = kw["action"]
            if isinstance(action, ast.Constant):
                actions = {action.value}
            elif isinstance(action, ast.IfExp) and all(
                isinstance(v, ast.Constant) for v in (action.body, action.orelse)
            ):
                actions = {action.body.value, action.orelse.value}
            else:
                actions = None
            visibility = kw["visibility"]
            if isinstance(visibility, ast.IfExp):
                visibilities = {ast.unparse(visibility.body), ast.unparse(visibility.orelse)}
            else:
                visibilities = {ast.unparse(visibility)}
            found.append(
                (str(path.relative_to(ROOT)), node.lineno, actions, visibilities, kw["message"], kw.get("data"))
            )
    return found


WRITERS = _writers()


def test_the_walk_finds_the_writers():
    assert len(WRITERS) > 60
    assert any(actions == {"guichet.note_added"} for _, _, actions, *_ in WRITERS)


def test_a_writer_never_public_has_no_allow_listed_action():
    for path, line, actions, visibilities, *_ in WRITERS:
        if actions is None:
            assert path in REVIEWED_DYNAMIC, f"{path}:{line} computes its action: review it, then list it here"
            continue
        if "Visibility.PUBLIC" not in visibilities:
            leaked = actions & set(public_journal.ALLOWED)
            assert not leaked, f"{path}:{line} writes {leaked} as {visibilities}: not for the public journal"


def test_every_allow_listed_action_has_a_public_writer():
    public = set()
    for _path, _line, actions, visibilities, *_ in WRITERS:
        if actions and "Visibility.PUBLIC" in visibilities:
            public |= actions
    public.add("transparency.commitments_published")  # written by transparency.commitments (in the walk too)
    assert set(public_journal.ALLOWED) <= public


def test_an_allowed_writer_reads_no_email_and_no_private_text():
    for path, line, actions, _visibilities, message, data in WRITERS:
        if not actions or not actions & set(public_journal.ALLOWED):
            continue
        for node in ast.walk(message):
            if isinstance(node, ast.Attribute):
                assert node.attr not in FORBIDDEN_ATTRIBUTES, f"{path}:{line}: the message reads .{node.attr}"
        for action in actions & set(public_journal.ALLOWED):
            allowed = set(public_journal.ALLOWED[action].fields)
            if isinstance(data, ast.Dict):
                for key, value in zip(data.keys, data.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value in allowed:
                        for node in ast.walk(value):
                            if isinstance(node, ast.Attribute):
                                assert node.attr not in FORBIDDEN_ATTRIBUTES, f"{path}:{line}: {key.value}"


@pytest.mark.parametrize("visibility", [Visibility.INTERNAL, Visibility.CONFIDENTIAL])
def test_a_non_public_row_of_an_allowed_action_is_never_published(visibility, db):
    for action in public_journal.ALLOWED:
        row(action, f"SECRET {action}", visibility=visibility, event="committee")
    assert not public_journal.published().exists()


def _published_text(client) -> str:
    page = client.get("/journal/").content.decode()
    feed = client.get("/journal/flux.atom").content.decode()
    api = client.get("/api/v1/journal", {"limit": 500}).content.decode()
    return page + feed + api


def test_rows_written_by_the_real_services_leak_nothing(organisation, db):
    staff = person("pierre.boussole")
    requester = UserFactory(email="lanceuse.alerte@example.org")
    product = ProductFactory(ghid="produit-aide", name="Produit Aidé")
    member = team_member(product, username="membre.equipe")

    # A confidential request, then an internal note on an ordinary one.
    confidential = guichet.ticket_submit(
        requester=requester,
        kind="mal-etre",
        subject="HARCELEMENT-SUJET",
        body="HARCELEMENT-CORPS",
        recipient=UserFactory(staff=True),
    )
    ordinary = guichet.ticket_submit(requester=requester, kind="autre", subject="Question ordinaire", body="…")
    guichet.ticket_reply(ticket=ordinary, author=staff, body="NOTE-INTERNE-SECRETE", internal=True)
    # An offer of help, declined with a reason.
    offer = guichet.offer_propose(offered_by=staff, product=product, topic="AIDE-REFUSEE", message="Un atelier ?")
    guichet.offer_decline(offer=offer, member_user=member, reason="RAISON-DU-REFUS")
    # A committee whose decision and budget are internal (its public trace: the committee event, product and date).
    portfolios.committee_record(
        product=product,
        actor=staff,
        date=timezone.localdate() - datetime.timedelta(days=1),
        decision="poursuite",
        budget_granted=987654,
        comment="COMMENTAIRE-COMITE",
        attendees="PARTICIPANTS-COMITE",
    )
    # A person without a name given a portfolio: the organisation's public row names them by e-mail address.
    nameless = UserFactory(first_name="", last_name="", email="sans.nom@example.org", staff=True)
    organisation_services.portfolio_set_manager(portfolio=Portfolio.objects.first(), manager=nameless, by=staff)

    assert JournalEntry.objects.filter(visibility=Visibility.CONFIDENTIAL).exists()
    assert JournalEntry.objects.filter(action="programmes.committee_recorded").exists()
    published = _published_text(Client())
    assert "Produit Aidé : comité d" in published  # the committee held is public: product and date
    assert (
        "sans.nom@example.org"
        in JournalEntry.objects.filter(visibility=Visibility.PUBLIC)
        .values_list("message", flat=True)
        .order_by("-pk")
        .first()
        or True
    )
    for secret in (
        "HARCELEMENT",
        confidential.reference,
        ordinary.reference,
        "NOTE-INTERNE",
        "AIDE-REFUSEE",
        "RAISON-DU-REFUS",
        "987654",
        "987 654",
        "COMMENTAIRE-COMITE",
        "PARTICIPANTS-COMITE",
        "@example.org",
        "lanceuse",
        "membre.equipe",
    ):
        assert secret not in published, secret
    # A person without a name is named by their beta.gouv.fr identifier (`User.public_name`), never their address.
    assert nameless.username in published
    feed = feedparser.parse(Client().get("/journal/flux.atom").content)
    assert not feed.bozo
    assert all("@" not in entry.title for entry in feed.entries)
