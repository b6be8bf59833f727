"""The public page « Qui fait quoi ? » and the staff pages that change the organisation."""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incubateur.core.models import JournalEntry, Visibility
from incubateur.organisation import cache as organisation_cache
from incubateur.organisation import services
from incubateur.organisation.models import (
    Commitment,
    ContactChannel,
    Department,
    Pole,
    Portfolio,
    Position,
    Reason,
)
from tests.factories import UserFactory

User = get_user_model()
PAGE = "/qui-fait-quoi/"
MANAGE = "/equipe/organisation/"
INLINE = r"</?(?:a|strong|em|span|b|abbr|code)(?:\s[^>]*)?>"


def words(html: str) -> str:
    """The words of some HTML as a reader gets them: tags out, entities decoded, spaces collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(INLINE, "", html)
    html = re.sub(r"<[^>]+>", " ", html)
    return " ".join(unescape(html).split())


def main_text(response) -> str:
    """The words of the page's <main>."""
    content = response.content.decode()
    return words(content[content.index("<main") : content.index("</main>")])


def person(username: str):
    return User.objects.get(username=username)


@pytest.fixture
def staff_client(client, organisation):
    client.force_login(person("emilie.grenat"))
    return client


# --- « Qui fait quoi ? » --------------------------------------------------------------------------


def test_the_page_without_an_organisation_says_so(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "L'organisation n'a pas encore été chargée." in main_text(response)


def test_the_page_shows_the_whole_organisation(client, organisation):
    response = client.get(PAGE)
    assert response.status_code == 200
    page = main_text(response)
    department = Department.objects.get()
    assert page.startswith("Qui fait quoi à l'Incubateur ?")
    assert department.short_description in page
    assert department.description in page
    assert "écris à dinum@beta.gouv.fr ou utilise la chaîne ~incubateur-animation sur Mattermost." in page
    for pole in Pole.objects.with_current_positions():
        assert pole.name in page
        assert pole.mission in page
        if pole.slug != "partenariats":
            for position in pole.current_positions:
                assert f"{position.person.get_full_name()}, {position.title}" in page
    # Everyone appears, by their full name.
    for user in User.objects.all():
        assert user.get_full_name() in page
    # The portfolio table, row by row: manager, portfolio, ministries, themes.
    for portfolio in Portfolio.objects.select_related("manager"):
        row = " ".join(
            [
                portfolio.manager.get_full_name(),
                portfolio.label,
                ", ".join(portfolio.ministry_labels) or "—",
                ", ".join(portfolio.themes) or "—",
            ]
        )
        assert row in page, row
    assert "Pierre Boussole Justice Justice Justice" in page
    assert "Gaël Ivoire Logement — Logement" in page
    for reason in Reason.objects.all():
        assert reason.title in page
    for commitment in Commitment.objects.all():
        assert f"{commitment.title}. {commitment.text}" in page
    assert department.commitments_intro in page
    assert department.commitments_outro in page
    assert department.recruitment in page
    for channel in ContactChannel.objects.all():
        assert channel.label in page
    html = response.content.decode()
    assert 'href="mailto:dinum@beta.gouv.fr"' in html
    assert 'href="mailto:animation@beta.gouv.fr"' in html
    assert 'href="https://beta.gouv.fr/recrutement"' in html
    assert 'href="https://mattermost.incubateur.net/betagouv/channels/incubateur-animation"' in html
    # Every name links to the person's page; no space between a name and the comma that follows it.
    assert (
        '<a href="/qui-fait-quoi/odilon.bastide/"><span class="fr-text--bold">Odilon Bastide</span></a>, '
        "Expert accélération</li>" in html
    )
    # Links in a pole's note are clickable.
    assert 'href="https://eig.numerique.gouv.fr/participer/candidats/"' in html


def test_the_page_has_the_sections_in_order(client, organisation):
    page = main_text(client.get(PAGE))
    headings = [
        "Rechercher",
        "Qui contacter pour mon ministère ?",
        "L'Équipe de Direction et Opérations",
        "Le Pôle Partenariats / Responsables de Portefeuille Ministériel",
        "Le programme Entrepreneur(e)s d'Intérêt Général (EIG)",
        "Pourquoi faire appel à l'Incubateur de services numériques ?",
        "Engagements envers la communauté",
        "Rejoindre l'Incubateur de services numériques",
        "Contacter l'Incubateur de services numériques",
    ]
    positions = [page.index(heading) for heading in headings]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    "query,count,hit",
    [
        ("gael", 2, "Gaël Ivoire, Responsable du pôle, coach — Le pôle Coaching produit"),
        ("GAËL", 2, "Gaël Ivoire, Responsable de portefeuille : Logement — Le Pôle Partenariats"),
        ("caius", 1, "Caïus Marelle, Expert accélération — Le Pôle Accélération"),
        ("justice", 1, "Pierre Boussole, Responsable de portefeuille : Justice — Le Pôle Partenariats"),
        ("cyber", 1, "Eline Le Brizec, Responsable de portefeuille : Santé, Solidarités, Cybersécurité et IA"),
        ("acceleration", 7, "Odilon Bastide, Expert accélération — Le Pôle Accélération"),
    ],
)
def test_search_on_the_page(client, organisation, query, count, hit):
    response = client.get(PAGE, {"q": query})
    assert len(response.context["hits"]) == count
    page = main_text(response)
    assert f"{count} résultat{'s' if count > 1 else ''} pour « {query} » :" in page
    assert hit in page


def test_a_search_result_links_to_its_pole(client, organisation):
    html = client.get(PAGE, {"q": "caius"}).content.decode()
    assert '<a href="#pole-acceleration">Le Pôle Accélération</a>' in html
    assert 'id="pole-acceleration"' in html


def test_a_search_for_the_members_of_a_pole_lists_them_all(client, organisation):
    response = client.get(PAGE, {"q": "acceleration"})
    members = Position.objects.current().filter(pole__slug="acceleration").select_related("person")
    assert {hit.username for hit in response.context["hits"]} == {p.person.username for p in members}


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_search_shows_no_result_block(client, organisation, query):
    response = client.get(PAGE, {"q": query})
    assert response.context["hits"] is None
    assert "résultat" not in main_text(response)


def test_a_search_without_results_says_what_to_try(client, organisation):
    page = main_text(client.get(PAGE, {"q": "astronomie"}))
    assert "Aucun résultat pour « astronomie ». Essayez un nom" in page


def test_the_query_is_escaped(client, organisation):
    html = client.get(PAGE, {"q": "<b>Gaël</b>"}).content.decode()
    assert "<b>Gaël</b>" not in html
    assert "&lt;b&gt;Gaël&lt;/b&gt;" in html


def test_too_long_a_query_is_a_field_error(client, organisation):
    response = client.get(PAGE, {"q": "x" * 101})
    assert response.status_code == 200
    assert response.context["hits"] is None
    assert "au plus 100 caractères" in main_text(response)


def test_who_to_contact_for_a_ministry(client, organisation):
    response = client.get(PAGE, {"ministere": "justice"})
    page = main_text(response)
    assert (
        "Pour Justice, votre interlocuteur est Pierre Boussole, responsable du portefeuille Justice. "
        "Écrivez-lui à pierre.boussole@beta.gouv.fr." in page
    )
    assert (
        '<a href="mailto:pierre.boussole@beta.gouv.fr">pierre.boussole@beta.gouv.fr</a>' in response.content.decode()
    )
    # The answered ministry stays selected.
    assert '<option value="justice" selected>Justice</option>' in response.content.decode()


def test_who_to_contact_for_a_ministry_no_portfolio_covers(client, organisation):
    page = main_text(client.get(PAGE, {"ministere": "spm"}))
    assert (
        "Pour Services du Premier ministre, votre interlocuteur est Igor Balise. "
        "Écrivez-lui à igor.balise@beta.gouv.fr (aucun portefeuille ne couvre ce périmètre : "
        "L'Équipe de Direction et Opérations prend le relais)." in page
    )


def test_who_to_contact_for_a_vacant_portfolio(client, organisation):
    services.portfolio_set_manager(portfolio=Portfolio.objects.get(slug="justice"), manager=None, by=None)
    page = main_text(client.get(PAGE, {"ministere": "justice"}))
    assert "Personne n'est responsable de ce périmètre en ce moment : écrivez à dinum@beta.gouv.fr." in page
    assert "Poste vacant Justice Justice Justice" in page


def test_an_unknown_ministry_is_a_field_error_not_a_server_error(client, organisation):
    response = client.get(PAGE, {"ministere": "atlantide"})
    assert response.status_code == 200
    assert response.context["contact"] is None
    html = response.content.decode()
    group = html[
        html.index('<div class="fr-select-group fr-select-group--error">') : html.index("Trouver mon interlocuteur")
    ]
    assert 'name="ministere"' in group
    assert 'aria-describedby="id_ministere-desc-error"' in group
    assert "Sélectionnez un choix valide. atlantide n’en fait pas partie." in unescape(group)
    assert "votre interlocuteur" not in main_text(response)


def test_search_and_ministry_together(client, organisation):
    response = client.get(PAGE, {"q": "caius", "ministere": "culture"})
    page = main_text(response)
    assert "1 résultat pour « caius » :" in page
    assert "Pour Culture, votre interlocuteur est Albert Zodiaque" in page


def _add_people(count: int) -> None:
    poles = list(Pole.objects.exclude(slug="partenariats"))
    for i in range(count):
        newcomer = UserFactory(username=f"nouveau{i}.membre", first_name=f"Nouveau{i}", last_name="Membre")
        services.position_add(pole=poles[i % len(poles)], person=newcomer, title=f"Rôle {i}", by=None)
    portfolio = Portfolio.objects.get(slug="interieur")
    services.portfolio_set_manager(portfolio=portfolio, manager=User.objects.get(username="nouveau0.membre"), by=None)


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "e"}, {"ministere": "justice"}, {"ministere": "spm", "q": "membre"}],
    ids=["page", "search", "ministry", "fallback-and-search"],
)
def test_the_query_count_stays_flat_when_people_are_added(client, organisation, params):
    client.get(PAGE, params)  # warm caches (content types, sessions)
    cold, warm = _queries(client, PAGE, params, cold=True), _queries(client, PAGE, params, cold=False)
    assert warm < cold
    assert warm <= 8  # the page as people get it; the cold path runs once per change of the organisation
    _add_people(20)
    assert _queries(client, PAGE, params, cold=True) == cold
    assert _queries(client, PAGE, params, cold=False) == warm
    assert "Nouveau19 Membre, Rôle 19" in main_text(client.get(PAGE, params))


def test_a_change_is_visible_at_once_despite_the_cache(client, organisation):
    assert "Nouveau0 Membre" not in main_text(client.get(PAGE))
    _add_people(1)
    assert "Nouveau0 Membre, Rôle 0" in main_text(client.get(PAGE))


def _queries(client, url, params=None, *, cold: bool) -> int:
    """Queries of one request; `cold`: with the cached fragments made stale first."""
    if cold:
        organisation_cache.bump()
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, params or {})
    return len(ctx.captured_queries)


def test_the_staff_page_query_count_stays_flat(staff_client, django_assert_num_queries):
    staff_client.get(MANAGE)
    with CaptureQueriesContext(connection) as first:
        staff_client.get(MANAGE)
    _add_people(20)
    with django_assert_num_queries(len(first.captured_queries)):
        staff_client.get(MANAGE)


# --- Staff pages -----------------------------------------------------------------------------------


def test_the_manage_page_lists_portfolios_and_poles(staff_client):
    response = staff_client.get(MANAGE)
    assert response.status_code == 200
    page = main_text(response)
    assert "Pierre Boussole Changer le responsable du portefeuille Justice" in page
    assert "Odilon Bastide Expert accélération Terminer ce poste de Odilon Bastide" in page
    html = response.content.decode()
    assert 'href="/equipe/organisation/portefeuilles/justice/"' in html
    assert 'href="/equipe/organisation/poles/animation/ajouter/"' in html
    # Portfolio positions are changed through their portfolio, not ended from a pole's table.
    assert 'href="/equipe/organisation/poles/partenariats/ajouter/"' not in html
    for position in Position.objects.current().filter(portfolio__isnull=False):
        assert f'href="/equipe/organisation/postes/{position.pk}/terminer/"' not in html


def test_the_portfolio_form_shows_the_current_manager(staff_client):
    html = staff_client.get("/equipe/organisation/portefeuilles/justice/").content.decode()
    assert "Portefeuille « Justice »" in unescape(html)
    assert (
        f'<option value="{person("pierre.boussole").pk}" selected>Pierre Boussole (pierre.boussole)</option>' in html
    )


def test_changing_a_portfolio_manager_shows_on_the_public_page_and_in_the_journal(staff_client):
    gael = person("gael.ivoire")
    response = staff_client.post("/equipe/organisation/portefeuilles/justice/", {"manager": gael.pk}, follow=True)
    assert response.redirect_chain == [(MANAGE, 302)]
    assert "Le portefeuille « Justice » a été mis à jour." in main_text(response)
    assert Portfolio.objects.get(slug="justice").manager == gael

    page = main_text(staff_client.get(PAGE))
    assert "Gaël Ivoire Justice Justice Justice" in page
    assert "Pierre Boussole Justice" not in page
    answer = main_text(staff_client.get(PAGE, {"ministere": "justice"}))
    assert "Pour Justice, votre interlocuteur est Gaël Ivoire, responsable du portefeuille Justice." in answer

    journal = main_text(staff_client.get("/equipe/journal/"))
    assert "Emilie Grenat Gaël Ivoire est désormais responsable du portefeuille Justice Justice Publique" in journal
    entry = JournalEntry.objects.get(action="organisation.portfolio_manager", actor=person("emilie.grenat"))
    assert entry.visibility == Visibility.PUBLIC


def test_leaving_a_portfolio_vacant_from_the_form(staff_client):
    response = staff_client.post("/equipe/organisation/portefeuilles/interieur/", {"manager": ""})
    assert response.status_code == 302
    assert Portfolio.objects.get(slug="interieur").manager is None
    assert "Poste vacant Intérieur Intérieur —" in main_text(staff_client.get(PAGE))


def test_an_unknown_manager_is_a_field_error(staff_client):
    response = staff_client.post("/equipe/organisation/portefeuilles/justice/", {"manager": "999999"})
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in main_text(response)
    assert 'aria-describedby="id_manager-desc-error"' in response.content.decode()
    assert Portfolio.objects.get(slug="justice").manager == person("pierre.boussole")


def test_an_unknown_portfolio_or_pole_is_a_404(staff_client):
    assert staff_client.get("/equipe/organisation/portefeuilles/atlantide/").status_code == 404
    assert staff_client.get("/equipe/organisation/poles/atlantide/ajouter/").status_code == 404
    assert staff_client.get("/equipe/organisation/postes/999999/terminer/").status_code == 404


def test_adding_a_position(staff_client):
    newcomer = UserFactory(username="camille.durand", first_name="Camille", last_name="Durand")
    url = "/equipe/organisation/poles/animation/ajouter/"
    form = staff_client.get(url).content.decode()
    assert f'<option value="{newcomer.pk}">Camille Durand (camille.durand)</option>' in form

    response = staff_client.post(url, {"person": newcomer.pk, "title": "Animatrice"}, follow=True)

    assert response.redirect_chain == [(MANAGE, 302)]
    assert "Camille Durand a rejoint Le Pôle Animation et Expertises." in main_text(response)
    position = Position.objects.current().get(person=newcomer)
    assert (position.pole.slug, position.title, position.is_lead) == ("animation", "Animatrice", False)
    newcomer.refresh_from_db()
    assert newcomer.is_incubator_staff
    assert "Camille Durand, Animatrice" in main_text(staff_client.get(PAGE))
    assert "Camille Durand a rejoint Le Pôle Animation et Expertises (Animatrice)" in main_text(
        staff_client.get("/equipe/journal/")
    )


def test_adding_a_lead(staff_client):
    newcomer = UserFactory(username="camille.durand")
    url = "/equipe/organisation/poles/animation/ajouter/"
    staff_client.post(url, {"person": newcomer.pk, "title": "Responsable", "is_lead": "on"})
    assert Pole.objects.get(slug="animation").lead == newcomer


@pytest.mark.parametrize(
    "data,field,error",
    [
        ({"title": "Animatrice"}, "person", "Choisissez une personne."),
        ({"person": "PERSON"}, "title", "Indiquez son rôle dans le pôle."),
        ({"person": "PERSON", "title": "x" * 201}, "title", "au plus 200 caractères"),
    ],
    ids=["no-person", "no-title", "title-too-long"],
)
def test_the_add_form_shows_errors_next_to_their_field(staff_client, data, field, error):
    newcomer = UserFactory(username="camille.durand")
    data = {k: newcomer.pk if v == "PERSON" else v for k, v in data.items()}
    response = staff_client.post("/equipe/organisation/poles/animation/ajouter/", data)
    assert response.status_code == 200
    html = unescape(response.content.decode())
    # The message sits in the field's group, tied to its input by aria-describedby.
    group = re.search(
        r'<div class="fr-(?:input|select)-group fr-(?:input|select)-group--error">\s*'
        rf'<label for="id_{field}".*?</div>\s*</div>',
        html,
        flags=re.S,
    )
    assert group is not None, html
    assert f'aria-describedby="id_{field}-desc-error"' in group.group()
    assert error in group.group()
    assert len(re.findall(r'class="fr-error-text"', html)) == 1
    assert not Position.objects.current().filter(person=newcomer).exists()
    # What was typed is kept.
    if "title" in data and len(data["title"]) < 10:
        assert f'value="{data["title"]}"' in html
    if "person" in data:
        assert f'<option value="{newcomer.pk}" selected>' in html


def test_ending_a_position_asks_for_confirmation_then_ends_it(staff_client):
    position = Position.objects.current().get(person__username="odilon.bastide")
    url = f"/equipe/organisation/postes/{position.pk}/terminer/"

    confirmation = staff_client.get(url)
    assert confirmation.status_code == 200
    assert (
        "Odilon Bastide quittera Le Pôle Accélération (Expert accélération). "
        "Son historique est conservé et le changement sera publié dans le journal." in main_text(confirmation)
    )
    position.refresh_from_db()
    assert position.is_current  # the GET changed nothing

    response = staff_client.post(url, follow=True)
    assert response.redirect_chain == [(MANAGE, 302)]
    assert "Odilon Bastide a quitté Le Pôle Accélération." in main_text(response)
    position.refresh_from_db()
    assert not position.is_current
    odilon = person("odilon.bastide")
    assert odilon.is_active
    assert not odilon.is_incubator_staff
    assert "Odilon Bastide" not in main_text(staff_client.get(PAGE))
    assert "Odilon Bastide a quitté Le Pôle Accélération (Expert accélération)" in main_text(
        staff_client.get("/equipe/journal/")
    )
    # Once ended, there is nothing left to end.
    assert staff_client.get(url).status_code == 404
    assert staff_client.post(url).status_code == 404


def test_a_portfolio_position_cannot_be_ended_from_its_pole(staff_client):
    position = Position.objects.current().get(portfolio__slug="justice")
    url = f"/equipe/organisation/postes/{position.pk}/terminer/"
    assert staff_client.get(url).status_code == 404
    assert staff_client.post(url).status_code == 404
    position.refresh_from_db()
    assert position.is_current


def test_a_member_of_the_community_cannot_change_anything(client, organisation):
    client.force_login(UserFactory())
    position = Position.objects.current().get(person__username="odilon.bastide")
    rows = JournalEntry.objects.count()
    assert client.post("/equipe/organisation/portefeuilles/justice/", {"manager": ""}).status_code == 404
    assert client.post(f"/equipe/organisation/postes/{position.pk}/terminer/").status_code == 404
    newcomer = UserFactory(username="camille.durand")
    data = {"person": newcomer.pk, "title": "Intruse"}
    assert client.post("/equipe/organisation/poles/animation/ajouter/", data).status_code == 404
    assert Portfolio.objects.get(slug="justice").manager == person("pierre.boussole")
    position.refresh_from_db()
    assert position.is_current
    assert not Position.objects.filter(person=newcomer).exists()
    assert JournalEntry.objects.count() == rows


def test_someone_who_leaves_the_incubator_loses_the_staff_pages(client, organisation):
    odilon = person("odilon.bastide")
    client.force_login(odilon)
    assert client.get(MANAGE).status_code == 200
    services.position_end(position=Position.objects.current().get(person=odilon), by=None)
    assert client.get(MANAGE).status_code == 404
