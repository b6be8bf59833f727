"""The registry's public pages: products (list, filters, search, page), incubators, organisations, members."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incubateur.registry.models import Phase, ProductIncubator, ProductSponsor
from incubateur.registry.selectors import pages
from tests.factories import UserFactory
from tests.organisation.helpers import load_organisation
from tests.registry.factories import (
    IncubatorFactory,
    MemberFactory,
    MissionFactory,
    OrganisationFactory,
    ProductFactory,
    TeamFactory,
)

PRODUCTS = "/produits/"
INCUBATORS = "/incubateurs/"
TODAY = timezone.localdate()
INLINE = r"</?(?:a|strong|em|span|b|abbr|code)(?:\s[^>]*)?>"


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def long_date(value: datetime.date) -> str:
    return date_filter(value, "j F Y")


def words(html: str) -> str:
    """The words of some HTML as a reader gets them: tags out, entities decoded, spaces collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(INLINE, "", html)
    html = re.sub(r"<[^>]+>", " ", html)
    return " ".join(unescape(html).split())


def main_html(response) -> str:
    content = response.content.decode()
    return content[content.index("<main") : content.index("</main>")]


def main_text(response) -> str:
    """The words of the page's <main>, without the breadcrumb (see `breadcrumb()`)."""
    return words(
        re.sub(r'<nav role="navigation" class="fr-breadcrumb".*?</nav>', " ", main_html(response), flags=re.S)
    )


def breadcrumb(response) -> str:
    html = main_html(response)
    return words(html[html.index('<nav role="navigation" class="fr-breadcrumb"') : html.index("</nav>")])


def listed(response) -> list[str]:
    """The names of the products on a page of the list, in order."""
    return [product.name for product in response.context["page_obj"]]


def phase(product, name, start, end=None, comment=""):
    return Phase.objects.create(product=product, name=name, start=start, end=end, comment=comment)


def co_incubate(product, incubator):
    return ProductIncubator.objects.create(product=product, incubator=incubator, is_principal=False, order=1)


def sponsor(product, organisation, order=0):
    return ProductSponsor.objects.create(product=product, organisation=organisation, order=order)


@pytest.fixture
def world():
    """A small registry: two incubators, three sponsors, four products in various phases, a team."""
    dinum = OrganisationFactory(ghid="dinum", name="Direction interministérielle du numérique", acronym="DINUM")
    dinum.domaine_ministeriel = "spm"
    dinum.save()
    justice = OrganisationFactory(ghid="ministere-justice", name="Ministère de la Justice", acronym="MJ")
    sante = OrganisationFactory(ghid="ministere-sante", name="Ministère de la Santé", acronym="MS")
    sante.domaine_ministeriel = "solidarite-sante"
    sante.save()
    beta = IncubatorFactory(ghid="dinum", title="Incubateur de la DINUM", owner=dinum)
    fabrique = IncubatorFactory(ghid="fabrique-justice", title="Fabrique numérique de la Justice", owner=justice)

    ecoles = ProductFactory(
        ghid="ecoles", name="Écoles numériques", pitch="Aider les écoles à s'équiper", incubator=beta
    )
    ecoles.thematiques = ["Éducation", "Numérique responsable"]
    ecoles.save()
    phase(ecoles, "investigation", days(-400), days(-200))
    phase(ecoles, "construction", days(-199))
    sponsor(ecoles, dinum)

    dossier = ProductFactory(
        ghid="dossier-facile", name="DossierFacile", pitch="Créer un dossier de location fiable", incubator=beta
    )
    dossier.thematiques = ["Logement"]
    dossier.save()
    phase(dossier, "construction", days(-700), days(-300))
    phase(dossier, "acceleration", days(-299))
    sponsor(dossier, dinum)
    sponsor(dossier, sante, order=1)
    co_incubate(dossier, fabrique)

    justice_product = ProductFactory(
        ghid="a-just", name="A-Just", pitch="Piloter l'activité des juridictions", incubator=fabrique
    )
    justice_product.thematiques = ["justice"]
    justice_product.save()
    phase(justice_product, "investigation", days(-30))
    sponsor(justice_product, justice)

    abandoned = ProductFactory(ghid="ancien", name="ancien service", pitch="Un service arrêté", incubator=fabrique)
    phase(abandoned, "construction", days(-900), days(-500))
    phase(abandoned, "abandon", days(-499))
    return {
        "dinum": dinum,
        "justice": justice,
        "sante": sante,
        "beta": beta,
        "fabrique": fabrique,
        "ecoles": ecoles,
        "dossier": dossier,
        "a_just": justice_product,
        "ancien": abandoned,
    }


def add_products(n: int, world, prefix="Extra") -> None:
    """More rows of every kind the pages read: products with phases, incubators, sponsors, members, missions."""
    for i in range(n):
        product = ProductFactory(
            name=f"{prefix} {i}", pitch=f"Recherche {i}", incubator=world["beta"] if i % 2 else world["fabrique"]
        )
        product.thematiques = ["Logement", f"Thème {prefix} {i}"]
        product.save()
        phase(product, "investigation", days(-100 - i), days(-50 - i))
        phase(product, "construction", days(-49 + i))
        co_incubate(product, world["fabrique"] if i % 2 else world["beta"])
        sponsor(product, world["dinum"])
        sponsor(product, world["sante"], order=1)
        MissionFactory(member=MemberFactory(), products=[product, world["dossier"]])
        MissionFactory(member=MemberFactory(), products=[product], start=days(-400), end=days(-200))
        TeamFactory(incubator=world["beta"]).members.add(MemberFactory())


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


# --- Products list --------------------------------------------------------------------------------------------


def test_products_are_listed_by_name_whatever_their_accents_and_case(client, world):
    response = client.get(PRODUCTS)
    assert response.status_code == 200
    assert listed(response) == ["A-Just", "ancien service", "DossierFacile", "Écoles numériques"]
    page = main_text(response)
    assert page.startswith("Les produits de beta.gouv.fr")
    assert "4 produits" in page
    assert "Écoles numériques Aider les écoles à s'équiper construction Incubateur de la DINUM" in page
    assert "DossierFacile Créer un dossier de location fiable accélération Incubateur de la DINUM" in page
    assert 'href="/produits/ecoles/"' in response.content.decode()


@pytest.mark.parametrize(
    "params,expected",
    [
        # The current phase is the one that started last, ended or not.
        ({"phase": "construction"}, ["Écoles numériques"]),
        ({"phase": "acceleration"}, ["DossierFacile"]),
        ({"phase": "abandon"}, ["ancien service"]),
        ({"phase": "consolidation"}, []),
        # Principal incubator or co-incubation.
        ({"incubateur": "dinum"}, ["DossierFacile", "Écoles numériques"]),
        ({"incubateur": "fabrique-justice"}, ["A-Just", "ancien service", "DossierFacile"]),
        # Any sponsor's ministry.
        ({"ministere": "spm"}, ["DossierFacile", "Écoles numériques"]),
        ({"ministere": "solidarite-sante"}, ["DossierFacile"]),
        ({"ministere": "justice"}, ["A-Just"]),
        ({"thematique": "Éducation"}, ["Écoles numériques"]),
        ({"thematique": "justice"}, ["A-Just"]),
        # Filters add up.
        ({"incubateur": "dinum", "ministere": "solidarite-sante", "phase": "acceleration"}, ["DossierFacile"]),
        ({"incubateur": "dinum", "phase": "investigation"}, []),
    ],
)
def test_filters(client, world, params, expected):
    response = client.get(PRODUCTS, params)
    assert response.status_code == 200
    assert listed(response) == expected
    assert response.context["form"].errors == {}


@pytest.mark.parametrize(
    "query,expected",
    [
        ("ecoles", ["Écoles numériques"]),
        ("ÉCOLE", ["Écoles numériques"]),
        ("équiper", ["Écoles numériques"]),  # in the pitch
        ("EQUIPER ecoles", ["Écoles numériques"]),  # every word, anywhere in name and pitch
        ("dossier", ["DossierFacile"]),
        ("juridictions a-just", ["A-Just"]),
        ("  location   fiable ", ["DossierFacile"]),
        ("service", ["ancien service"]),
        ("astronomie", []),
        ("ecoles location", []),
    ],
)
def test_search_ignores_accents_and_case(client, world, query, expected):
    assert listed(client.get(PRODUCTS, {"q": query})) == expected


def test_search_and_filters_together(client, world):
    assert listed(client.get(PRODUCTS, {"q": "a", "incubateur": "dinum", "ministere": "spm"})) == [
        "DossierFacile",
        "Écoles numériques",
    ]
    assert listed(client.get(PRODUCTS, {"q": "dossier", "thematique": "Éducation"})) == []


def test_the_theme_choices_are_each_theme_once(client, world):
    world["a_just"].thematiques = ["Justice", "JUSTICE", "logement"]
    world["a_just"].save()
    choices = [value for value, _ in client.get(PRODUCTS).context["form"].fields["thematique"].choices]
    # The first spelling met (in creation order) is the one offered.
    assert choices == ["", "Éducation", "Justice", "Logement", "Numérique responsable"]
    # A product's spelling of a theme does not matter.
    assert listed(client.get(PRODUCTS, {"thematique": "Logement"})) == ["A-Just", "DossierFacile"]


def test_the_filters_form_has_labels_and_keeps_its_values(client, world):
    response = client.get(PRODUCTS, {"q": "école", "phase": "construction", "incubateur": "dinum"})
    html = main_html(response)
    assert '<form method="get" action="/produits/" role="search" aria-label="Filtrer les produits"' in html
    for name, label in [
        ("q", "Rechercher un produit"),
        ("phase", "Phase actuelle"),
        ("incubateur", "Incubateur"),
        ("ministere", "Ministère d'un sponsor"),
        ("thematique", "Thématique"),
    ]:
        assert re.search(rf'<label for="id_{name}" class="fr-label">\s*{re.escape(label)}', unescape(html)), name
    assert 'value="école"' in html
    assert '<option value="construction" selected>construction</option>' in html
    assert '<option value="dinum" selected>Incubateur de la DINUM</option>' in html
    assert "Effacer les filtres" in main_text(response)
    assert "(Facultatif)" not in html
    assert "1 produit pour ces critères" in main_text(response)


def test_an_unknown_filter_value_is_a_field_error_and_is_ignored(client, world):
    response = client.get(PRODUCTS, {"incubateur": "atlantide", "phase": "construction"})
    assert response.status_code == 200
    assert listed(response) == ["Écoles numériques"]
    html = main_html(response)
    assert 'aria-describedby="id_incubateur-desc-error"' in html
    assert "Sélectionnez un choix valide. atlantide n’en fait pas partie." in unescape(html)


def test_empty_state_with_filters(client, world):
    response = client.get(PRODUCTS, {"q": "astronomie"})
    page = main_text(response)
    assert "0 produit pour ces critères" in page
    assert "Aucun produit ne correspond à ces critères. Essayez avec moins de filtres ou d'autres mots." in page
    assert 'class="fr-pagination' not in response.content.decode()


def test_empty_registry(client):
    page = main_text(client.get(PRODUCTS))
    assert "0 produit" in page
    assert "Le registre ne contient encore aucun produit." in page
    assert "Effacer les filtres" not in page


def test_the_search_is_escaped(client, world):
    html = client.get(PRODUCTS, {"q": "<b>école</b>"}).content.decode()
    assert "<b>école</b>" not in html
    assert "&lt;b&gt;école&lt;/b&gt;" in html


def test_pagination_30_a_page_keeping_the_filters(client, world):
    add_products(31, world)
    response = client.get(PRODUCTS, {"phase": "construction"})
    assert response.context["page_obj"].paginator.count == 32
    assert len(listed(response)) == 30
    html = main_html(response)
    assert 'aria-label="Pagination"' in html
    assert 'href="?phase=construction&amp;page=2"' in html
    assert "Page 1 sur 2." in main_text(response)
    second = client.get(PRODUCTS, {"phase": "construction", "page": 2})
    # « Écoles » sorts as « ecoles »: first; « Extra 10 » before « Extra 2 » (text, not numbers).
    assert listed(response)[:3] == ["Écoles numériques", "Extra 0", "Extra 1"]
    assert listed(second) == ["Extra 8", "Extra 9"]
    assert "Page 2 — Produits" in second.content.decode()
    # Out of range or not a number: the nearest page, not an error.
    assert client.get(PRODUCTS, {"page": 99}).context["page_obj"].number == 2
    assert client.get(PRODUCTS, {"page": "abc"}).context["page_obj"].number == 1


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"phase": "construction"},
        {"q": "ecole", "incubateur": "dinum", "ministere": "spm", "thematique": "Logement"},
        {"page": 2},
    ],
    ids=["all", "phase", "search-and-filters", "page-2"],
)
@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_the_products_list_query_count_stays_flat(client, world, django_assert_num_queries, params, logged_in):
    if logged_in:
        client.force_login(UserFactory())
    add_products(31, world, prefix="Avant")
    client.get(PRODUCTS, params)  # warm the caches (stamp, filter choices, content types)
    first = count_queries(client, PRODUCTS, params)
    assert first <= 10
    add_products(40, world, prefix="Après")
    client.get(PRODUCTS, params)
    with django_assert_num_queries(first):
        client.get(PRODUCTS, params)


def test_filter_choices_are_cached_until_the_registry_changes(client, world):
    client.get(PRODUCTS)
    assert "Nouvelle thématique" not in client.get(PRODUCTS).content.decode()
    world["ecoles"].thematiques = ["Nouvelle thématique"]
    world["ecoles"].save()
    assert "Nouvelle thématique" in client.get(PRODUCTS).content.decode()


# --- Product page ---------------------------------------------------------------------------------------------


@pytest.fixture
def team(world):
    """DossierFacile's people: two active members (one through two missions), one alumna."""
    dossier = world["dossier"]
    alice = MemberFactory(username="alice.durand", fullname="Alice Durand", role="Développeuse")
    bruno = MemberFactory(username="bruno.eme", fullname="Bruno Émé", role="Coach")
    chloe = MemberFactory(username="chloe.faure", fullname="Chloé Faure", role="Designer")
    MissionFactory(member=alice, products=[dossier], start=days(-600), end=days(-300))
    MissionFactory(member=alice, products=[dossier, world["ecoles"]], start=days(-299), end=None)
    MissionFactory(member=bruno, products=[dossier], start=days(-10), end=days(10))
    MissionFactory(member=chloe, products=[dossier], start=days(-500), end=days(-1))
    MissionFactory(member=MemberFactory(fullname="Hors Sujet"), products=[world["ecoles"]])
    return {"alice": alice, "bruno": bruno, "chloe": chloe}


def test_the_product_page(client, world, team):
    dossier = world["dossier"]
    dossier.description = "Premier paragraphe.\n\nSecond paragraphe,\nsur deux lignes."
    dossier.link = "https://www.dossierfacile.logement.gouv.fr"
    dossier.repository = "https://github.com/MTES-MCT/Dossier-Facile-Frontend"
    dossier.stats_url = "https://www.dossierfacile.logement.gouv.fr/stats"
    dossier.budget_url = "https://beta.gouv.fr/startups/dossierfacile/budget"
    dossier.impact_url = "https://beta.gouv.fr/startups/dossierfacile/impact"
    dossier.dashlord_url = "https://dashlord.incubateur.net/url/dossierfacile"
    dossier.fast_promotion = 3
    dossier.fast_amount = 150000
    dossier.usertypes = ["particuliers"]
    dossier.techno = ["Java", "Vue.js"]
    dossier.save()
    Phase.objects.filter(product=dossier, name="acceleration").update(comment="Comité du 12 mai")

    response = client.get("/produits/dossier-facile/")
    assert response.status_code == 200
    page = main_text(response)
    html = main_html(response)
    assert page.startswith("DossierFacile Phase actuelle : accélération")
    assert "Créer un dossier de location fiable" in page
    assert "<p>Premier paragraphe.</p>\n<p>Second paragraphe,\nsur deux lignes.</p>" in html  # Markdown
    construction, acceleration = Phase.objects.filter(product=dossier).order_by("start")
    assert (
        f"Phases construction du {long_date(construction.start)} au {long_date(construction.end)} "
        f"accélération depuis le {long_date(acceleration.start)} — Comité du 12 mai Équipe" in page
    )
    # Active team (a mission running today), then alumni.
    assert "Équipe actuelle (2) Alice Durand, Développeuse (depuis" in page
    assert "Bruno Émé, Coach (depuis" in page
    assert "Anciens membres (1) Chloé Faure, Designer (jusqu'en" in page
    assert "Hors Sujet" not in page
    assert 'href="/membres/alice.durand/"' in html
    # Incubators and sponsors.
    assert (
        "Incubateurs Incubateur de la DINUM (incubateur principal) Fabrique numérique de la Justice (co-incubation)"
        in page
    )
    assert 'href="/incubateurs/fabrique-justice/"' in html
    assert "Sponsors Direction interministérielle du numérique (DINUM) Ministère de la Santé (MS)" in page
    assert 'href="/organisations/ministere-sante/"' in html
    # Links open in a new window and say so.
    assert (
        '<a href="https://github.com/MTES-MCT/Dossier-Facile-Frontend" target="_blank" rel="noopener" '
        'title="Code source — nouvelle fenêtre">Code source</a>' in html
    )
    for label in ["Site du service", "Statistiques", "Budget", "Impact", "DashLord"]:
        assert f'title="{label} — nouvelle fenêtre"' in html
    assert "Contact : contact@produit.example.org" in page
    assert 'href="mailto:contact@produit.example.org"' in html
    assert "Fonds d'accélération (FAST) Promotion 3 Montant : 150 000 €" in page
    assert "Thématiques : Logement Publics : particuliers Technologies : Java Vue.js" in page
    # Anonymous: no edit buttons.
    assert "Modifier" not in page


def test_the_product_page_never_renders_raw_html_or_script_links(client, world):
    dossier = world["dossier"]
    dossier.description = '<script>alert("x")</script><a href="javascript:alert(1)">clic</a>'
    dossier.link = "javascript:alert(1)"
    dossier.repository = "gitlab.example.org/projet"
    dossier.save()
    html = main_html(client.get("/produits/dossier-facile/"))
    assert "<script>" not in html
    assert 'alert("x")' not in html and "alert(&quot;x&quot;)" not in html  # removed with its text
    assert 'href="javascript:' not in html
    assert "Site du service : javascript:alert(1)" in words(html)
    assert "Code source : gitlab.example.org/projet" in words(html)


def test_a_product_without_phases_team_or_links(client, world):
    product = ProductFactory(ghid="tout-neuf", name="Tout neuf", incubator=world["beta"])
    product.description = ""
    product.contact = ""
    product.save()
    page = main_text(client.get("/produits/tout-neuf/"))
    assert "Phase actuelle" not in page
    assert "Aucune phase n'est encore renseignée." in page
    assert "Équipe actuelle (0) Personne n'a de mission en cours sur ce produit." in page
    assert "Anciens membres" not in page
    assert "Aucun sponsor renseigné." in page
    assert "Liens et contact" not in page
    assert "FAST" not in page


@pytest.mark.parametrize("url", ["/produits/inconnu/", "/incubateurs/inconnu/", "/organisations/inconnu/"])
def test_unknown_identifiers_are_404(client, world, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_the_product_page_query_count_stays_flat(client, world, team, django_assert_num_queries, logged_in):
    if logged_in:
        user = UserFactory()
        MemberFactory(user=user)
        client.force_login(user)
    url = "/produits/dossier-facile/"
    client.get(url)
    first = count_queries(client, url)
    assert first <= 10
    add_products(15, world)  # 15 more active members and alumni of DossierFacile, more sponsors elsewhere
    for i in range(5):
        sponsor(world["dossier"], OrganisationFactory(), order=10 + i)
        co_incubate(world["dossier"], IncubatorFactory())
    phase(world["dossier"], "consolidation", days(-5))
    with django_assert_num_queries(first):
        client.get(url)
    assert "Équipe actuelle (17)" in main_text(client.get(url))


# --- Incubators -----------------------------------------------------------------------------------------------


def test_the_incubators_list(client, world):
    response = client.get(INCUBATORS)
    assert response.status_code == 200
    page = main_text(response)
    assert page.startswith("Les incubateurs de beta.gouv.fr")
    assert (
        "Incubateur Porteur Produits "
        "Fabrique numérique de la Justice Ministère de la Justice 3 "
        "Incubateur de la DINUM Direction interministérielle du numérique 2" in page
    )
    html = main_html(response)
    assert 'href="/incubateurs/dinum/"' in html
    assert 'href="/organisations/ministere-justice/"' in html


def test_the_incubators_list_when_empty(client):
    assert "Le registre ne contient encore aucun incubateur." in main_text(client.get(INCUBATORS))


def test_the_incubator_page_groups_its_products_by_current_phase(client, world, team):
    beta = world["beta"]
    beta.short_description = "L'incubateur historique."
    beta.description = "Une **présentation**."
    beta.website = "https://beta.gouv.fr"
    beta.github = "https://github.com/betagouv"
    beta.address = "20 avenue de Ségur, Paris"
    beta.save()
    team_a = TeamFactory(ghid="animation", name="Animation", incubator=beta)
    team_a.mission = "Animer la communauté."
    team_a.save()
    team_a.members.add(team["bruno"], team["alice"])
    TeamFactory(ghid="autre", name="Ailleurs", incubator=world["fabrique"]).members.add(team["chloe"])
    response = client.get("/incubateurs/dinum/")
    assert response.status_code == 200
    page = main_text(response)
    assert page.startswith("Incubateur de la DINUM L'incubateur historique.")
    assert "Porté par Direction interministérielle du numérique." in page
    assert "Une présentation." in page  # Markdown, rendered
    assert (
        "Produits (2) "
        "Construction (1) Écoles numériques — Aider les écoles à s'équiper "
        "Accélération (1) DossierFacile — Créer un dossier de location fiable" in page
    )
    assert "Équipes (1) Animation Animer la communauté. Alice Durand, Développeuse Bruno Émé, Coach" in page
    assert "Chloé" not in page
    assert "Contact contact@incubateur.example.org 20 avenue de Ségur, Paris Site web GitHub" in page
    fabrique = main_text(client.get("/incubateurs/fabrique-justice/"))
    assert (
        "Produits (3) Investigation (1) A-Just — Piloter l'activité des juridictions "
        "Accélération (1) DossierFacile (co-incubation) — Créer un dossier de location fiable "
        "Arrêtée (1) ancien service — Un service arrêté" in fabrique
    )


def test_products_without_a_phase_come_last(client, world):
    ProductFactory(name="Sans date", incubator=world["beta"])
    page = main_text(client.get("/incubateurs/dinum/"))
    assert page.index("Accélération (1)") < page.index("Sans phase (1) Sans date")


@pytest.mark.parametrize("url", ["/incubateurs/", "/incubateurs/dinum/", "/incubateurs/fabrique-justice/"])
def test_the_incubator_pages_query_count_stays_flat(client, world, team, django_assert_num_queries, url):
    for incubator in (world["beta"], world["fabrique"]):
        TeamFactory(incubator=incubator).members.add(team["alice"])
    client.get(url)
    first = count_queries(client, url)
    assert first <= 10
    add_products(12, world)
    for _ in range(4):
        IncubatorFactory(owner=OrganisationFactory())
    with django_assert_num_queries(first):
        client.get(url)


# --- Organisations --------------------------------------------------------------------------------------------


def test_the_organisation_page(client, world):
    response = client.get("/organisations/dinum/")
    assert response.status_code == 200
    page = main_text(response)
    assert page.startswith(
        "Direction interministérielle du numérique (DINUM) "
        "Administration centrale — ministère : Services du Premier ministre"
    )
    assert (
        "Produits sponsorisés (2) Construction (1) Écoles numériques — Aider les écoles à s'équiper "
        "Accélération (1) DossierFacile — Créer un dossier de location fiable" in page
    )
    assert "Incubateur porté Incubateur de la DINUM" in page
    assert 'href="/incubateurs/dinum/"' in main_html(response)


def test_an_organisation_that_sponsors_nothing(client):
    OrganisationFactory(ghid="vide", name="Organisation vide")
    page = main_text(client.get("/organisations/vide/"))
    assert "Produits sponsorisés (0) Cette organisation ne sponsorise aucun produit du registre." in page
    assert "porté" not in page


def test_the_organisation_page_query_count_stays_flat(client, world, django_assert_num_queries):
    url = "/organisations/dinum/"
    client.get(url)
    first = count_queries(client, url)
    assert first <= 10
    add_products(12, world)
    for _ in range(3):
        IncubatorFactory(owner=world["dinum"])
    with django_assert_num_queries(first):
        client.get(url)


# --- Members --------------------------------------------------------------------------------------------------


def test_the_member_page_shows_public_fields_only(client, world, team):
    alice = team["alice"]
    alice.user = UserFactory(email="alice.durand@beta.gouv.fr")
    alice.bio = "Développeuse depuis 2010.\n\nAime le <b>logiciel libre</b>."
    alice.link = "https://alice.example.org"
    alice.github = "alice-durand"
    alice.competences = ["Python", "Django"]
    alice.save()
    TeamFactory(ghid="dev", name="Développement", incubator=world["beta"]).members.add(alice)
    response = client.get("/membres/alice.durand/")
    assert response.status_code == 200
    page = main_text(response)
    html = main_html(response)
    assert page.startswith("Alice Durand Développeuse — domaine Développement")
    assert "<p>Développeuse depuis 2010.</p>\n<p>Aime le <b>logiciel libre</b>.</p>" in html  # HTML in Markdown
    missions = page[page.index("Missions") :]
    assert "Missions Du " in missions
    assert ": DossierFacile Depuis le " in missions
    assert "(en cours) : DossierFacile, Écoles numériques" in missions
    assert 'href="/produits/ecoles/"' in html
    assert "Compétences Python Django" in page
    assert (
        '<a href="https://github.com/alice-durand" target="_blank" rel="noopener" '
        'title="Profil GitHub de Alice Durand — nouvelle fenêtre">GitHub : alice-durand</a>' in html
    )
    assert 'href="https://alice.example.org"' in html
    assert "Équipe Développement (Incubateur de la DINUM)" in page
    assert "alice.durand@beta.gouv.fr" not in response.content.decode()
    assert "Modifier" not in page


def test_a_member_without_missions(client):
    MemberFactory(username="nouveau.venu", fullname="Nouveau Venu", role="")
    page = main_text(client.get("/membres/nouveau.venu/"))
    assert "Nouveau Venu domaine Développement" in page
    assert "Aucune mission renseignée." in page


def test_an_unknown_member_is_404(client):
    assert client.get("/membres/personne.inconnue/").status_code == 404


def test_the_member_page_query_count_stays_flat(client, world, team, django_assert_num_queries):
    url = "/membres/alice.durand/"
    client.get(url)
    first = count_queries(client, url)
    assert first <= 10
    for i in range(6):
        product = ProductFactory()
        MissionFactory(member=team["alice"], products=[product, world["ecoles"]], start=days(-900 + i))
        TeamFactory().members.add(team["alice"])
    with django_assert_num_queries(first):
        client.get(url)


# --- Navigation and the directory -----------------------------------------------------------------------------


def test_the_header_and_the_sitemap_link_to_products_and_incubators(client):
    header = client.get("/").content.decode()
    assert '<a class="fr-nav__link" href="/produits/">Produits</a>' in header
    assert '<a class="fr-nav__link" href="/incubateurs/">Incubateurs</a>' in header
    assert (
        '<a class="fr-nav__link" href="/produits/" aria-current="page">Produits</a>'
        in client.get(PRODUCTS).content.decode()
    )
    sitemap = client.get("/plan-du-site/").content.decode()
    assert '<a href="/produits/">Produits</a>' in sitemap
    assert '<a href="/incubateurs/">Incubateurs</a>' in sitemap


def test_who_does_what_links_every_person_to_their_page(client):
    load_organisation()
    MemberFactory(username="pierre.boussole", fullname="Pierre Boussole")
    html = client.get("/qui-fait-quoi/").content.decode()
    # Everyone has a page (organisation:person), fiche or not; the person page links to the fiche.
    assert 'href="/qui-fait-quoi/pierre.boussole/"' in html
    assert 'href="/qui-fait-quoi/gael.ivoire/"' in html
    assert 'href="/membres/pierre.boussole/"' in client.get("/qui-fait-quoi/pierre.boussole/").content.decode()


@pytest.mark.parametrize(
    "url,expected",
    [
        ("/produits/", "Voir le fil d'Ariane Accueil Produits"),
        ("/produits/dossier-facile/", "Voir le fil d'Ariane Accueil Produits DossierFacile"),
        ("/incubateurs/", "Voir le fil d'Ariane Accueil Incubateurs"),
        ("/incubateurs/dinum/", "Voir le fil d'Ariane Accueil Incubateurs Incubateur de la DINUM"),
        ("/organisations/dinum/", "Voir le fil d'Ariane Accueil Direction interministérielle du numérique"),
        ("/membres/alice.durand/", "Voir le fil d'Ariane Accueil Alice Durand"),
    ],
)
def test_breadcrumbs(client, world, team, url, expected):
    response = client.get(url)
    assert breadcrumb(response) == expected
    assert main_html(response).count('aria-current="page"') == 1


def test_queries_sort_and_fold_helpers():
    assert pages.external_url("https://beta.gouv.fr") == "https://beta.gouv.fr"
    assert pages.external_url("javascript:alert(1)") == ""
    assert pages.external_url("http://[::1") == ""
    assert pages.external_url("beta.gouv.fr") == ""
    assert pages.github_url("octocat") == "https://github.com/octocat"
    assert pages.github_url("https://github.com/octocat") == "https://github.com/octocat"
    assert pages.github_url("pas un identifiant") == ""


def test_many_to_many_changes_make_the_cache_stale():
    from incubateur.registry import cache as registry_cache
    from tests.registry.factories import OrganisationFactory, ProductFactory

    product = ProductFactory()
    before = registry_cache.version()
    product.sponsors.add(OrganisationFactory())
    assert registry_cache.version() != before
