"""Offers of help through the pages: staff propose, the product's active team accepts or declines, nothing
happens before it says yes, and nobody else can say it for the team."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incubateur.core.models import JournalEntry, Notification
from incubateur.guichet import services
from incubateur.guichet.models import Offer, OfferStatus, Participant, Ticket
from tests.factories import UserFactory, person
from tests.guichet.factories import propose
from tests.registry.factories import ProductFactory, team_member

OFFERS = "/guichet/offres/"
NEW = "/guichet/equipe/offres/nouvelle/"
INLINE = r"</?(?:a|strong|em|span|b|abbr|code)(?:\s[^>]*)?>"


def words(response) -> str:
    html = response.content.decode()
    html = html[html.index("<main") : html.index("</main>")]
    html = re.sub(r"<[^>]+>", " ", re.sub(INLINE, "", html))
    return " ".join(unescape(html).split())


def field_error(response, field: str) -> str:
    html = response.content.decode()
    assert f'id="id_{field}-desc-error"' in html, f"no error on {field}"
    start = html.index(f'id="id_{field}-desc-error"')
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html[start : html.index("</div>", start)])).split()[1:])


def listed(response) -> list[int]:
    """The offers listed in the table, in order (by the link to each offer)."""
    html = response.content.decode()
    if "<tbody>" not in html:
        return []
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return list(dict.fromkeys(int(pk) for pk in re.findall(r'href="/guichet/offres/(\d+)/"', body)))


def offer_url(offer, action: str = "") -> str:
    return f"/guichet/offres/{offer.pk}/" + (f"{action}/" if action else "")


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def helper(cast):
    """The member of staff who offers help: Odilon Bastide, of the Pôle Accélération."""
    return person("odilon.bastide")


# --- The consent flow -----------------------------------------------------------------------------------------


def test_an_offer_does_nothing_until_the_team_accepts(client, cast, helper):
    seen_before = set(Ticket.objects.for_user(helper).values_list("pk", flat=True))
    as_user(client, helper)
    form = client.get(NEW, {"produit": "justice-pour-tous"})
    assert form.status_code == 200
    assert "Proposer de l'aide à une équipe : Justice pour tous" in words(form)
    assert 'value="justice-pour-tous"' in form.content.decode()
    response = client.post(
        NEW,
        {"product": "justice-pour-tous", "topic": "Préparer le comité", "message": "Je peux relire votre dossier."},
    )
    offer = Offer.objects.get()
    assert response.status_code == 302 and response["Location"] == offer_url(offer)
    assert (offer.product, offer.offered_by, offer.status) == (cast.product, helper, OfferStatus.PENDING)

    # Nothing else happened: no request, no participation, no access, only the team is told.
    assert Ticket.objects.count() == 0
    assert Participant.objects.count() == 0
    assert set(Ticket.objects.for_user(helper).values_list("pk", flat=True)) == seen_before
    notifications = list(Notification.objects.all())
    assert {n.kind for n in notifications} == {"guichet.offer_proposed"}
    assert {n.recipient for n in notifications} == {cast.requester.email, cast.teammate.email}
    assert "Rien ne se passera sans votre accord" in notifications[0].body
    assert JournalEntry.objects.filter(action="guichet.offer_proposed").count() == 1

    # The person who offered sees the offer, but cannot accept it on the team's behalf.
    page = client.get(offer_url(offer))
    assert page.status_code == 200
    assert "L'équipe du produit n'a pas encore répondu. Rien ne se passe sans son accord." in words(page)
    assert "Accepter l'aide" not in words(page)
    for user in (helper, cast.assignee, cast.admin):
        as_user(client, user)
        assert client.post(offer_url(offer, "accepter")).status_code == 404
        assert client.post(offer_url(offer, "refuser"), {"reason": "Non."}).status_code == 404
    # A member of another product does not even see it.
    outsider = team_member(ProductFactory(ghid="autre-produit"), username="claude.ailleurs")
    for user in (outsider, cast.other_member):
        as_user(client, user)
        assert client.get(offer_url(offer)).status_code == 404
        assert client.post(offer_url(offer, "accepter")).status_code == 404
        assert client.post(offer_url(offer, "refuser")).status_code == 404
        assert offer.pk not in listed(client.get(OFFERS))
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING
    assert Ticket.objects.count() == 0
    assert {n.kind for n in Notification.objects.all()} == {"guichet.offer_proposed"}

    # A member of the team accepts, and says so knowingly.
    as_user(client, cast.teammate)
    page = client.get(offer_url(offer))
    text = words(page)
    assert (
        "Une demande suivie par toute l'équipe de Justice pour tous sera ouverte, attribuée à Odilon Bastide." in text
    )
    assert "Refuser n'a aucune conséquence pour votre équipe." in text
    response = client.post(offer_url(offer, "accepter"))
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/guichet/demandes/{ticket.reference}/"
    assert (ticket.team_owned, ticket.assignee, ticket.product) == (True, helper, cast.product)
    offer.refresh_from_db()
    assert (offer.status, offer.decided_by, offer.ticket) == (OfferStatus.ACCEPTED, cast.teammate, ticket)
    assert JournalEntry.objects.filter(action="guichet.offer_accepted", actor=cast.teammate).exists()
    # The whole team follows the request; the offer page links to it.
    assert Ticket.objects.for_user(cast.requester).filter(pk=ticket.pk).exists()
    assert f'href="/guichet/demandes/{ticket.reference}/"' in client.get(offer_url(offer)).content.decode()

    # A second decision (a double click, a teammate at the same time) changes nothing and says why.
    response = as_user(client, cast.requester).post(offer_url(offer, "accepter"), follow=True)
    assert "Cette offre a déjà été acceptée." in words(response)
    assert Ticket.objects.count() == 1


def test_declining_with_a_reason(client, cast, helper):
    offer = propose(helper, cast.product)
    as_user(client, cast.requester)
    response = client.post(offer_url(offer, "refuser"), {"reason": "Nous avons déjà de l'aide."}, follow=True)
    assert "Vous avez refusé l'aide proposée." in words(response)
    offer.refresh_from_db()
    assert (offer.status, offer.decided_by, offer.decline_reason) == (
        OfferStatus.DECLINED,
        cast.requester,
        "Nous avons déjà de l'aide.",
    )
    assert Ticket.objects.count() == 0
    told = Notification.objects.get(kind="guichet.offer_declined")
    assert told.recipient == helper.email and "Nous avons déjà de l'aide." in told.body
    page = words(as_user(client, helper).get(offer_url(offer)))
    assert "Refusée par" in page and "Raison du refus Nous avons déjà de l'aide." in page
    # Declined is final: accepting afterwards is refused with a message.
    response = as_user(client, cast.teammate).post(offer_url(offer, "accepter"), follow=True)
    assert "Cette offre a déjà été refusée." in words(response)
    assert Ticket.objects.count() == 0


def test_declining_without_a_reason_from_the_list(client, cast, helper):
    offer = propose(helper, cast.product)
    as_user(client, cast.requester)
    listing = client.get(OFFERS)
    assert f'action="/guichet/offres/{offer.pk}/refuser/"' in listing.content.decode()
    assert f'action="/guichet/offres/{offer.pk}/accepter/"' in listing.content.decode()
    client.post(offer_url(offer, "refuser"))
    offer.refresh_from_db()
    assert (offer.status, offer.decline_reason) == (OfferStatus.DECLINED, "")


def test_a_too_long_reason_is_refused_without_deciding(client, cast, helper):
    offer = propose(helper, cast.product)
    response = as_user(client, cast.requester).post(offer_url(offer, "refuser"), {"reason": "x" * 2001}, follow=True)
    assert "Raison : Assurez-vous que cette valeur comporte au plus 2000 caractères" in words(response)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING


def test_withdrawing_an_offer_after_confirmation(client, cast, helper):
    offer = propose(helper, cast.product)
    as_user(client, helper)
    page = client.get(offer_url(offer))
    assert 'href="?retirer=1#retirer"' in page.content.decode()
    assert f'action="/guichet/offres/{offer.pk}/retirer/"' not in page.content.decode()
    confirm = client.get(offer_url(offer), {"retirer": "1"})
    assert "Voulez-vous vraiment la retirer ?" in words(confirm)
    assert f'action="/guichet/offres/{offer.pk}/retirer/"' in confirm.content.decode()
    # Only its author withdraws it.
    for user in (cast.assignee, cast.requester):
        assert as_user(client, user).post(offer_url(offer, "retirer")).status_code == 404
    response = as_user(client, helper).post(offer_url(offer, "retirer"), follow=True)
    assert "Votre offre d'aide est retirée." in words(response)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    assert JournalEntry.objects.filter(action="guichet.offer_withdrawn", actor=helper).exists()
    # A withdrawn offer can no longer be accepted.
    response = as_user(client, cast.requester).post(offer_url(offer, "accepter"), follow=True)
    assert "Cette offre a déjà été retirée." in words(response)
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("action", ["accepter", "refuser", "retirer"])
def test_decisions_are_post_only(client, cast, helper, action):
    offer = propose(helper, cast.product)
    assert as_user(client, cast.requester).get(offer_url(offer, action)).status_code == 405
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING


# --- The lists ------------------------------------------------------------------------------------------------


def test_a_member_sees_the_offers_to_their_teams_pending_first(client, cast, helper):
    declined = propose(helper, cast.product, topic="Ancienne offre")
    services.offer_decline(offer=declined, member_user=cast.requester)
    pending = propose(cast.assignee, cast.product, topic="Nouvelle offre")
    elsewhere = propose(helper, ProductFactory(ghid="ailleurs"), topic="Pour un autre produit")
    response = as_user(client, cast.teammate).get(OFFERS)
    assert response.status_code == 200
    assert listed(response) == [pending.pk, declined.pk]
    assert elsewhere.pk not in listed(response)
    assert "Proposer de l'aide" not in words(response)
    text = words(response)
    assert "2 offres" in text
    assert "Justice pour tous Nouvelle offre Pierre Boussole" in text
    # Filter by status.
    assert listed(client.get(OFFERS, {"statut": "refusee"})) == [declined.pk]


def test_a_member_without_offers_sees_an_empty_state(client, cast):
    response = as_user(client, cast.other_member).get(OFFERS)
    assert response.status_code == 200
    assert "Aucune offre d'aide n'a été faite aux produits dont vous faites partie." in words(response)


def test_staff_see_the_offers_they_made_and_may_see_all(client, cast, helper):
    mine = propose(helper, cast.product, topic="La mienne")
    theirs = propose(cast.assignee, ProductFactory(ghid="ailleurs"), topic="La sienne")
    as_user(client, helper)
    response = client.get(OFFERS)
    assert listed(response) == [mine.pk]
    assert 'aria-current="page">Offres que j\'ai faites</a>' in unescape(response.content.decode())
    assert 'href="/guichet/equipe/offres/nouvelle/"' in response.content.decode()
    assert "Offres faites à mes équipes" not in words(response)  # Odilon is in no product team
    assert listed(client.get(OFFERS, {"vue": "toutes"})) == [theirs.pk, mine.pk]
    # No accept button for them, even on the pending offers of others.
    assert "/accepter/" not in client.get(OFFERS, {"vue": "toutes"}).content.decode()
    empty = as_user(client, cast.other_staff).get(OFFERS)
    assert "Vous n'avez encore proposé d'aide à aucune équipe." in words(empty)


def test_a_staff_member_in_a_product_team_decides_for_that_team(client, cast, helper):
    staff_member = team_member(cast.product, username="sacha.double", is_incubator_staff=True)
    offer = propose(helper, cast.product)
    as_user(client, staff_member)
    response = client.get(OFFERS, {"vue": "mes-equipes"})
    assert listed(response) == [offer.pk]
    assert f'action="/guichet/offres/{offer.pk}/accepter/"' in response.content.decode()
    assert client.post(offer_url(offer, "accepter")).status_code == 302


@pytest.mark.parametrize(("user", "params"), [("teammate", {}), ("helper", {"vue": "toutes"})])
def test_the_offers_list_query_count_stays_flat(client, cast, helper, user, params, django_assert_num_queries):
    as_user(client, cast.teammate if user == "teammate" else helper)
    propose(helper, cast.product)
    client.get(OFFERS, params)
    with CaptureQueriesContext(connection) as first:
        before = len(listed(client.get(OFFERS, params)))
    for n in range(5):
        offer = propose(UserFactory(staff=True), cast.product, topic=f"Offre {n}")
        if n % 2:
            services.offer_decline(offer=offer, member_user=cast.requester, reason="Non merci")
        else:
            services.offer_accept(offer=offer, member_user=cast.requester)
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(OFFERS, params)
    assert len(listed(response)) == before + 5


# --- Proposing ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"product": "", "topic": "Aide", "message": "…"}, "product", "Indiquez le produit"),
        ({"product": "inconnu", "topic": "Aide", "message": "…"}, "product", "Aucun produit n'a l'identifiant"),
        ({"product": "justice-pour-tous", "topic": "", "message": "…"}, "topic", "Indiquez le sujet"),
        ({"product": "justice-pour-tous", "topic": "Aide", "message": " "}, "message", "Écrivez votre message"),
    ],
)
def test_offer_field_errors(client, cast, helper, data, field, message):
    response = as_user(client, helper).post(NEW, data)
    assert response.status_code == 200
    assert message in field_error(response, field)
    assert Offer.objects.count() == 0


def test_an_unknown_preselected_product_is_ignored(client, helper):
    response = as_user(client, helper).get(NEW, {"produit": "inconnu"})
    assert response.status_code == 200
    assert "Proposer de l'aide à une équipe" in words(response)
    assert 'value="inconnu"' not in response.content.decode()


def test_only_staff_propose(client, cast):
    as_user(client, cast.requester)
    assert client.get(NEW).status_code == 404
    assert client.post(NEW, {"product": "justice-pour-tous", "topic": "Aide", "message": "…"}).status_code == 404
    assert Offer.objects.count() == 0
