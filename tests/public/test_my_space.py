"""Defect 7 of #12: « Mon espace », a home for each person: my fiche, my products, my requests, my applications,
the offers of help waiting for my team; for staff, what to handle, what is overdue, my portfolio."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incubateur.guichet import services as guichet_services
from incubateur.guichet.models import Ticket
from tests.factories import UserFactory, person
from tests.guichet.factories import propose
from tests.organisation.helpers import justice_product
from tests.programmes.factories import fast_call, submitted
from tests.registry.factories import MemberFactory, team_member
from tests.registry.test_pages import main_html, main_text

URL = "/mon-espace/"


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def ask(requester, product, subject="Faut-il pivoter ?") -> Ticket:
    return guichet_services.ticket_submit(
        requester=requester,
        kind="doute-produit",
        subject=subject,
        body="Nos usagers ne reviennent pas.",
        product=product,
    )


def overdue(ticket: Ticket) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due=timezone.now() - datetime.timedelta(hours=1))


@pytest.fixture
def product(organisation):
    return justice_product()


@pytest.fixture
def member(product):
    return team_member(product, username="camille.requerante")


def test_anonymous_visitors_are_asked_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/connexion/?next=/mon-espace/"


def test_every_block_has_an_empty_state_with_the_next_action(client):
    client.force_login(UserFactory(first_name="Zoé", last_name="Neuve"))
    response = client.get(URL)
    page = main_text(response)
    assert page.startswith("Mon espace Bonjour Zoé Neuve.")
    assert "Votre compte n'est relié à aucune fiche de la communauté beta.gouv.fr." in page
    assert "Mes produits (0) Vous ne faites partie de l'équipe d'aucun produit en ce moment" in page
    assert "Mes demandes (0) Vous n'avez encore fait aucune demande au guichet. Faire une demande" in page
    assert "Mes candidatures (0) Vous n'avez aucune candidature, ni votre équipe." in page
    assert "Offres d'aide pour mon équipe (0) Aucune offre d'aide n'attend la décision de votre équipe." in page
    for staff_block in ("À traiter", "En retard", "Mon portefeuille"):
        assert staff_block not in page
    html = main_html(response)
    for link in ("/guichet/nouvelle/autre/", "/produits/", "/guichet/", "/programmes/", "/guichet/offres/"):
        assert f'href="{link}"' in html, link


def test_a_member_sees_their_fiche_products_requests_applications_and_offers(client, product, member):
    ticket = ask(member, product)
    call = fast_call()
    application = submitted(call, product, member)
    offer = propose(person("antoine.rivage"), product)
    client.force_login(member)
    response = client.get(URL)
    page = main_text(response)
    html = main_html(response)
    assert 'href="/membres/camille.requerante/"' in html
    assert 'href="/membres/camille.requerante/modifier/"' in html
    assert f"Mes produits (1) {product.name} — en construction" in page
    assert f"Mes demandes (1) {ticket.reference} — Faut-il pivoter ? Nouvelle, suivie par Pierre Boussole" in page
    assert f"Mes candidatures (1) {call.title} — {product.name} Déposée" in page
    assert f'href="/programmes/candidatures/{application.pk}/"' in html
    assert f"Offres d'aide pour mon équipe (1) {offer.topic} — {product.name} Proposée par Antoine Rivage" in page


def test_staff_see_what_to_handle_what_is_overdue_and_their_portfolio(client, product, member):
    mine = ask(member, product, subject="Pour Pierre")
    overdue(mine)
    manager = person("pierre.boussole")
    client.force_login(manager)
    response = client.get(URL)
    page = main_text(response)
    assert f"À traiter (1) {mine.reference} — Pour Pierre En retard" in page
    assert f"En retard (1) {mine.reference} — Pour Pierre Attribuée à Pierre Boussole" in page
    assert "Mon portefeuille Justice : 1 produit en activité, 0 comité en retard" in page
    assert "1 demande ouverte, 0 offre d'aide en attente." in page
    assert 'href="/equipe/portefeuilles/pierre.boussole/"' in main_html(response)


def test_staff_without_a_portfolio_or_requests_get_the_empty_states(client, organisation):
    client.force_login(person("antoine.rivage"))
    page = main_text(client.get(URL))
    assert "À traiter (0) Aucune demande ouverte ne vous est attribuée." in page
    assert "En retard (0) Aucune demande n'attend sa première réponse" in page
    assert "Mon portefeuille Vous ne suivez aucun portefeuille ministériel." in page


def test_an_administrator_sees_the_staff_blocks(client, organisation):
    client.force_login(UserFactory(admin=True))
    page = main_text(client.get(URL))
    assert "À traiter (0)" in page and "Mon portefeuille" in page


def test_a_confidential_request_is_not_shown_to_other_staff(client, product, member):
    secret = guichet_services.ticket_submit(
        requester=member, kind="mal-etre", subject="Sujet intime", body="…", recipient=person("igor.balise")
    )
    overdue(secret)
    client.force_login(person("antoine.rivage"))
    assert "Sujet intime" not in main_text(client.get(URL))
    client.force_login(person("igor.balise"))
    assert "Sujet intime" in main_text(client.get(URL))


@pytest.mark.parametrize("who", ["member", "manager"])
def test_the_query_count_stays_flat(client, product, member, django_assert_num_queries, who):
    user = member if who == "member" else person("pierre.boussole")
    # One row in every block first (an empty list is one query less: no rows to read).
    call = fast_call()
    overdue(ask(member, product))
    propose(person("antoine.rivage"), product)
    submitted(call, product, member)
    client.force_login(user)
    first = count_queries(client)
    for i in range(4):
        other = justice_product(ghid=f"autre-{i}", name=f"Autre {i}")
        MemberFactory(user=None)
        team_member(other, username=f"equipier.{i}")
        member.member.missions.first().products.add(other)
        overdue(ask(member, other, subject=f"Demande {i}"))
        propose(person("antoine.rivage"), other, topic=f"Aide {i}")
        submitted(call, other, member)
    with django_assert_num_queries(first):
        client.get(URL)
