"""Editing the registry: who may (perms.py), the forms and their errors, the services and their journal rows."""

import datetime
import re
from html import unescape

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from incubateur.core.models import JournalEntry, Visibility
from incubateur.core.text import date_fr
from incubateur.registry import perms, services
from incubateur.registry.forms import PhaseAddForm
from incubateur.registry.models import Member, Phase, Product
from tests.factories import UserFactory
from tests.registry.factories import (
    IncubatorFactory,
    MemberFactory,
    MissionFactory,
    ProductFactory,
    TeamFactory,
)

TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def text(response) -> str:
    html = response.content.decode()
    html = html[html.index("<main") : html.index("</main>")]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def field_error(response, field: str) -> str:
    """The error shown under a field (DSFR: the input points to it with aria-describedby)."""
    html = response.content.decode()
    assert f'aria-describedby="id_{field}-desc-error"' in html, f"no error on {field}"
    start = html.index(f'id="id_{field}-desc-error"')
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html[start : html.index("</div>", start)])).split()[1:])


def account_with_member(**member_fields):
    user = UserFactory()
    MemberFactory(user=user, **member_fields)
    return user


@pytest.fixture
def product():
    product = ProductFactory(ghid="dossier-facile", name="DossierFacile", pitch="Louer plus simplement")
    Phase.objects.create(product=product, name="investigation", start=days(-300), end=days(-200))
    Phase.objects.create(product=product, name="construction", start=days(-199))
    return product


# --- Permissions ----------------------------------------------------------------------------------------------


def test_can_edit_member(django_assert_num_queries):
    owner = UserFactory()
    member = MemberFactory(user=owner)
    with django_assert_num_queries(0):
        assert perms.can_edit_member(owner, member)
        assert not perms.can_edit_member(UserFactory.build(pk=10_000), member)
        assert not perms.can_edit_member(UserFactory.build(pk=10_001, is_incubator_staff=True), member)
        assert perms.can_edit_member(UserFactory.build(pk=10_002, is_superuser=True), member)
    assert not perms.can_edit_member(None, member)
    assert not perms.can_edit_member(AnonymousUser(), member)
    # A fiche without an account is edited by administrators only.
    orphan = MemberFactory()
    assert not perms.can_edit_member(owner, orphan)
    # A deactivated account edits nothing.
    owner.is_active = False
    assert not perms.can_edit_member(owner, member)


def test_can_edit_product(product, django_assert_num_queries):
    other_incubator = IncubatorFactory()
    co_incubator = IncubatorFactory()
    product.productincubator_set.create(incubator=co_incubator, is_principal=False, order=1)

    active = account_with_member()
    MissionFactory(member=active.member, products=[product], start=days(-10), end=None)
    ended = account_with_member()
    MissionFactory(member=ended.member, products=[product], start=days(-100), end=days(-1))
    future = account_with_member()
    MissionFactory(member=future.member, products=[product], start=days(5), end=days(50))
    elsewhere = account_with_member()
    MissionFactory(member=elsewhere.member, products=[ProductFactory()], start=days(-10), end=days(10))
    principal_team = account_with_member()
    TeamFactory(incubator=product.principal_incubator).members.add(principal_team.member)
    co_team = account_with_member()
    TeamFactory(incubator=co_incubator).members.add(co_team.member)
    other_team = account_with_member()
    TeamFactory(incubator=other_incubator).members.add(other_team.member)
    no_fiche = UserFactory()

    for user in (active, principal_team, co_team):
        with django_assert_num_queries(1):
            assert perms.can_edit_product(user, product)
    for user in (ended, future, elsewhere, other_team, no_fiche):
        assert not perms.can_edit_product(user, product)
    with django_assert_num_queries(0):
        assert perms.can_edit_product(UserFactory.build(is_incubator_staff=True), product)
        assert perms.can_edit_product(UserFactory.build(is_superuser=True), product)
        assert not perms.can_edit_product(None, product)
    active.is_active = False
    assert not perms.can_edit_product(active, product)


# --- Product fiche --------------------------------------------------------------------------------------------

VALID = {
    "pitch": "Constituer un dossier de location",
    "description": "Premier paragraphe.\r\n\r\nSecond.",
    "contact": "contact@dossierfacile.fr",
    "link": "https://www.dossierfacile.fr",
    "repository": "https://github.com/MTES-MCT/dossierfacile",
    "stats_url": "https://www.dossierfacile.fr/stats",
    "budget_url": "",
    "impact_url": "https://beta.gouv.fr/impact",
    "thematiques": "Logement,  logement , Social",
    "usertypes": "particuliers",
    "techno": "Java, Vue.js",
}


@pytest.fixture
def team_member(product):
    user = account_with_member(fullname="Alice Durand")
    MissionFactory(member=user.member, products=[product], start=days(-10), end=None)
    return user


def test_the_product_page_shows_edit_buttons_only_to_those_allowed(client, product, team_member):
    url = "/produits/dossier-facile/"
    assert "Modifier la fiche" not in text(client.get(url))
    client.force_login(UserFactory())
    assert "Modifier la fiche" not in text(client.get(url))
    client.force_login(team_member)
    html = client.get(url).content.decode()
    assert 'href="/produits/dossier-facile/modifier/"' in html
    assert 'href="/produits/dossier-facile/phases/"' in html


def test_the_product_form_starts_from_the_fiche(client, product, team_member):
    product.thematiques = ["Logement", "Social"]
    product.save()
    client.force_login(team_member)
    response = client.get("/produits/dossier-facile/modifier/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Louer plus simplement</textarea>" in html
    assert 'name="thematiques" value="Logement, Social"' in html
    assert "Modifier la fiche de « DossierFacile »" in text(response)


def test_a_team_member_edits_the_product(client, product, team_member):
    client.force_login(team_member)
    response = client.post("/produits/dossier-facile/modifier/", VALID)
    assert response.status_code == 302
    assert response["Location"] == "/produits/dossier-facile/"
    product.refresh_from_db()
    assert product.pitch == "Constituer un dossier de location"
    assert product.description == "Premier paragraphe.\n\nSecond."  # the content tree's line ends
    assert product.link == "https://www.dossierfacile.fr"
    assert product.thematiques == ["Logement", "Social"]  # blanks and duplicates (whatever their case) dropped
    assert product.usertypes == ["particuliers"]
    assert product.techno == ["Java", "Vue.js"]
    entry = JournalEntry.objects.get(action="registry.product_updated")
    assert entry.actor == team_member
    assert entry.visibility == Visibility.PUBLIC
    assert entry.object_repr == "DossierFacile"
    assert entry.message == (
        "Fiche du produit DossierFacile modifiée : mission, description, contact, site, code source, statistiques, "
        "impact, thématiques, publics, technologies"
    )
    assert entry.data["fields"][:2] == ["pitch", "description"]
    assert "La fiche du produit « DossierFacile » a été mise à jour." in text(client.get(response["Location"]))


def test_saving_an_unchanged_product_writes_no_journal_row(client, product):
    product.description = "Un problème.\n\nUne solution."
    product.save()
    client.force_login(UserFactory(staff=True))
    initial = {
        "pitch": product.pitch,
        "description": "Un problème.\r\n\r\nUne solution.\r\n",  # as a browser sends the textarea
        "contact": product.contact,
        "thematiques": "",
        "usertypes": "",
        "techno": "",
    }
    response = client.post("/produits/dossier-facile/modifier/", initial, follow=True)
    assert "Aucun changement : la fiche est restée telle quelle." in text(response)
    assert not JournalEntry.objects.filter(action="registry.product_updated").exists()


def test_product_form_errors(client, product, team_member):
    client.force_login(team_member)
    data = {
        **VALID,
        "pitch": "  ",
        "link": "javascript:alert(1)",
        "repository": "pas une adresse",
        "techno": "x" * 101,
    }
    response = client.post("/produits/dossier-facile/modifier/", data)
    assert response.status_code == 200
    assert field_error(response, "pitch") == "Indiquez la mission du produit."
    assert field_error(response, "link").startswith("Saisissez une adresse web valide")
    assert field_error(response, "repository").startswith("Saisissez une adresse web valide")
    assert field_error(response, "techno").startswith("Chaque élément fait au plus 100 caractères")
    page = text(response)
    assert "Le formulaire contient 4 erreurs : corrigez les champs signalés ci-dessous." in page
    assert response.content.decode().count("<title>Erreur : ") == 1
    product.refresh_from_db()
    assert product.pitch == "Louer plus simplement"
    assert not JournalEntry.objects.exists()


def test_an_address_without_scheme_gets_https(client, product, team_member):
    client.force_login(team_member)
    client.post("/produits/dossier-facile/modifier/", {**VALID, "link": "dossierfacile.fr"})
    product.refresh_from_db()
    assert product.link == "https://dossierfacile.fr"


@pytest.mark.parametrize("who", ["staff", "admin", "incubator-team"])
def test_staff_admins_and_incubator_teams_edit_any_product(client, product, who):
    if who == "incubator-team":
        user = account_with_member()
        TeamFactory(incubator=product.principal_incubator).members.add(user.member)
    else:
        user = UserFactory(staff=who == "staff", admin=who == "admin")
    client.force_login(user)
    assert client.get("/produits/dossier-facile/modifier/").status_code == 200
    assert client.post("/produits/dossier-facile/modifier/", VALID).status_code == 302


@pytest.mark.parametrize("path", ["modifier", "phases"])
def test_others_get_a_404_on_the_edit_pages(client, product, path):
    alumna = account_with_member()
    MissionFactory(member=alumna.member, products=[product], start=days(-100), end=days(-1))
    for user in (UserFactory(), alumna):
        client.force_login(user)
        assert client.get(f"/produits/dossier-facile/{path}/").status_code == 404
        assert client.post(f"/produits/dossier-facile/{path}/", {**VALID, "action": "ajouter"}).status_code == 404
    client.force_login(UserFactory(staff=True))
    assert client.get(f"/produits/inconnu/{path}/").status_code == 404
    assert not JournalEntry.objects.exists()
    product.refresh_from_db()
    assert product.pitch == "Louer plus simplement"


def test_anonymous_people_are_sent_to_the_login_page(client, product):
    response = client.post("/produits/dossier-facile/modifier/", VALID)
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/?next=")


# --- Phases ---------------------------------------------------------------------------------------------------

PHASES = "/produits/dossier-facile/phases/"


def test_the_phases_page(client, product, team_member):
    client.force_login(team_member)
    response = client.get(PHASES)
    assert response.status_code == 200
    page = text(response)
    assert "Historique investigation du" in page
    assert "(phase actuelle)" in page
    assert "Terminer la phase en cours La phase « construction » a commencé le" in page
    html = response.content.decode()
    assert 'name="fin-end"' in html and 'type="date"' in html
    assert 'name="ajout-name"' in html and 'name="ajout-start"' in html


def test_add_a_phase(client, product, team_member):
    client.force_login(team_member)
    data = {"action": "ajouter", "ajout-name": "acceleration", "ajout-start": days(-1).isoformat()}
    response = client.post(PHASES, {**data, "ajout-comment": "Comité d'investissement"})
    assert response.status_code == 302
    assert response["Location"] == PHASES
    phase = Phase.objects.get(product=product, name="acceleration")
    assert phase.start == days(-1)
    assert phase.comment == "Comité d'investissement"
    entry = JournalEntry.objects.get(action="registry.phase_added")
    assert entry.visibility == Visibility.PUBLIC
    assert entry.actor == team_member
    assert entry.message == f"DossierFacile : phase « accélération » à partir du {date_fr(days(-1))}"
    assert "La phase « accélération » a été ajoutée." in text(client.get(PHASES))
    # It is the current phase now: the products list filters on it.
    assert [p.name for p in client.get("/produits/", {"phase": "acceleration"}).context["page_obj"]] == [
        "DossierFacile"
    ]


def test_a_phase_added_twice_at_once_is_a_field_error(client, product, team_member, monkeypatch):
    """A double submission: both requests pass the form's check, the database refuses the second insert."""
    client.force_login(team_member)
    Phase.objects.create(product=product, name="acceleration", start=TODAY)
    # As if the form's check ran before the other request's insert.
    monkeypatch.setattr(PhaseAddForm, "clean_name", lambda form: form.cleaned_data["name"])
    response = client.post(PHASES, {"action": "ajouter", "ajout-name": "acceleration", "ajout-start": "2024-01-01"})
    assert response.status_code == 200
    assert field_error(response, "ajout-name").startswith("Ce produit a déjà une phase « accélération »")
    assert not JournalEntry.objects.exists()


def test_a_phase_accepts_a_french_date(client, product, team_member):
    client.force_login(team_member)
    data = {"action": "ajouter", "ajout-name": "acceleration", "ajout-start": days(-1).strftime("%d/%m/%Y")}
    assert client.post(PHASES, data).status_code == 302


DUPLICATE = "Ce produit a déjà une phase « construction » : une phase n'apparaît qu'une fois."
NOT_A_CHOICE = "Sélectionnez un choix valide. lune n’en fait pas partie."


@pytest.mark.parametrize(
    "data,field,error",
    [
        ({"ajout-name": "construction", "ajout-start": "2024-01-01"}, "ajout-name", DUPLICATE),
        ({"ajout-name": "", "ajout-start": "2024-01-01"}, "ajout-name", "Choisissez une phase."),
        ({"ajout-name": "lune", "ajout-start": "2024-01-01"}, "ajout-name", NOT_A_CHOICE),
        ({"ajout-name": "acceleration", "ajout-start": ""}, "ajout-start", "Indiquez la date de début."),
        ({"ajout-name": "acceleration", "ajout-start": "31/02/2024"}, "ajout-start", "Saisissez une date valide."),
    ],
)
def test_add_phase_errors(client, product, team_member, data, field, error):
    client.force_login(team_member)
    response = client.post(PHASES, {"action": "ajouter", **data})
    assert response.status_code == 200
    assert field_error(response, field) == error
    assert Phase.objects.filter(product=product).count() == 2
    assert not JournalEntry.objects.exists()
    # Only the submitted form shows errors.
    assert 'aria-describedby="id_fin-end-desc-error"' not in response.content.decode()


def test_end_the_current_phase(client, product, team_member):
    client.force_login(team_member)
    response = client.post(PHASES, {"action": "terminer", "fin-end": TODAY.isoformat()})
    assert response.status_code == 302
    current = Phase.objects.get(product=product, name="construction")
    assert current.end == TODAY
    entry = JournalEntry.objects.get(action="registry.phase_ended")
    assert entry.visibility == Visibility.PUBLIC
    assert entry.message == f"DossierFacile : fin de la phase « construction » le {date_fr(TODAY)}"
    page = text(client.get(PHASES))
    assert "La phase « construction » est terminée." in page
    # Nothing left to end: the form is gone, and posting it anyway is refused.
    assert "Terminer la phase en cours" not in page
    response = client.post(PHASES, {"action": "terminer", "fin-end": TODAY.isoformat()})
    assert response.status_code == 200
    assert JournalEntry.objects.filter(action="registry.phase_ended").count() == 1


@pytest.mark.parametrize(
    "end,error",
    [
        (days(-200).isoformat(), f"La date de fin ne peut pas précéder le début de la phase ({date_fr(days(-199))})."),
        ("", "Indiquez la date de fin."),
        ("demain", "Saisissez une date valide."),
    ],
)
def test_end_phase_errors(client, product, team_member, end, error):
    client.force_login(team_member)
    response = client.post(PHASES, {"action": "terminer", "fin-end": end})
    assert response.status_code == 200
    assert field_error(response, "fin-end") == error
    assert Phase.objects.get(product=product, name="construction").end is None
    assert "<title>Erreur : " in response.content.decode()


def test_a_product_without_phases_has_nothing_to_end(client, team_member):
    product = ProductFactory(ghid="sans-phase")
    MissionFactory(member=team_member.member, products=[product], start=days(-1), end=None)
    client.force_login(team_member)
    page = text(client.get("/produits/sans-phase/phases/"))
    assert "Aucune phase n'est encore renseignée." in page
    assert "Terminer la phase en cours" not in page
    response = client.post("/produits/sans-phase/phases/", {"action": "terminer", "fin-end": TODAY.isoformat()})
    assert "Ce produit n'a pas de phase en cours à terminer." in text(response)


def test_an_unknown_action_changes_nothing(client, product, team_member):
    client.force_login(team_member)
    response = client.post(PHASES, {"action": "supprimer", "ajout-name": "acceleration", "ajout-start": "2024-01-01"})
    assert response.status_code == 200
    assert Phase.objects.filter(product=product).count() == 2


def test_phase_services_and_the_database_keep_the_rules(product):
    phase = Phase.objects.get(product=product, name="construction")
    with pytest.raises(ValueError):
        services.product_phase_end(phase=phase, by=None, end=days(-365))
    with pytest.raises(IntegrityError), transaction.atomic():
        services.product_phase_add(product=product, by=None, name="construction", start=TODAY)
    assert not JournalEntry.objects.exists()  # the journal row rolled back with the refused change


# --- Member fiche ---------------------------------------------------------------------------------------------

MEMBER_VALID = {
    "role": "Développeuse",
    "bio": "Je code.",
    "link": "https://alice.example.org",
    "github": "https://github.com/alice-durand/",
    "competences": "Python, Django, python",
}


@pytest.fixture
def alice():
    user = UserFactory(email="alice.durand@beta.gouv.fr")
    MemberFactory(username="alice.durand", fullname="Alice Durand", user=user, role="Dev")
    return user


def test_a_member_sees_a_button_to_edit_their_own_fiche(client, alice):
    assert "Modifier" not in text(client.get("/membres/alice.durand/"))
    client.force_login(UserFactory())
    assert "Modifier" not in text(client.get("/membres/alice.durand/"))
    client.force_login(alice)
    response = client.get("/membres/alice.durand/")
    assert "Modifier ma fiche" in text(response)
    assert 'href="/membres/alice.durand/modifier/"' in response.content.decode()
    client.force_login(UserFactory(admin=True))
    assert "Modifier la fiche de Alice Durand" in text(client.get("/membres/alice.durand/"))


def test_a_member_edits_their_fiche(client, alice):
    client.force_login(alice)
    response = client.get("/membres/alice.durand/modifier/")
    assert response.status_code == 200
    assert 'name="role" value="Dev"' in response.content.decode()
    response = client.post("/membres/alice.durand/modifier/", MEMBER_VALID)
    assert response.status_code == 302
    assert response["Location"] == "/membres/alice.durand/"
    member = Member.objects.get(username="alice.durand")
    assert member.role == "Développeuse"
    assert member.bio == "Je code."
    assert member.link == "https://alice.example.org"
    assert member.github == "alice-durand"  # a profile address is reduced to the username
    assert member.competences == ["Python", "Django"]
    entry = JournalEntry.objects.get(action="registry.member_updated")
    assert entry.visibility == Visibility.PUBLIC
    assert entry.actor == alice
    assert entry.message == "Fiche de Alice Durand modifiée : rôle, présentation, lien, GitHub, compétences"
    assert "La fiche a été mise à jour." in text(client.get(response["Location"]))


def test_member_form_errors(client, alice):
    client.force_login(alice)
    data = {**MEMBER_VALID, "role": "", "github": "pas valide!", "link": "ftp://exemple.org"}
    response = client.post("/membres/alice.durand/modifier/", data)
    assert response.status_code == 200
    assert field_error(response, "role") == "Indiquez votre rôle."
    assert field_error(response, "github").startswith("Saisissez un identifiant GitHub")
    assert field_error(response, "link").startswith("Saisissez une adresse web valide")
    assert Member.objects.get(username="alice.durand").role == "Dev"
    assert not JournalEntry.objects.exists()


def test_only_the_owner_and_admins_edit_a_fiche(client, alice):
    for user in (UserFactory(), UserFactory(staff=True), account_with_member()):
        client.force_login(user)
        assert client.get("/membres/alice.durand/modifier/").status_code == 404
        assert client.post("/membres/alice.durand/modifier/", MEMBER_VALID).status_code == 404
    assert Member.objects.get(username="alice.durand").role == "Dev"
    client.force_login(UserFactory(admin=True))
    assert client.post("/membres/alice.durand/modifier/", MEMBER_VALID).status_code == 302
    assert client.get("/membres/personne/modifier/").status_code == 404


def test_services_write_nothing_when_nothing_changes(product):
    unchanged = {
        name: getattr(product, name)
        for name in [
            "pitch",
            "description",
            "contact",
            "link",
            "repository",
            "stats_url",
            "budget_url",
            "impact_url",
            "thematiques",
            "usertypes",
            "techno",
        ]
    }
    assert services.product_update(product=product, by=None, **unchanged) == []
    assert not JournalEntry.objects.exists()
    assert Product.objects.get(pk=product.pk).pitch == product.pitch
