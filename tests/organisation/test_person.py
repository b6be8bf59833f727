"""Defect 6 of #12: a page for every person of *Qui fait quoi*, and « Votre interlocuteur à l'Incubateur » on the
registry's product and incubator pages."""

from urllib.parse import unquote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from incubateur.guichet.routing import route
from incubateur.organisation import services
from incubateur.organisation.models import Pole, Portfolio, Position
from incubateur.organisation.templatetags.interlocutor import product_perimeter
from incubateur.registry.selectors import pages, perimeters
from tests.factories import UserFactory, person
from tests.organisation.helpers import justice_product, load_organisation
from tests.registry.factories import (
    IncubatorFactory,
    MemberFactory,
    MissionFactory,
    OrganisationFactory,
    ProductFactory,
)
from tests.registry.test_pages import main_html, main_text


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


# --- The person's page -----------------------------------------------------------------------------------------


def test_a_person_of_a_pole_has_a_page(client, organisation):
    response = client.get("/qui-fait-quoi/odilon.bastide/")
    assert response.status_code == 200
    page = main_text(response)
    assert page.startswith("Odilon Bastide Expert accélération Rôle à l'Incubateur Expert accélération — ")
    assert "Comment la ou le joindre E-mail : odilon.bastide@" in page
    html = main_html(response)
    assert 'href="/qui-fait-quoi/#pole-acceleration"' in html
    assert 'href="/guichet/?destinataire=odilon.bastide"' in html
    # No fiche in the registry: no link to one.
    assert "/membres/" not in html
    assert "Portefeuille" not in page


def test_the_page_links_to_the_registry_fiche_when_there_is_one(client, organisation):
    MemberFactory(username="odilon.bastide", fullname="Odilon Bastide")
    html = main_html(client.get("/qui-fait-quoi/odilon.bastide/"))
    assert 'href="/membres/odilon.bastide/"' in html


def test_a_portfolio_manager_page_shows_the_portfolio(client, organisation):
    page = main_text(client.get("/qui-fait-quoi/pierre.boussole/"))
    assert "Portefeuille ministériel Les demandes sur les produits de ce périmètre lui arrivent directement" in page
    assert "Justice Ministères : Justice Thématiques : Justice" in page


def test_a_pole_channel_is_on_its_members_pages(client, organisation):
    channel = Pole.objects.get(slug="animation").contactchannel_set.first()
    someone = Position.objects.current().filter(pole__slug="animation").first().person
    html = main_html(client.get(f"/qui-fait-quoi/{someone.username}/"))
    assert f'href="{channel.href}"' in html


@pytest.mark.parametrize("username", ["personne.inconnue", "prenom.nom"])
def test_who_is_not_in_the_organisation_has_no_page(client, organisation, username):
    UserFactory(username="prenom.nom")  # an account, no position, no portfolio
    assert client.get(f"/qui-fait-quoi/{username}/").status_code == 404


def test_someone_who_left_has_no_page(client, organisation):
    position = Position.objects.current().filter(portfolio__isnull=True, person__username="odilon.bastide").get()
    services.position_end(position=position, by=person("igor.balise"))
    assert client.get("/qui-fait-quoi/odilon.bastide/").status_code == 404


@pytest.mark.parametrize("username", ["jean.d.dupont", "jean_dupont", "Jean.Dupont", "jéan.dupont"])
def test_odd_identifiers_route_to_the_page(client, organisation, username):
    account = UserFactory(username=username, first_name="Jean", last_name="Dupont")
    Position.objects.create(pole=Pole.objects.get(slug="animation"), person=account, title="Animateur")
    url = reverse("organisation:person", args=[username])
    assert resolve(unquote(url)).kwargs == {"username": username}
    assert main_text(client.get(url)).startswith("Jean Dupont Animateur")


def test_every_name_of_who_does_what_links_to_its_page(client, organisation):
    html = client.get("/qui-fait-quoi/").content.decode()
    people = {p.person.username for p in Position.objects.current().select_related("person")}
    people |= set(Portfolio.objects.exclude(manager=None).values_list("manager__username", flat=True))
    for username in people:
        assert f'href="/qui-fait-quoi/{username}/"' in html, username
    for username in people:
        assert client.get(f"/qui-fait-quoi/{username}/").status_code == 200, username


def test_a_search_hit_and_the_ministry_answer_link_to_the_page(client, organisation):
    html = client.get("/qui-fait-quoi/", {"q": "bastide"}).content.decode()
    assert '<a href="/qui-fait-quoi/odilon.bastide/"><strong>Odilon Bastide</strong></a>' in html
    html = client.get("/qui-fait-quoi/", {"ministere": "justice"}).content.decode()
    assert '<a href="/qui-fait-quoi/pierre.boussole/"><strong>Pierre Boussole</strong></a>' in html


def test_the_person_page_query_count_stays_flat(client, organisation, django_assert_num_queries):
    url = "/qui-fait-quoi/pierre.boussole/"
    first = count_queries(client, url)
    assert first <= 6
    for i in range(5):
        Portfolio.objects.create(slug=f"p{i}", label=f"Portefeuille {i}", manager=person("pierre.boussole"))
        MemberFactory()
    with django_assert_num_queries(first):
        client.get(url)


# --- « Votre interlocuteur à l'Incubateur » --------------------------------------------------------------------


def test_a_product_page_names_its_portfolio_manager_and_opens_the_guichet_on_it(client, organisation):
    product = justice_product()
    response = client.get(f"/produits/{product.ghid}/")
    page = main_text(response)
    assert (
        "Votre interlocuteur à l'Incubateur Pierre Boussole, responsable du portefeuille Justice "
        "Portefeuille Justice, ministère Justice. Faire une demande sur ce produit" in page
    )
    html = main_html(response)
    assert 'href="/qui-fait-quoi/pierre.boussole/"' in html
    assert f'href="/guichet/nouvelle/doute-produit/?produit={product.ghid}"' in html


def test_the_interlocutor_is_the_one_the_guichet_routes_to(client):
    """The page names whom a doubt about the product goes to."""
    load_organisation(routing=True)
    product = justice_product()
    product.thematiques = ["Logement"]  # a theme comes before the ministries
    product.save()
    assignee = route(kind="doute-produit", product=product).assignee
    assert assignee == person("gael.ivoire")
    assert f"Votre interlocuteur à l'Incubateur {assignee.display_name}, responsable du portefeuille Logement" in (
        main_text(client.get(f"/produits/{product.ghid}/"))
    )


def test_the_dinum_contact_is_shown_with_a_link(client, organisation):
    product = justice_product()
    product.contact_dinum = "odilon.bastide"
    product.save()
    html = main_html(client.get(f"/produits/{product.ghid}/"))
    assert 'Contact DINUM du produit :\n          <a href="/qui-fait-quoi/odilon.bastide/">Odilon Bastide</a>' in html

    MemberFactory(username="ancien.contact", fullname="Ancien Contact")
    product.contact_dinum = "ancien.contact"
    product.save()
    html = main_html(client.get(f"/produits/{product.ghid}/"))
    assert '<a href="/membres/ancien.contact/">Ancien Contact</a>' in html

    product.contact_dinum = "inconnu.total"
    product.save()
    page = main_text(client.get(f"/produits/{product.ghid}/"))
    assert "Contact DINUM du produit : inconnu.total" in page

    product.contact_dinum = "pierre.boussole"  # the portfolio manager: said once
    product.save()
    assert "Contact DINUM" not in main_text(client.get(f"/produits/{product.ghid}/"))


def test_a_product_nobody_covers_goes_to_the_fallback_pole(client, organisation):
    product = ProductFactory(ghid="sans.perimetre", incubator=IncubatorFactory(owner=None))
    page = main_text(client.get("/produits/sans.perimetre/"))
    assert "Votre interlocuteur à l'Incubateur Igor Balise Aucun périmètre indiqué : " in page
    assert product.ghid


def test_without_an_organisation_the_block_is_absent(client):
    product = ProductFactory()
    assert "Votre interlocuteur" not in main_text(client.get(f"/produits/{product.ghid}/"))


def test_an_incubator_page_names_the_manager_of_its_owner_ministry(client, organisation):
    incubator = IncubatorFactory(ghid="fabrique.justice", owner=OrganisationFactory(domaine_ministeriel="justice"))
    response = client.get("/incubateurs/fabrique.justice/")
    page = main_text(response)
    assert "Votre interlocuteur à l'Incubateur Pierre Boussole, responsable du portefeuille Justice" in page
    assert 'href="/guichet/"' in main_html(response)
    assert incubator.ghid


def test_the_perimeter_read_from_the_page_is_the_routing_one(organisation):
    """The tag reads the product's perimeter from the loaded page: it must say what `registry.perimeters` says."""
    sante = OrganisationFactory(domaine_ministeriel="solidarite-sante")
    justice = OrganisationFactory(domaine_ministeriel="justice")
    culture = OrganisationFactory(domaine_ministeriel="culture")
    blank = OrganisationFactory(domaine_ministeriel="")
    products = [
        ProductFactory(incubator=IncubatorFactory(owner=justice)),  # owner alone
        ProductFactory(incubator=IncubatorFactory(owner=culture)),  # owner after the sponsors
        ProductFactory(incubator=IncubatorFactory(owner=sante)),  # owner among the sponsors
        ProductFactory(incubator=IncubatorFactory(owner=None)),  # no owner
        ProductFactory(incubator=IncubatorFactory(owner=blank)),  # an owner without ministry
    ]
    for product in products[1:3]:
        product.productsponsor_set.create(organisation=blank, order=0)
        product.productsponsor_set.create(organisation=sante, order=2)
        product.productsponsor_set.create(organisation=justice, order=1)
    products[0].thematiques = ["Santé", 3, "Justice"]
    products[0].save()
    expected = perimeters(products)
    for product in products:
        assert product_perimeter(pages.product_page(product.ghid)) == expected[product.pk], product.ghid


def test_a_change_of_manager_shows_at_once_on_a_cached_product_page(client, organisation, settings):
    settings.PUBLIC_PAGE_CACHE = True
    product = justice_product()
    url = f"/produits/{product.ghid}/"
    assert "Pierre Boussole, responsable du portefeuille Justice" in main_text(client.get(url))
    services.portfolio_set_manager(
        portfolio=Portfolio.objects.get(slug="justice"), manager=person("gael.ivoire"), by=person("igor.balise")
    )
    assert "Gaël Ivoire, responsable du portefeuille Justice" in main_text(client.get(url))


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_the_product_page_query_count_stays_flat_with_the_interlocutor(
    client, organisation, django_assert_num_queries, logged_in
):
    if logged_in:
        client.force_login(UserFactory())
    product = justice_product()
    product.contact_dinum = "odilon.bastide"
    product.save()
    url = f"/produits/{product.ghid}/"
    first = count_queries(client, url)
    for i in range(5):
        Portfolio.objects.create(slug=f"autre-{i}", label=f"Autre {i}", ministries=["culture"])
        product.productsponsor_set.create(organisation=OrganisationFactory(), order=10 + i)
        MissionFactory(member=MemberFactory(), products=[product])
    with django_assert_num_queries(first):
        client.get(url)
