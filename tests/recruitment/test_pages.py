"""The recruitment pages: the list (filters, empty state, pagination), a post's page, « Mes annonces » (create,
edit, close with confirmation, prolong), « Postes ouverts » on a product's page and on « Qui fait quoi »."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incubateur.core.models import JournalEntry
from incubateur.organisation.models import Pole
from incubateur.recruitment import services
from incubateur.recruitment.models import JobPost, Status
from tests.factories import UserFactory
from tests.recruitment.helpers import make_post, product_team
from tests.registry.factories import MemberFactory, ProductFactory, TeamFactory

PAST = -10  # opened to the community 10 days ago: public since 3 days


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def titles(response) -> list[str]:
    return [post.title for post in response.context["page_obj"]]


@pytest.fixture
def team():
    return product_team(ghid="mon-produit", name="Mon Produit")


def test_the_list_shows_public_posts_to_everyone_and_community_posts_to_members(team):
    product, author = team
    make_post(by=author, product=product, title="Publique", days_to_community=PAST)
    make_post(by=author, product=product, title="Communauté", days_to_community=-1)
    make_post(by=author, product=product, title="Programmée", days_to_community=3)
    make_post(by=author, product=product, title="Brouillon", days_to_community=PAST, draft=True)
    assert titles(client_for().get("/recrutement/")) == ["Publique"]
    assert titles(client_for(UserFactory()).get("/recrutement/")) == ["Communauté", "Publique"]


def test_the_list_filters_by_kind_domaine_owner_and_junior(team):
    product, author = team
    staff = UserFactory(staff=True)
    pole = Pole.objects.create(slug="animation", name="Animation")
    make_post(by=author, product=product, title="Dev", days_to_community=PAST)
    make_post(
        by=author,
        product=product,
        title="Mission",
        kind="mission",
        contract="",
        contracting_body="Titulaire",
        domaines=["Design"],
        junior=True,
        days_to_community=PAST,
    )
    pole_post = make_post(
        by=staff, pole=pole, title="Chargée d'animation", domaines=["Animation"], days_to_community=PAST
    )
    assert "Incubateur — Animation" in client_for().get(f"/recrutement/{pole_post.pk}/").content.decode()
    client = client_for()
    assert titles(client.get("/recrutement/?nature=mission")) == ["Mission"]
    assert titles(client.get("/recrutement/?domaine=Animation")) == ["Chargée d'animation"]
    assert set(titles(client.get("/recrutement/?pour=produit:mon-produit"))) == {"Dev", "Mission"}
    assert titles(client.get("/recrutement/?pour=pole:animation")) == ["Chargée d'animation"]
    assert titles(client.get("/recrutement/?junior=on")) == ["Mission"]
    empty = client.get("/recrutement/?nature=mission&domaine=Data")
    assert "Aucune annonce ne correspond à ces critères" in empty.content.decode()


def test_the_empty_state():
    assert "Aucun poste n'est ouvert en ce moment" in client_for().get("/recrutement/").content.decode()


def test_the_list_is_paginated_with_flat_queries(team, django_assert_max_num_queries):
    product, author = team
    for n in range(25):
        make_post(by=author, product=product, title=f"Poste {n}", days_to_community=PAST)
    with django_assert_max_num_queries(8):
        first = client_for().get("/recrutement/")
    assert len(titles(first)) == 20
    assert len(titles(client_for().get("/recrutement/?page=2"))) == 5


def test_a_mission_names_its_contracting_body_and_does_not_read_as_a_job(team):
    product, author = team
    post = make_post(
        by=author,
        product=product,
        kind="mission",
        contract="",
        contracting_body="Groupement Design",
        days_to_community=PAST,
    )
    page = client_for().get(f"/recrutement/{post.pk}/").content.decode()
    assert "contractée par Groupement Design" in page
    assert "Ce n'est pas une offre d'emploi" in page
    assert "Type de contrat" not in page
    assert "Mon Produit" in page  # the product card
    assert "Publié le" in page and "Jusqu'au" in page


def test_a_mission_without_contracting_body_is_refused_next_to_the_field(team):
    product, author = team
    response = client_for(author).post(
        "/recrutement/mes-annonces/nouvelle/",
        {
            "pour": "produit:mon-produit",
            "title": "Mission",
            "kind": "mission",
            "description": "Texte",
            "community_from": timezone.localdate().isoformat(),
            "publier": "1",
        },
    )
    assert response.status_code == 200
    assert "contracting_body" in response.context["form"].errors
    assert JobPost.objects.count() == 0


def test_a_product_member_creates_a_post_from_the_form(team):
    product, author = team
    response = client_for(author).post(
        "/recrutement/mes-annonces/nouvelle/",
        {
            "pour": "produit:mon-produit",
            "title": "Product manager",
            "kind": "emploi",
            "contract": "cdi",
            "description": "Texte",
            "technos": "Figma, Notion",
            "domaines": ["Produit"],
            "community_from": timezone.localdate().isoformat(),
            "publier": "1",
        },
    )
    post = JobPost.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/recrutement/{post.pk}/"
    assert post.technos == ["Figma", "Notion"] and post.status == Status.COMMUNAUTE and post.author == author
    assert post.public_from == timezone.localdate() + datetime.timedelta(days=7)


def test_a_member_outside_the_product_cannot_post_for_it(team):
    product, _author = team
    outsider = UserFactory()
    assert client_for(outsider).get("/recrutement/mes-annonces/nouvelle/").status_code == 404
    form = client_for(UserFactory(staff=True)).get("/recrutement/mes-annonces/nouvelle/").context["form"]
    assert ("produit:mon-produit", "Mon Produit") in form.fields["pour"].choices


def test_closing_asks_for_a_confirmation(team):
    product, author = team
    post = make_post(by=author, product=product, days_to_community=PAST)
    client = client_for(author)
    refused = client.post(f"/recrutement/{post.pk}/fermer/", {"status": "pourvu"})
    assert refused.status_code == 200 and "confirm" in refused.context["form"].errors
    assert client.post(f"/recrutement/{post.pk}/fermer/", {"status": "pourvu", "confirm": "on"}).status_code == 302
    post.refresh_from_db()
    assert post.status == Status.POURVU
    assert titles(client_for().get("/recrutement/")) == []
    assert "Ce poste n'est plus ouvert" in client_for().get(f"/recrutement/{post.pk}/").content.decode()


def test_the_incubator_team_edits_and_prolongs_but_outsiders_get_a_404(team):
    product, author = team
    post = make_post(by=author, product=product, days_to_community=PAST)
    coach = UserFactory(username="coach.incubateur")
    member = MemberFactory(username="coach.incubateur", user=coach)
    member.teams.add(TeamFactory(incubator=product.principal_incubator))
    assert client_for(coach).get(f"/recrutement/{post.pk}/modifier/").status_code == 200
    assert client_for(coach).post(f"/recrutement/{post.pk}/prolonger/").status_code == 302
    post.refresh_from_db()
    assert post.prolonged_at is not None
    outsider = client_for(UserFactory())
    assert outsider.get(f"/recrutement/{post.pk}/modifier/").status_code == 404
    assert outsider.post(f"/recrutement/{post.pk}/fermer/", {"status": "ferme", "confirm": "on"}).status_code == 404


def test_editing_keeps_errors_next_to_the_fields(team):
    product, author = team
    post = make_post(by=author, product=product, days_to_community=PAST)
    response = client_for(author).post(
        f"/recrutement/{post.pk}/modifier/",
        {
            "title": post.title,
            "kind": "emploi",
            "contract": "cdd",
            "description": "x",
            "community_from": post.community_from.isoformat(),
            "public_from": post.public_from.isoformat(),
            "unpublish_on": post.community_from.isoformat(),
        },
    )
    assert "unpublish_on" in response.context["form"].errors


def test_my_posts_lists_what_i_may_edit(team):
    product, author = team
    make_post(by=author, product=product, title="À moi", days_to_community=PAST)
    ProductFactory(ghid="autre")
    assert titles(client_for(author).get("/recrutement/mes-annonces/")) == ["À moi"]
    assert "Vous n'avez aucune annonce" in client_for(UserFactory()).get("/recrutement/mes-annonces/").content.decode()


def test_open_posts_on_the_product_page_and_on_who_does_what(team):
    product, author = team
    staff = UserFactory(staff=True)
    pole = Pole.objects.create(slug="animation", name="Animation")
    make_post(by=author, product=product, title="Poste produit", days_to_community=PAST)
    make_post(by=staff, pole=pole, title="Poste incubateur", days_to_community=PAST)
    product_page = client_for().get(reverse("registry:product_detail", args=["mon-produit"])).content.decode()
    assert "Postes ouverts" in product_page and "Poste produit" in product_page
    assert "Poste incubateur" not in product_page
    who = client_for().get(reverse("organisation:who_does_what")).content.decode()
    assert "Postes ouverts" in who and "Poste incubateur" in who


def test_journal_rows_say_nothing_personal(team):
    product, author = team
    post = make_post(by=author, product=product, days_to_community=PAST)
    services.tick()
    services.post_close(post=post, by=author, status="ferme")
    for entry in JournalEntry.objects.filter(visibility="public"):
        assert author.email not in entry.message and author.last_name not in entry.message
