"""The "Faire une demande" addresses: `/guichet/nouvelle/<kind>/?produit=<ghid>` (a product's page) and
`/guichet/?destinataire=<username>` (a person's page). They pre-fill only what the person may choose anyway; routing
and permissions stay the server's; a value that names nothing usable is ignored without an error."""

import re
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incubateur.guichet.models import Ticket
from tests.factories import UserFactory, person
from tests.guichet.test_pages import client_for, follow, hidden, new_url, options, text, words
from tests.registry.factories import MissionFactory, ProductFactory

HOME = "/guichet/"


def selected(response, name: str) -> list[str]:
    """The labels of the selected options of the select `name` (but its empty choice, selected by default)."""
    html = response.content.decode()
    select = re.search(rf'<select name="{re.escape(name)}".*?</select>', html, re.S)
    assert select, f"no select {name}"
    chosen = re.findall(r'<option value="([^"]*)"[^>]*\bselected\b[^>]*>(.*?)</option>', select.group(0), re.S)
    return [words(label) for value, label in chosen if value]


def kind_links(response) -> list[str]:
    return re.findall(r'href="(/guichet/nouvelle/[^"]*)"', response.content.decode())


@pytest.fixture
def dotted(cast):
    """A second product of the requester's, with an identifier as the real tree has them."""
    product = ProductFactory(ghid="rdv.mjd_Préfecture", name="RDV Préfecture")
    MissionFactory(member=cast.requester.member, products=[product])
    return product


# --- ?produit= -----------------------------------------------------------------------------------------------------


def test_a_product_of_the_requesters_team_is_preselected(cast, dotted):
    client = client_for(cast.requester)
    assert selected(client.get(new_url("doute-produit")), "product") == []
    for product in (cast.product, dotted):
        response = client.get(f"{new_url('doute-produit')}?produit={quote(product.ghid)}")
        assert response.status_code == 200
        assert selected(response, "product") == [product.name]
        assert "ne faites pas partie" not in text(response)
    # Any kind that asks for a product.
    response = client.get(f"{new_url('convention-devis-service-fait')}?produit={cast.product.ghid}")
    assert selected(response, "product") == [cast.product.name]


def test_a_product_outside_the_team_is_not_added_and_the_page_says_so(cast):
    ProductFactory(ghid="pas.le-mien", name="Pas le mien")
    for user in (cast.requester, cast.other_member):  # with products of their own, and without any
        response = client_for(user).get(f"{new_url('doute-produit')}?produit=pas.le-mien")
        assert response.status_code == 200
        page = text(response)
        assert (
            "Votre demande concerne Pas le mien ? Vous ne faites pas partie de son équipe active : elle ne peut pas "
            "être rattachée à ce produit." in page
        )
        if user == cast.requester:
            assert "Pas le mien" not in options(response, "product")
            assert selected(response, "product") == []
        else:
            assert 'name="product"' not in response.content.decode()


def test_the_product_outside_the_team_is_still_refused_when_sent(cast):
    outsider = ProductFactory(ghid="pas.le-mien", name="Pas le mien")
    url = f"{new_url('doute-produit')}?produit=pas.le-mien"
    response = client_for(cast.requester).post(url, {"subject": "x", "body": "y", "product": outsider.pk})
    assert response.status_code == 200
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "value",
    # (a NUL never reaches the form: the house 400, tests/core/test_hostile_input.py)
    ["inconnu", "", "x" * 500, "../..", "%3Cscript%3E", "justice-pour-tous%20", "1", "produit[]"],
)
def test_an_invalid_product_is_ignored_silently(cast, value):
    response = client_for(cast.requester).get(f"{new_url('doute-produit')}?produit={value}")
    assert response.status_code == 200
    assert selected(response, "product") == []
    assert "ne faites pas partie" not in text(response)


def test_a_product_on_a_kind_without_product_is_ignored(cast):
    ProductFactory(ghid="pas.le-mien", name="Pas le mien")
    for ghid in (cast.product.ghid, "pas.le-mien"):
        response = client_for(cast.requester).get(f"{new_url('communaute')}?produit={ghid}")
        assert response.status_code == 200
        assert 'name="product"' not in response.content.decode()
        assert "ne faites pas partie" not in text(response)


def test_the_preselected_product_is_routed_as_usual(cast):
    client = client_for(cast.requester)
    url = f"{new_url('doute-produit')}?produit={cast.product.ghid}"
    form = client.get(url)
    key = hidden(form, "idempotency_key")
    response = client.post(url, {"subject": "Pivot", "body": "?", "product": cast.product.pk, "idempotency_key": key})
    ticket = Ticket.objects.get()
    assert ticket.product == cast.product and ticket.assignee == cast.assignee
    assert "Pierre Boussole vous répondra" in text(follow(client, response))


# --- ?destinataire= on /guichet/ -----------------------------------------------------------------------------------


def test_the_home_page_passes_the_person_on_to_every_kind(cast):
    response = client_for(cast.requester).get(f"{HOME}?destinataire=pierre.boussole")
    assert response.status_code == 200
    links = kind_links(response)
    assert len(links) == 9
    assert all(link.endswith("/?destinataire=pierre.boussole") for link in links)
    page = text(response)
    assert "Votre demande à Pierre Boussole" in page
    assert "Pierre Boussole — Responsable de portefeuille : Justice" in page


@pytest.mark.parametrize("value", ["inconnu", "", "camille.requerante", "alex.autre", "x" * 500, "<b>"])
def test_the_home_page_ignores_who_is_not_current_staff(cast, value):
    """Unknown, the requester themself, a community member: plain links, no word."""
    response = client_for(cast.requester).get(f"{HOME}?destinataire={value}")
    assert response.status_code == 200
    assert all("?" not in link for link in kind_links(response))
    assert "Votre demande à" not in text(response)


def test_staff_cannot_address_themselves(cast):
    response = client_for(cast.assignee).get(f"{HOME}?destinataire=pierre.boussole")
    assert "Votre demande à" not in text(response)
    form = client_for(cast.assignee).get(f"{new_url('mal-etre')}?destinataire=pierre.boussole")
    assert selected(form, "recipient") == []


# --- ?destinataire= on the form ------------------------------------------------------------------------------------


def test_a_confidential_kind_preselects_the_person(cast):
    gael = person("gael.ivoire")
    client = client_for(cast.requester)
    url = f"{new_url('mal-etre')}?destinataire=gael.ivoire"
    form = client.get(url)
    [label] = selected(form, "recipient")
    assert label.startswith("Gaël Ivoire — ")
    assert "Destinataire présélectionné·e ci-dessous : Gaël Ivoire." in text(form)
    key = hidden(form, "idempotency_key")
    response = client.post(url, {"subject": "Difficile", "body": "…", "recipient": gael.pk, "idempotency_key": key})
    ticket = Ticket.objects.get()
    assert ticket.confidential and ticket.assignee == gael
    assert response.status_code == 302


@pytest.mark.parametrize("value", ["inconnu", "alex.autre", "camille.requerante", "x" * 500])
def test_an_invalid_person_on_the_form_is_ignored_silently(cast, value):
    client = client_for(cast.requester)
    for kind in ("mal-etre", "doute-produit", "soutien-dinum"):
        response = client.get(f"{new_url(kind)}?destinataire={value}&produit={value}")
        assert response.status_code == 200
        assert selected(response, "recipient") == []
        assert "Votre demande sera transmise" not in text(response)
        assert "présélectionné" not in text(response)


def test_a_routed_kind_says_where_the_request_goes(cast):
    """Pierre Boussole manages the Justice portfolio: a doubt about the product reaches him by routing."""
    client = client_for(cast.requester)
    response = client.get(f"{new_url('doute-produit')}?produit={cast.product.ghid}&destinataire=pierre.boussole")
    page = text(response)
    assert (
        "Votre demande sera transmise à Pierre Boussole d'après le formulaire tel qu'il est rempli pour l'instant "
        "(la personne peut changer selon le produit)." in page
    )
    assert "attribué automatiquement" not in page
    assert selected(response, "recipient") == []  # no trap: a recipient needs « confidentielle »


def test_a_person_routing_does_not_pick_is_not_forced_on_the_request(cast):
    gael = person("gael.ivoire")
    client = client_for(cast.requester)
    url = f"{new_url('doute-produit')}?produit={cast.product.ghid}&destinataire=gael.ivoire"
    form = client.get(url)
    page = text(form)
    assert "Votre demande sera transmise à Pierre Boussole" in page
    assert (
        "Ce type de demande est attribué automatiquement, pas à la personne de votre choix. Pour qu'elle ne soit lue "
        "que par Gaël Ivoire, cochez « Rendre cette demande confidentielle » et choisissez Gaël Ivoire." in page
    )
    key = hidden(form, "idempotency_key")
    client.post(url, {"subject": "Pivoter", "body": "…", "product": cast.product.pk, "idempotency_key": key})
    ticket = Ticket.objects.get()
    assert ticket.assignee == cast.assignee and not ticket.confidential  # routing decided, not the address
    assert gael != ticket.assignee


def test_a_kind_routed_by_topic_says_the_answer_may_change(cast):
    response = client_for(cast.requester).get(f"{new_url('soutien-dinum')}?destinataire=pierre.boussole")
    assert "(la personne peut changer selon le sujet et le produit)" in text(response)
    response = client_for(cast.other_member).get(f"{new_url('partenariat')}?destinataire=pierre.boussole")
    assert "(la personne peut changer selon le ministère)" in text(response)


# --- Anonymous, query counts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [f"{HOME}?destinataire=pierre.boussole", f"{new_url('doute-produit')}?produit=rdv.mjd&destinataire=gael.ivoire"],
)
def test_anonymous_is_sent_to_log_in_and_back_with_the_parameters(cast, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/")
    assert f"next={quote(url, safe='/')}" in response["Location"]


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_prefilling_costs_no_query(cast, dotted):
    client = client_for(cast.requester)
    plain = count_queries(client, new_url("doute-produit"))
    assert count_queries(client, f"{new_url('doute-produit')}?produit={quote(dotted.ghid)}") == plain
    confidential = count_queries(client, new_url("mal-etre"))
    assert count_queries(client, f"{new_url('mal-etre')}?destinataire=gael.ivoire") == confidential
    # Invalid values cost nothing either (an identifier that is not the registry's is not even looked up).
    assert count_queries(client, f"{new_url('doute-produit')}?produit={'x' * 300}&destinataire=inconnu") == plain


def test_a_bigger_registry_costs_the_same_queries(cast, dotted):
    """The form with both parameters: flat in the number of products and staff."""
    client = client_for(cast.requester)
    url = f"{new_url('doute-produit')}?produit={cast.product.ghid}&destinataire=gael.ivoire"
    before = count_queries(client, url)
    for index in range(3):
        product = ProductFactory(ghid=f"autre.{index}")
        MissionFactory(member=cast.requester.member, products=[product])
        UserFactory(username=f"staff.{index}", staff=True)
    assert count_queries(client, url) == before
