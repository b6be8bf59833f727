"""Reads of the organisation: who to contact for a ministry or a theme, and search. Pure Python matching on
top of plain queries: the same answers on SQLite and PostgreSQL (`make test` runs both)."""

import pytest
from django.contrib.auth import get_user_model

from incubateur.core.ministries import MINISTRIES
from incubateur.organisation import selectors, services
from incubateur.organisation.models import Pole, Portfolio, Position

User = get_user_model()
FALLBACK = "L'Équipe de Direction et Opérations prend le relais"

# The portfolio table of the organisation, row by row: ministry code → manager.
BY_MINISTRY = {
    "travail": ("yasmine.mimosa", "Travail, Insertion et Armées"),
    "armees": ("yasmine.mimosa", "Travail, Insertion et Armées"),
    "justice": ("pierre.boussole", "Justice"),
    "solidarite-sante": ("eline.le-brizec", "Santé, Solidarités, Cybersécurité et IA"),
    "education": ("cyrielle.lavande", "Education Nationale, Enseignement supérieur, Sports"),
    "enseignement-sup": ("cyrielle.lavande", "Education Nationale, Enseignement supérieur, Sports"),
    "sport": ("cyrielle.lavande", "Education Nationale, Enseignement supérieur, Sports"),
    "environnement": ("marion.sapin", "Transition Ecologique"),
    "territoires": ("albert.zodiaque", "Territoire, Affaires Etrangères et Culture"),
    "affaires-etrangeres": ("albert.zodiaque", "Territoire, Affaires Etrangères et Culture"),
    "culture": ("albert.zodiaque", "Territoire, Affaires Etrangères et Culture"),
    "bercy": ("madeleine.marin", "Economie, Agriculture"),
    "agriculture": ("madeleine.marin", "Economie, Agriculture"),
    "interieur": ("theo.dolmen", "Intérieur"),
}
UNCOVERED = ["spm", "outre-mer", "autres"]

BY_THEME = {
    "Logement": "gael.ivoire",
    "logement": "gael.ivoire",
    "Jeunesse": "eva.sorbier",
    "Vie associative": "eva.sorbier",
    "vie associative": "eva.sorbier",
    "VIE ASSOCIATIVE": "eva.sorbier",
    "  vie   associative ": "eva.sorbier",
    "Sécurité informatique": "eline.le-brizec",
    "securite informatique": "eline.le-brizec",
    "Cybersécurité": "eline.le-brizec",
    "cybersecurite": "eline.le-brizec",
    "IA": "eline.le-brizec",
    "ia": "eline.le-brizec",
    "Intelligence artificielle": "eline.le-brizec",
    "Santé": "eline.le-brizec",
    "ecologie": "marion.sapin",
    "Biodiversité": "marion.sapin",
    "Insertion": "yasmine.mimosa",
    "Travail / Emploi": "yasmine.mimosa",
    "Collectivités": "albert.zodiaque",
    "Entreprises": "madeleine.marin",
    "Sport": "cyrielle.lavande",
}


pytestmark = pytest.mark.usefixtures("loaded")


def test_the_table_covers_every_ministry_but_the_fallback_ones():
    assert set(BY_MINISTRY) | set(UNCOVERED) == set(MINISTRIES)


@pytest.mark.parametrize("code,expected", BY_MINISTRY.items(), ids=list(BY_MINISTRY))
def test_contact_for_each_ministry_of_the_portfolio_table(code, expected):
    username, label = expected
    contact = selectors.contact_for(ministries=[code])
    assert contact.person.username == username
    assert contact.portfolio.label == label
    assert contact.explanation == f"portefeuille {label}, ministère {MINISTRIES[code]}"


@pytest.mark.parametrize("theme,username", BY_THEME.items(), ids=list(BY_THEME))
def test_contact_for_themes_ignores_case_accents_and_spaces(theme, username):
    contact = selectors.contact_for(themes=[theme])
    assert contact.person.username == username
    assert contact.portfolio is not None
    assert contact.portfolio.manager == contact.person


def test_contact_for_every_ministry_and_theme_of_every_portfolio():
    for portfolio in Portfolio.objects.select_related("manager"):
        for code in portfolio.ministries:
            assert selectors.contact_for(ministries=[code]).portfolio == portfolio, code
        for theme in portfolio.themes:
            assert selectors.contact_for(themes=[theme]).portfolio == portfolio, theme
            assert portfolio.covers_theme(theme.upper())


def test_themes_come_before_ministries():
    contact = selectors.contact_for(themes=["Logement"], ministries=["justice"])
    assert contact.person.username == "gael.ivoire"
    assert contact.explanation == "portefeuille Logement, thématique Logement"


def test_an_unknown_theme_falls_through_to_the_ministries():
    contact = selectors.contact_for(themes=["Astronomie"], ministries=["justice"])
    assert contact.person.username == "pierre.boussole"


def test_ministries_are_tried_in_order():
    assert selectors.contact_for(ministries=["spm", "culture", "justice"]).person.username == "albert.zodiaque"


@pytest.mark.parametrize("code", UNCOVERED)
def test_ministries_no_portfolio_covers_go_to_the_head_of_the_direction(code):
    contact = selectors.contact_for(ministries=[code])
    assert contact.person.username == "igor.balise"
    assert contact.portfolio is None
    assert contact.explanation == f"aucun portefeuille ne couvre ce périmètre : {FALLBACK}"


def test_an_unknown_theme_goes_to_the_fallback():
    contact = selectors.contact_for(themes=["Astronomie"])
    assert (contact.person.username, contact.portfolio) == ("igor.balise", None)


def test_nothing_asked_goes_to_the_fallback():
    contact = selectors.contact_for()
    assert (contact.person.username, contact.portfolio) == ("igor.balise", None)
    assert contact.explanation == f"aucun périmètre indiqué : {FALLBACK}"


def test_a_vacant_portfolio_answers_with_nobody():
    portfolio = Portfolio.objects.get(slug="justice")
    services.portfolio_set_manager(portfolio=portfolio, manager=None, by=None)
    contact = selectors.contact_for(ministries=["justice"])
    assert (contact.person, contact.portfolio) == (None, portfolio)


def test_contact_for_follows_a_new_manager():
    services.portfolio_set_manager(
        portfolio=Portfolio.objects.get(slug="justice"), manager=User.objects.get(username="gael.ivoire"), by=None
    )
    assert selectors.contact_for(ministries=["justice"]).person.username == "gael.ivoire"


def test_a_fallback_pole_without_a_lead_answers_with_nobody():
    Position.objects.filter(pole__slug="direction", is_lead=True).update(is_lead=False)
    contact = selectors.contact_for(ministries=["spm"])
    assert (contact.person, contact.portfolio) == (None, None)


# --- search ----------------------------------------------------------------------------------------


def usernames(query: str) -> set[str]:
    return {hit.username for hit in selectors.search(query)}


@pytest.mark.parametrize(
    "query,username",
    [
        ("gael", "gael.ivoire"),
        ("Gaël", "gael.ivoire"),
        ("GAËL", "gael.ivoire"),
        ("caius", "caius.marelle"),
        ("Caïus Marelle", "caius.marelle"),
        ("justice", "pierre.boussole"),
        ("cyber", "eline.le-brizec"),
        ("le brizec", "eline.le-brizec"),
        ("eline.le-brizec", "eline.le-brizec"),
        ("PMO", "emilie.grenat"),
        ("Santé et solidarités", "eline.le-brizec"),
        ("solidarite-sante", "eline.le-brizec"),
        ("logement", "gael.ivoire"),
    ],
)
def test_search_finds_people_by_name_role_ministry_or_theme(query, username):
    assert username in usernames(query)


def test_search_for_a_name_finds_each_of_their_positions():
    hits = selectors.search("gael")
    assert [(h.fullname, h.pole_slug) for h in hits] == [("Gaël Ivoire", "partenariats"), ("Gaël Ivoire", "coaching")]
    assert {h.role for h in hits} == {"Responsable de portefeuille : Logement", "Responsable du pôle, coach"}


def test_search_for_justice_finds_its_portfolio_manager_only():
    [hit] = selectors.search("justice")
    assert (hit.username, hit.fullname, hit.role, hit.pole) == (
        "pierre.boussole",
        "Pierre Boussole",
        "Responsable de portefeuille : Justice",
        "Le Pôle Partenariats / Responsables de Portefeuille Ministériel",
    )


def test_search_for_a_pole_finds_its_members():
    members = set(
        Position.objects.current().filter(pole__slug="acceleration").values_list("person__username", flat=True)
    )
    assert len(members) == 7
    hits = selectors.search("acceleration")
    assert {h.username for h in hits} == members
    assert {h.pole_slug for h in hits} == {"acceleration"}
    assert usernames("Accélération") == members


def test_every_word_must_match():
    assert usernames("pierre justice") == {"pierre.boussole"}
    assert usernames("pierre logement") == set()


@pytest.mark.parametrize("query", ["", "   ", "\n"])
def test_an_empty_query_finds_nothing(query):
    assert selectors.search(query) == []


def test_a_query_that_matches_nobody():
    assert selectors.search("astronomie") == []


def test_search_skips_ended_positions():
    services.position_end(position=Position.objects.current().get(person__username="odilon.bastide"), by=None)
    assert usernames("odilon") == set()


def test_search_is_limited():
    assert len(selectors.search("e", limit=5)) == 5


def test_directory_reads_everything_in_order():
    directory = selectors.directory()
    assert directory.department.name == "Incubateur de services numériques"
    assert [p.slug for p in directory.poles] == [
        "direction",
        "partenariats",
        "acceleration",
        "animation",
        "produits-incubes",
        "coaching",
        "aic",
        "eig",
    ]
    # The lead first in each pole, then the file's order.
    acceleration = next(p for p in directory.poles if p.slug == "acceleration")
    assert acceleration.current_positions[0].person.username == "pierre.boussole"
    assert acceleration.lead.username == "pierre.boussole"
    assert len(directory.portfolios) == 10
    assert directory.portfolios[0].label == "Travail, Insertion et Armées"
    assert Pole.objects.get(slug="eig").lead.username == "tristan.pergola"
