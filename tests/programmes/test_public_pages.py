"""The public pages of the programmes: the programmes and their calls, a call, its results; « Mes candidatures »."""

import datetime
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incubateur.programmes import services
from incubateur.programmes.models import Application, ApplicationStatus, Call, Programme
from incubateur.programmes.selectors import public as selectors
from incubateur.registry.models import Member
from tests.factories import UserFactory
from tests.organisation.helpers import justice_product
from tests.programmes.factories import close, fast_call
from tests.registry.factories import MissionFactory, team_member

NBSP, NNBSP = "\u00a0", "\u202f"
INDEX = "/programmes/"
MINE = "/programmes/candidatures/"


def words(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?(?:a|strong|em|span|b|abbr|code)(?:\s[^>]*)?>", "", html)
    html = re.sub(r"<[^>]+>", " ", html)
    # Only ASCII spaces collapse: the no-break spaces of amounts (12 345 €) stay as they are.
    return re.sub(r"[ \t\r\n]+", " ", unescape(html)).strip()


def main_html(response) -> str:
    content = response.content.decode()
    return content[content.index("<main") : content.index("</main>")]


def main_text(response) -> str:
    return words(
        re.sub(r'<nav role="navigation" class="fr-breadcrumb".*?</nav>', " ", main_html(response), flags=re.S)
    )


def paris(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=ZoneInfo("Europe/Paris"))


def days(n: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=n)


def historical_edition(number: int, laureates: list[tuple[object, int | None]]) -> Call:
    """A past FAST edition as the registry import creates it (no dates, its laureates only)."""
    programme, _ = Programme.objects.get_or_create(slug="fast", defaults={"name": "FAST"})
    call = Call.objects.create(programme=programme, number=number, title=f"FAST {number}", historical=True)
    for product, amount in laureates:
        Application.objects.create(
            call=call, product=product, status=ApplicationStatus.LAUREATE, amount_granted=amount
        )
    return call


def decided(call, team, *, other):
    """Two applications to `call`: the team's (laureate, 200 000 €) and `other`'s (not selected), decided, not
    published."""
    laureate = services.application_start(call=call, user=team.member, product=team.product)
    services.application_save_draft(
        application=laureate,
        user=team.member,
        answers={"probleme": "Papier", "impact": "Mesuré"},
        stated_budget=400_000,
    )
    services.application_submit(application=laureate, user=team.member)
    rejected = services.application_start(call=call, user=other["member"], product=other["product"])
    services.application_save_draft(
        application=rejected, user=other["member"], answers={"probleme": "X", "impact": "Y"}, stated_budget=100_000
    )
    services.application_submit(application=rejected, user=other["member"])
    for application in (laureate, rejected):
        services.application_status_set(application=application, actor=team.staff, status="en-instruction")
    close(call)
    services.application_decide(
        application=laureate, actor=team.staff, decision="laureate", amount=200_000, confirm_without_review=True
    )
    services.application_decide(
        application=rejected,
        actor=team.staff,
        decision="non-retenue",
        reasons="Impact pas encore mesuré.",
        confirm_without_review=True,
    )
    return laureate, rejected


@pytest.fixture
def other(team):
    product = justice_product(ghid="registre-secret", name="Registre Confidentiel")
    return {"product": product, "member": team_member(product, username="sacha.autre")}


# --- /programmes/ ------------------------------------------------------------------------------------------------


def test_the_index_lists_open_calls_first_then_upcoming_then_past_with_the_fast_history(client, db):
    programme = Programme.objects.create(slug="consolidation", name="Programme de consolidation", order=1)
    Call.objects.create(
        programme=programme,
        title="Consolidation 2026",
        opens_at=days(-10),
        closes_at=days(20),
        description="Six mois d'accompagnement.",
    )
    Call.objects.create(programme=programme, title="Consolidation 2027", opens_at=days(60), closes_at=days(90))
    Call.objects.create(programme=programme, title="Consolidation 2025", opens_at=days(-400), closes_at=days(-300))
    Call.objects.create(programme=programme, title="Consolidation brouillon")  # not announced: not listed
    fast = fast_call(title="FAST 18", number=18, closes_at=paris(2099, 1, 15, 18, 0))
    for number in range(1, 18):  # the past FAST editions, imported: many, and FAST comes first of the programmes
        historical_edition(number, [])

    response = client.get(INDEX)

    assert response.status_code == 200
    text = main_text(response)
    assert "Consolidation brouillon" not in text
    # Every programme's open calls first (closing soonest first), then the upcoming ones, then each programme (FAST,
    # order 0, before consolidation, order 1) with its past calls and editions.
    order = [
        "Appels ouverts",
        "Consolidation 2026",
        "FAST 18",
        "Appels à venir",
        "Consolidation 2027",
        "Les programmes et leurs éditions passées",
        "FAST 17",
        "FAST 1 ",
        "Consolidation 2025",
    ]
    positions = [text.index(title) for title in order]
    assert positions == sorted(positions), text
    assert "Appels ouverts Consolidation 2026 ouvert Programme de consolidation Ouvert jusqu'au" in text
    assert "FAST 18 ouvert FAST Ouvert jusqu'au 15 janvier 2099 à 18:00 (heure de Paris)" in text
    assert "Appels à venir Consolidation 2027 à venir Programme de consolidation Ouvre le" in text
    assert "FAST 17 résultats publiés Édition passée — les lauréats de FAST 17" in text
    html = main_html(response)
    assert f'href="/programmes/appels/{fast.pk}/"' in html
    assert "Mes candidatures" not in text  # anonymous


def test_the_open_calls_of_every_programme_closing_soonest_first(db):
    consolidation = Programme.objects.create(slug="consolidation", name="Programme de consolidation", order=1)
    later = fast_call(title="FAST 18", number=18, closes_at=days(40))
    sooner = Call.objects.create(programme=consolidation, title="Conso", opens_at=days(-1), closes_at=days(5))
    Call.objects.create(programme=consolidation, title="Passé", opens_at=days(-40), closes_at=days(-5))
    Call.objects.create(programme=consolidation, title="À venir", opens_at=days(15), closes_at=days(50))
    historical_edition(17, [])
    assert [card.call for card in selectors.open_calls()] == [sooner, later]
    assert [(card.call, card.state) for card in selectors.open_calls(limit=1)] == [(sooner, "ouvert")]
    assert [card.call for card in selectors.open_calls(now=days(10))] == [later]


def test_the_index_says_when_no_call_is_announced(client, db):
    Programme.objects.create(slug="eig", name="EIG")
    response = client.get(INDEX)
    assert "Aucun appel n'est encore annoncé." in main_text(response)
    assert "EIG" not in main_text(response)


def test_the_index_reads_a_flat_number_of_queries(client, db):
    fast_call()
    historical_edition(17, [])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(INDEX).status_code == 200
        return len(queries)

    before = count()
    for i in range(5):
        programme = Programme.objects.create(slug=f"programme-{i}", name=f"Programme {i}", order=i + 2)
        Call.objects.create(programme=programme, title=f"Ouvert {i}", opens_at=days(-1), closes_at=days(10))
        Call.objects.create(programme=programme, title=f"Passé {i}", opens_at=days(-100), closes_at=days(-50))
        historical_edition(i + 1, [(justice_product(ghid=f"laureat-{i}", name=f"Lauréat {i}"), 1000)])
    assert count() == before


def test_the_header_links_to_the_programmes(client, db):
    response = client.get("/")
    assert 'href="/programmes/"' in response.content.decode()


# --- A call ------------------------------------------------------------------------------------------------------


def test_a_call_shows_its_rules_to_anonymous_people_and_asks_them_to_log_in_to_apply(client, db):
    call = fast_call(
        opens_at=paris(2026, 11, 1, 9, 0),
        closes_at=paris(2027, 3, 29, 12, 0),
        description="Le fonds d'accélération des startups d'État.",
    )
    response = client.get(f"/programmes/appels/{call.pk}/")

    assert response.status_code == 200
    text = main_text(response)
    assert "FAST 18 ouvert Programme : FAST" in text
    assert "Le fonds d'accélération des startups d'État." in text
    assert "Ouverture : 1er novembre 2026 à 09:00 (heure de Paris)" in text
    assert "Clôture : 29 mars 2027 à 12:00 (heure de Paris)" in text
    assert "Une équipe produit, par l'un de ses membres actifs : une seule candidature par produit." in text
    assert f"Enveloppe de l'appel : 1{NNBSP}000{NNBSP}000{NBSP}€" in text
    assert f"Plafond par candidature : 300{NNBSP}000{NBSP}€" in text
    assert "Part maximale de co-financement : 50 % du budget du projet" in text
    assert "Code source ouvert (vérifié automatiquement au dépôt : le code source est public)" in text
    assert "Stratégie de passage à l'échelle (vérifié par l'équipe de l'Incubateur)" in text
    assert "Impact — 3 sur 8 Maturité — 2 sur 8 Ambition — 2 sur 8 Soutien — 1 sur 8" in text
    assert "Le problème, chiffré (texte long)" in text
    assert "Page de statistiques (adresse web, optionnelle)" in text
    html = main_html(response)
    assert (
        f'href="/connexion/?next=%2Fprogrammes%2Fappels%2F{call.pk}%2Fcandidater%2F">Se connecter pour candidater'
        in html
    )
    assert "résultats" not in text.lower().replace("résultats publiés", "")


def test_a_logged_in_member_gets_the_apply_button_and_their_team_s_application(client, team, call):
    client.force_login(team.teammate)
    response = client.get(f"/programmes/appels/{call.pk}/")
    assert f'<a class="fr-btn" href="/programmes/appels/{call.pk}/candidater/">Candidater</a>' in main_html(response)

    application = services.application_start(call=call, user=team.member, product=team.product)
    response = client.get(f"/programmes/appels/{call.pk}/")
    assert f'href="/programmes/candidatures/{application.pk}/"' in main_html(response)
    assert "Votre candidature pour Justice pour tous (brouillon)" in main_text(response)


def test_a_closed_call_has_no_apply_button(client, db):
    call = fast_call(opens_at=days(-60), closes_at=days(-1))
    text = main_text(client.get(f"/programmes/appels/{call.pk}/"))
    assert "FAST 18 clos" in text
    assert "candidater" not in main_html(client.get(f"/programmes/appels/{call.pk}/")).replace(
        "Qui peut candidater", ""
    )


def test_a_call_not_announced_is_404_except_for_staff_who_preview_it(client, team):
    programme = Programme.objects.create(slug="findpe", name="FINDPE")
    draft = Call.objects.create(programme=programme, title="FINDPE 2027")
    assert client.get(f"/programmes/appels/{draft.pk}/").status_code == 404
    client.force_login(team.member)
    assert client.get(f"/programmes/appels/{draft.pk}/").status_code == 404
    assert client.get(f"/programmes/appels/{draft.pk}/candidater/").status_code == 404
    client.force_login(team.staff)
    response = client.get(f"/programmes/appels/{draft.pk}/")
    assert response.status_code == 200
    assert "Aperçu : cet appel n'est pas encore annoncé." in main_text(response)
    assert client.get("/programmes/appels/999999/").status_code == 404


# --- Results -----------------------------------------------------------------------------------------------------


def test_results_are_404_before_publication_then_public_without_the_names_of_those_not_selected(client, team, other):
    call = fast_call()
    laureate, rejected = decided(call, team, other=other)
    url = f"/programmes/appels/{call.pk}/resultats/"

    assert client.get(url).status_code == 404
    assert "résultats" not in main_text(client.get(f"/programmes/appels/{call.pk}/")).replace("publiés", "")
    client.force_login(team.member)
    assert client.get(url).status_code == 404
    client.force_login(team.staff)
    preview = client.get(url)
    assert preview.status_code == 200
    assert "Aperçu : ces résultats ne sont pas publiés." in main_text(preview)

    services.results_publish(call=call, actor=team.staff)
    client.logout()
    response = client.get(url)

    assert response.status_code == 200
    text = main_text(response)
    assert f"1 lauréat, 200{NNBSP}000{NBSP}€ au total, sur 2 candidatures reçues." in text
    assert f"Justice pour tous 200{NNBSP}000{NBSP}€ Total 200{NNBSP}000{NBSP}€" in text
    assert '<a href="/produits/justice-pour-tous/">Justice pour tous</a>' in main_html(response)
    assert "Aperçu" not in text
    # Never the names of those not selected, anywhere on the page.
    assert "Registre Confidentiel" not in response.content.decode()
    assert "registre-secret" not in response.content.decode()
    # The call's page links to its results now.
    assert f'href="/programmes/appels/{call.pk}/resultats/">Les résultats' in main_html(
        client.get(f"/programmes/appels/{call.pk}/")
    )


def test_a_historical_fast_edition_shows_its_laureates(client, db):
    a = justice_product(ghid="a-just", name="A-Just")
    b = justice_product(ghid="b-just", name="B-Just")
    call = historical_edition(17, [(a, 150_000), (b, None)])

    response = client.get(f"/programmes/appels/{call.pk}/resultats/")

    assert response.status_code == 200
    text = main_text(response)
    assert "Édition passée, importée de beta.gouv.fr" in text
    assert f"nomment 2 lauréats de cette édition, 150{NNBSP}000{NBSP}€ au total." in text
    assert f"A-Just 150{NNBSP}000{NBSP}€ B-Just — Total connu 150{NNBSP}000{NBSP}€" in text
    call_text = main_text(client.get(f"/programmes/appels/{call.pk}/"))
    assert "Édition passée, importée de beta.gouv.fr." in call_text
    assert f"A-Just 150{NNBSP}000{NBSP}€" in call_text  # the edition's page shows them too
    assert "Candidater" not in call_text


EDITION_12 = """
<h1>FAST 12 - Janvier 2023</h1>

<!-- Le Fonds pour l'accélération -->

<div class="fr-text--lead">
Suite à l'analyse des candidatures, le Comité d'investissement de la 12ème
édition du FAST a sélectionné 10 lauréats :
</div>

## Les lauréats

- **L'Accélérateur de la transition écologique** : 200 000 €
"""


def test_a_past_edition_shows_its_own_text_rendered_never_no_laureate(client, db):
    """FAST 12's text names ten laureates the product files do not carry: its pages show the text (rendered, its
    title heading left to the page's <h1>), never "aucun lauréat" nor "0 lauréat"."""
    call = historical_edition(12, [])
    Call.objects.filter(pk=call.pk).update(description=EDITION_12)
    for url in (f"/programmes/appels/{call.pk}/", f"/programmes/appels/{call.pk}/resultats/"):
        response = client.get(url)
        assert response.status_code == 200
        html, text = main_html(response), main_text(response)
        assert "a sélectionné 10 lauréats" in text
        assert "L'Accélérateur de la transition écologique : 200 000 €" in text
        assert "<strong>L&#x27;Accélérateur" in html or "<strong>L'Accélérateur" in html  # Markdown, rendered
        assert "**" not in text and "<!--" not in html and "Le Fonds pour" not in text
        assert html.count("<h1") == 1 and "FAST 12 - Janvier 2023</h" not in html.replace("<h1>FAST 12", "")
        assert "Les fiches des produits ne nomment pas les lauréats de cette édition : son texte les présente" in text
        assert not re.search(r"aucun lauréat|pas de lauréat|(?<!\d)0 lauréat", text, re.IGNORECASE), url


def test_a_past_edition_without_text_nor_laureate_says_they_are_not_known(client, db):
    call = historical_edition(15, [])
    text = main_text(client.get(f"/programmes/appels/{call.pk}/resultats/"))
    assert "Les lauréats de cette édition ne sont pas connus ici" in text
    assert not re.search(r"aucun lauréat|pas de lauréat|(?<!\d)0 lauréat", text, re.IGNORECASE)


# --- Mes candidatures --------------------------------------------------------------------------------------------


def test_mine_lists_the_person_s_and_their_teams_applications_only(client, team, call, other):
    started = services.application_start(call=call, user=team.member, product=team.product)
    elsewhere = services.application_start(call=call, user=other["member"], product=other["product"])

    client.force_login(team.teammate)
    response = client.get(MINE)
    assert response.status_code == 200
    assert [a.pk for a in response.context["page_obj"]] == [started.pk]
    text = main_text(response)
    assert "Justice pour tous — FAST 18 FAST 18 FAST Brouillon" in text

    # A member of the Incubator sees every application on the staff pages, not in « Mes candidatures ».
    client.force_login(team.staff)
    response = client.get(MINE)
    assert list(response.context["page_obj"]) == []
    assert "Vous n'avez encore aucune candidature." in main_text(response)
    assert elsewhere.pk


def test_mine_reads_a_flat_number_of_queries(client, team):
    client.force_login(team.member)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(MINE).status_code == 200
        return len(queries)

    services.application_start(call=fast_call(number=1, title="FAST 1"), user=team.member, product=team.product)
    before = count()
    for i in range(2, 8):
        product = justice_product(ghid=f"produit-{i}", name=f"Produit {i}")
        team_member(product, username=f"membre.{i}")
        MissionFactory(member=Member.objects.get(user=team.member), products=[product])
        services.application_start(call=fast_call(number=i, title=f"FAST {i}"), user=team.member, product=product)
    assert len(client.get(MINE).context["page_obj"]) == 7
    assert count() == before


def test_mine_is_for_logged_in_people(client, db):
    response = client.get(MINE)
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/?next=")
    client.force_login(UserFactory())
    assert client.get(MINE).status_code == 200
