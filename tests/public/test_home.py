"""Defect 7 of #12 (the home page) and 8 (the site map): the home page leads to the guichet with the seed's reasons,
shows the open calls and a few registry figures; the site map lists every section."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from incubateur.organisation.models import Reason
from tests.factories import UserFactory
from tests.programmes.factories import fast_call
from tests.registry.factories import IncubatorFactory, MemberFactory, MissionFactory, ProductFactory
from tests.registry.test_pages import main_html, main_text


def count_queries(client, url="/") -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_home_page_leads_to_the_guichet_with_the_seed_reasons(client, organisation):
    response = client.get("/")
    html = main_html(response)
    page = main_text(response)
    assert "Pourquoi faire appel à l'Incubateur ?" in page
    for reason in Reason.objects.all():
        assert f'<a href="/guichet/nouvelle/{reason.code}/">{escape(reason.title)}</a>' in html
    assert "J'ai besoin du soutien de la DINUM" in page
    assert 'href="/guichet/"' in html
    assert "Faire une demande à l'Incubateur" in page


def test_a_reason_that_is_not_a_kind_of_request_leads_to_the_guichet_home(client, organisation):
    Reason.objects.create(code="autre-chose", title="Une raison sans type de demande", order=99)
    assert '<a href="/guichet/">Une raison sans type de demande</a>' in main_html(client.get("/"))


def test_the_home_page_shows_the_open_calls_only(client):
    now = timezone.now()
    fast_call(title="FAST 19", closes_at=now + datetime.timedelta(days=3))
    fast_call(title="FAST 20", number=20, closes_at=now + datetime.timedelta(days=1))
    day = datetime.timedelta(days=1)
    fast_call(title="FAST 17", number=17, opens_at=now - 60 * day, closes_at=now - day)
    fast_call(title="FAST 21", number=21, opens_at=now + 5 * day, closes_at=now + 40 * day)
    page = main_text(client.get("/"))
    assert "Appels ouverts FAST 20 FAST Candidatures jusqu'au" in page
    assert page.index("FAST 20") < page.index("FAST 19")
    assert "FAST 17" not in page and "FAST 21" not in page


def test_a_call_closing_is_gone_at_once(client):
    call = fast_call(title="FAST 19")
    assert "FAST 19" in main_text(client.get("/"))
    call.closes_at = timezone.now() - datetime.timedelta(minutes=1)
    call.save()
    assert "FAST 19" not in main_text(client.get("/"))


def test_the_empty_home_page_says_what_to_do(client):
    page = main_text(client.get("/"))
    assert "Aucun appel n'est ouvert en ce moment. Voir les programmes et leurs éditions passées" in page
    assert "le guichet oriente votre demande vers la bonne personne" in page
    assert "0 produit en activité 0 membre en mission 0 incubateur" in page


def test_the_home_page_shows_registry_figures(client):
    incubator = IncubatorFactory()
    active = ProductFactory(incubator=incubator, phase="construction")
    ProductFactory(incubator=incubator, phase="abandon")
    MissionFactory(member=MemberFactory(), products=[active])
    MissionFactory(member=MemberFactory(), products=[active])
    MissionFactory(
        member=MemberFactory(),
        products=[active],
        start=timezone.localdate() - datetime.timedelta(days=100),
        end=timezone.localdate() - datetime.timedelta(days=1),
    )
    page = main_text(client.get("/"))
    assert "1 produit en activité 2 membres en mission 1 incubateur" in page
    IncubatorFactory()
    assert "2 incubateurs" in main_text(client.get("/"))


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_the_home_page_query_count_stays_flat(client, organisation, django_assert_num_queries, logged_in):
    if logged_in:
        client.force_login(UserFactory())
    fast_call()
    client.get("/")
    first = count_queries(client)
    assert first <= 6
    for i in range(5):
        product = ProductFactory(phase="construction")
        MissionFactory(member=MemberFactory(), products=[product])
        fast_call(title=f"Appel {i}", number=30 + i)
    client.get("/")  # the registry changed: the figures are computed once again, then cached
    with django_assert_num_queries(first):
        client.get("/")


def test_the_home_page_offers_my_space_once_logged_in(client):
    assert 'href="/connexion/"' in main_html(client.get("/"))
    client.force_login(UserFactory())
    assert 'href="/mon-espace/"' in main_html(client.get("/"))


@pytest.mark.parametrize("role", ["anonymous", "member", "staff"])
def test_the_site_map_lists_every_section(client, role):
    if role != "anonymous":
        client.force_login(UserFactory(staff=role == "staff"))
    html = main_html(client.get("/plan-du-site/"))
    for link in ("/", "/qui-fait-quoi/", "/produits/", "/incubateurs/", "/programmes/", "/guichet/"):
        assert f'href="{link}"' in html, link
    assert ('href="/mon-espace/"' in html) == (role != "anonymous")
    assert ('href="/guichet/equipe/"' in html) == (role == "staff")
