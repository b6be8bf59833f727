"""The guichet in Chromium: its journeys (a doubt about one's product answered by the portfolio manager,
a confidential request read by the chosen person only, an offer of help accepted by the team), and axe-core
(WCAG 2.1 A and AA) plus the Content-Security-Policy on every page type of the guichet, with forms re-rendered
with their errors, empty and non-empty lists.

The tests' organisation (tests/fixtures/organisation.yaml) and the default routing table are loaded as `make run`
loads the real ones, so the routing is the production one."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from incubateur.guichet import services
from incubateur.guichet.kinds import Kind
from incubateur.guichet.models import Offer, OfferStatus, RoutingRule, Ticket
from tests.browser.helpers import check_page, log_in
from tests.factories import person
from tests.organisation.helpers import justice_product, load_organisation
from tests.registry.factories import team_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def justice(transactional_db) -> dict:
    """The organisation and the routing table, a product sponsored by the Justice ministry and its team."""
    load_organisation(routing=True)
    product = justice_product()
    requester = team_member(
        product,
        username="camille.requerante",
        first_name="Camille",
        last_name="Requérante",
        email="camille.requerante@beta.gouv.fr",
    )
    return {"product": product, "requester": requester}


@pytest.fixture
def as_user(new_page, live_server):
    """A page in its own browser context (its own cookies), logged in as `user`."""

    def open_as(user) -> Page:
        page = new_page()
        log_in(page, user, live_server.url)
        return page

    return open_as


def status_message(page: Page):
    return page.locator("main").get_by_role("status")


def thread(page: Page):
    return page.locator("section[aria-labelledby='echanges']")


def ticket_path(ticket: Ticket) -> str:
    return f"/guichet/demandes/{ticket.reference}/"


# --- 1. A doubt about one's product ---------------------------------------------------------------------------------


def test_a_doubt_about_the_product_answered_by_the_portfolio_manager(as_user, justice, csp_violations):
    member = as_user(justice["requester"])

    member.goto("/guichet/demandes/")
    expect(member.get_by_role("heading", level=1)).to_have_text("Mes demandes")
    expect(member.get_by_text("Vous n'avez encore fait aucune demande au guichet.")).to_be_visible()
    check_page(member, csp_violations)

    member.goto("/guichet/")
    expect(member.get_by_role("heading", level=1)).to_have_text("Le guichet de l'Incubateur")
    check_page(member, csp_violations)
    member.get_by_role("link", name="J'ai un doute sur mon produit").click()
    expect(member).to_have_url(re.compile(r"/guichet/nouvelle/doute-produit/$"))
    expect(member.get_by_role("heading", level=1)).to_have_text("J'ai un doute sur mon produit")
    check_page(member, csp_violations)

    # Sent empty: the form comes back with its errors next to the fields.
    member.get_by_role("button", name="Envoyer ma demande").click()
    expect(member).to_have_title(re.compile(r"^Erreur : J'ai un doute sur mon produit"))
    expect(member.get_by_text("Donnez un objet à votre demande.")).to_be_visible()
    expect(member.get_by_label("Objet")).to_have_attribute("aria-invalid", "true")
    check_page(member, csp_violations)

    member.get_by_label("Produit concerné").select_option(label="Justice pour tous")
    member.get_by_label("Objet").fill("Faut-il pivoter ?")
    member.get_by_label("Votre message").fill("Nos usagers ne viennent pas.\n\nQue feriez-vous ?")
    member.get_by_role("button", name="Envoyer ma demande").click()

    expect(member).to_have_url(re.compile(r"/guichet/demandes/G-[0-9A-Z]{4}-[0-9A-Z]{4}/$"))
    ticket = Ticket.objects.get(subject="Faut-il pivoter ?")
    assert ticket.assignee == person("pierre.boussole") and ticket.product == justice["product"]
    expect(status_message(member)).to_contain_text(
        f"Votre demande {ticket.reference} est envoyée. Pierre Boussole vous répondra"
    )
    expect(member.get_by_role("heading", level=1)).to_have_text("Faut-il pivoter ?")
    summary = member.locator("section[aria-labelledby='en-bref']")
    expect(summary).to_contain_text("Attribuée à Pierre Boussole")
    expect(summary).to_contain_text("portefeuille Justice")
    expect(summary).to_contain_text("Première réponse attendue avant le")
    expect(thread(member)).to_contain_text("Pas encore de réponse.")
    check_page(member, csp_violations)

    member.goto("/guichet/demandes/")
    expect(member.get_by_role("link", name=f"{ticket.reference} — Faut-il pivoter ?")).to_be_visible()
    check_page(member, csp_violations)

    # The portfolio manager finds it in « À traiter » and answers, with an internal note for his colleagues.
    manager = as_user(person("pierre.boussole"))
    manager.goto("/guichet/equipe/")
    expect(manager.get_by_role("link", name=re.compile(r"^À traiter \(1\)$"))).to_have_attribute(
        "aria-current", "page"
    )
    manager.get_by_role("link", name="Faut-il pivoter ?").click()
    expect(manager).to_have_url(re.compile(f"{ticket_path(ticket)}$"))
    expect(manager.get_by_role("heading", level=2, name="Répondre")).to_be_visible()
    expect(manager.get_by_role("heading", level=2, name="Changer le statut")).to_be_visible()
    expect(manager.get_by_role("heading", level=2, name="Réattribuer la demande")).to_be_visible()
    check_page(manager, csp_violations)

    # An empty answer comes back with its error.
    manager.get_by_role("button", name="Envoyer").click()
    expect(manager).to_have_title(re.compile(r"^Erreur : Faut-il pivoter \?"))
    expect(manager.get_by_text("Écrivez votre message.")).to_be_visible()
    check_page(manager, csp_violations)

    manager.get_by_label("Votre message").fill("Bonjour Camille, parlons-en mardi à 10 h.")
    manager.get_by_role("button", name="Envoyer").click()
    expect(status_message(manager)).to_have_text("Votre message est ajouté à la demande.")
    manager.get_by_label("Votre message").fill("Entre nous : le sponsor hésite à continuer.")
    # DSFR draws the box over the input with its label: the label is what one clicks.
    manager.locator("label[for='id_reponse-internal']").click()
    expect(manager.get_by_label("Note interne")).to_be_checked()
    manager.get_by_role("button", name="Envoyer").click()
    expect(status_message(manager)).to_have_text("Votre note interne est ajoutée : le demandeur ne la voit pas.")
    expect(thread(manager)).to_contain_text("Entre nous : le sponsor hésite à continuer.")
    expect(thread(manager)).to_contain_text("Note interne — invisible pour le demandeur")
    check_page(manager, csp_violations)

    # The member reads the answer, not the note.
    member.goto(ticket_path(ticket))
    expect(thread(member)).to_contain_text("Bonjour Camille, parlons-en mardi à 10 h.")
    expect(thread(member)).to_contain_text("Pierre Boussole, le")
    expect(member.get_by_text("Entre nous")).to_have_count(0)
    expect(member.get_by_text("Note interne")).to_have_count(0)
    expect(member.get_by_label("Note interne")).to_have_count(0)
    expect(member.get_by_role("heading", level=2, name="Réattribuer la demande")).to_have_count(0)
    check_page(member, csp_violations)

    # Settled, then reopened.
    member.get_by_label("Nouveau statut").select_option(label="Ma demande est résolue")
    member.get_by_role("button", name="Enregistrer le statut").click()
    expect(status_message(member)).to_have_text("La demande est maintenant « résolue ».")
    expect(member.get_by_role("heading", level=2, name="Rouvrir la demande")).to_be_visible()
    check_page(member, csp_violations)
    member.get_by_label("Nouveau statut").select_option(label="Rouvrir la demande")
    member.get_by_role("button", name="Enregistrer le statut").click()
    expect(status_message(member)).to_have_text("La demande est rouverte.")
    ticket.refresh_from_db()
    assert ticket.status == "pris-en-charge"


# --- 2. A confidential request --------------------------------------------------------------------------------------


def test_a_confidential_request_is_read_by_the_chosen_person_only(as_user, justice, csp_violations):
    member = as_user(justice["requester"])
    member.goto("/guichet/")
    member.get_by_role("link", name="Je me sens mal dans mon équipe").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Je me sens mal dans mon équipe")
    expect(member.get_by_label("Rendre cette demande confidentielle")).to_have_count(0)
    check_page(member, csp_violations)

    recipient_field = member.get_by_label("Personne de l'Incubateur à qui vous adressez votre demande")
    recipient_field.select_option(label=recipient_field.locator("option", has_text="Gaël Ivoire —").inner_text())
    member.get_by_label("Objet").fill("Tensions avec mon intrapreneur")
    member.get_by_label("Votre message").fill("Je ne sais plus comment faire.")
    member.get_by_role("button", name="Envoyer ma demande").click()
    expect(member).to_have_url(re.compile(r"/guichet/demandes/G-[0-9A-Z]{4}-[0-9A-Z]{4}/$"))
    ticket = Ticket.objects.get(subject="Tensions avec mon intrapreneur")
    assert ticket.confidential and ticket.assignee == person("gael.ivoire")
    expect(member).to_have_title(re.compile(f"^Demande confidentielle {ticket.reference} — "))
    expect(member.get_by_role("heading", level=2, name="Personnes ayant accès")).to_be_visible()
    nobody_yet = "Personne d'autre que la personne qui l'a faite ne l'a encore consultée."
    expect(member.get_by_text(nobody_yet)).to_be_visible()
    check_page(member, csp_violations)

    # Another member of staff: a 404 on its address, nothing on the desk.
    other = as_user(person("antoine.rivage"))
    response = other.goto(ticket_path(ticket))
    assert response.status == 404
    expect(other.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    expect(other.get_by_text("Tensions avec mon intrapreneur")).to_have_count(0)
    check_page(other, csp_violations)
    for tab in ("a-traiter", "non-attribuees", "toutes"):
        other.goto(f"/guichet/equipe/?vue={tab}")
        expect(other.get_by_role("heading", level=1)).to_have_text("Guichet de l'équipe")
        expect(other.locator(f"a[href='{ticket_path(ticket)}']")).to_have_count(0)
        expect(other.get_by_role("link", name=re.compile(r"^Demande confidentielle"))).to_have_count(0)

    # The chosen person finds it on the desk, under a title that hides its subject, and reads it.
    recipient = as_user(person("gael.ivoire"))
    recipient.goto("/guichet/equipe/")
    expect(recipient.get_by_text("Tensions avec mon intrapreneur")).to_have_count(0)
    recipient.get_by_role("link", name=f"Demande confidentielle {ticket.reference}").click()
    expect(recipient).to_have_url(re.compile(f"{ticket_path(ticket)}$"))
    expect(recipient.get_by_role("heading", level=1)).to_have_text("Tensions avec mon intrapreneur")
    expect(thread(recipient)).to_contain_text("Je ne sais plus comment faire.")
    expect(recipient.get_by_role("heading", level=2, name="Donner accès à une autre personne")).to_be_visible()
    expect(recipient.get_by_role("heading", level=2, name="Réattribuer la demande")).to_have_count(0)
    check_page(recipient, csp_violations)

    # The requester sees who read it.
    member.reload()
    reads = member.locator("section[aria-labelledby='acces']")
    expect(reads.get_by_role("heading", level=3)).to_have_text("Qui a consulté ma demande")
    expect(reads).to_contain_text("Gaël Ivoire : 1 consultation, la dernière le")
    expect(reads).to_contain_text("Gaël Ivoire — choisie par vous")
    check_page(member, csp_violations)

    member.goto("/guichet/demandes/")
    row = member.get_by_role("row").filter(has_text="Tensions avec mon intrapreneur")
    expect(row.get_by_text("Confidentielle")).to_be_visible()
    check_page(member, csp_violations)


# --- 3. An offer of help --------------------------------------------------------------------------------------------


def test_an_offer_of_help_accepted_by_the_team_becomes_a_request(as_user, justice, csp_violations):
    helper = as_user(person("odilon.bastide"))
    helper.goto("/guichet/offres/")
    expect(helper.get_by_role("heading", level=1)).to_have_text("Offres d'aide")
    expect(helper.get_by_text("Vous n'avez encore proposé d'aide à aucune équipe.")).to_be_visible()
    check_page(helper, csp_violations)
    helper.get_by_role("link", name="Proposer de l'aide à une équipe").click()
    expect(helper).to_have_url(re.compile(r"/guichet/equipe/offres/nouvelle/$"))
    check_page(helper, csp_violations)

    helper.get_by_role("button", name="Envoyer l'offre").click()
    expect(helper).to_have_title(re.compile(r"^Erreur : Proposer de l'aide"))
    expect(helper.get_by_text("Indiquez le produit à qui vous proposez de l'aide.")).to_be_visible()
    check_page(helper, csp_violations)

    helper.get_by_label("Produit").fill("justice-pour-tous")
    helper.get_by_label("Sujet").fill("Préparer le comité d'investissement")
    helper.get_by_label("Message à l'équipe").fill("Je peux relire votre dossier avant le comité.")
    helper.get_by_role("button", name="Envoyer l'offre").click()
    expect(helper).to_have_url(re.compile(r"/guichet/offres/\d+/$"))
    expect(status_message(helper)).to_contain_text("Votre offre d'aide est envoyée à l'équipe de Justice pour tous.")
    expect(helper.get_by_text("L'équipe du produit n'a pas encore répondu.")).to_be_visible()
    check_page(helper, csp_violations)
    offer = Offer.objects.get()
    assert Ticket.objects.count() == 0
    helper.get_by_role("link", name="Retirer l'offre").click()
    expect(helper.get_by_role("button", name="Confirmer le retrait")).to_be_visible()
    check_page(helper, csp_violations)

    helper.goto("/guichet/offres/")
    expect(helper.get_by_role("link", name="Préparer le comité d'investissement", exact=True)).to_be_visible()
    check_page(helper, csp_violations)

    # The team sees the offer and accepts it.
    member = as_user(justice["requester"])
    member.goto("/guichet/offres/")
    expect(member.get_by_role("button", name=re.compile(r"^Accepter"))).to_be_visible()
    check_page(member, csp_violations)
    member.get_by_role("link", name="Préparer le comité d'investissement", exact=True).click()
    expect(member).to_have_url(re.compile(f"/guichet/offres/{offer.pk}/$"))
    expect(member.get_by_role("heading", level=2, name="Votre réponse")).to_be_visible()
    check_page(member, csp_violations)
    member.get_by_role("button", name="Accepter l'aide").click()

    expect(member).to_have_url(re.compile(r"/guichet/demandes/G-[0-9A-Z]{4}-[0-9A-Z]{4}/$"))
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED and offer.ticket is not None
    expect(status_message(member)).to_contain_text(
        f"Vous avez accepté l'aide proposée. La demande {offer.ticket.reference} est ouverte pour toute l'équipe"
    )
    expect(member.locator("section[aria-labelledby='en-bref']")).to_contain_text("Attribuée à Odilon Bastide")
    check_page(member, csp_violations)

    member.goto(f"/guichet/offres/{offer.pk}/")
    expect(member.get_by_role("link", name=f"Voir la demande {offer.ticket.reference}")).to_be_visible()
    check_page(member, csp_violations)


# --- 4. Every other page type ---------------------------------------------------------------------------------------


def test_every_other_request_form_and_its_errors(as_user, justice, csp_violations):
    """The journeys above check « J'ai un doute sur mon produit » and « Je me sens mal dans mon équipe »."""
    member = as_user(justice["requester"])
    for kind in Kind.values:
        if kind in (Kind.DOUTE_PRODUIT, Kind.MAL_ETRE):
            continue
        member.goto(f"/guichet/nouvelle/{kind}/")
        expect(member.get_by_role("heading", level=1)).to_have_text(Kind(kind).label)
        check_page(member, csp_violations)
        member.get_by_role("button", name="Envoyer ma demande").click()
        expect(member).to_have_title(re.compile(r"^Erreur : "))
        expect(member.get_by_text("Donnez un objet à votre demande.")).to_be_visible()
        check_page(member, csp_violations)
    assert Ticket.objects.count() == 0


def test_the_staff_pages(as_user, justice, csp_violations):
    requester = justice["requester"]
    late = services.ticket_submit(
        requester=requester,
        kind="doute-produit",
        subject="Un dossier qui traîne",
        body="…",
        product=justice["product"],
    )
    Ticket.objects.filter(pk=late.pk).update(first_response_due=timezone.now() - datetime.timedelta(hours=2))
    services.ticket_submit(requester=requester, kind="soutien-dinum", topic="gamma", subject="Gamma", body="…")
    services.ticket_submit(requester=requester, kind="autre", subject="Autre chose", body="…")

    # Each tab of the desk (Pierre Boussole leads a pole: « Par pôle » shows his).
    staff = as_user(person("pierre.boussole"))
    staff.goto("/guichet/equipe/")
    tabs = staff.get_by_role("navigation", name="Vues du guichet").get_by_role("link")
    labels = [re.sub(r" \(\d+\)$", "", text) for text in tabs.all_inner_texts()]
    assert labels == ["À traiter", "Par pôle", "Non attribuées", "En retard", "Toutes"]
    hrefs = [tabs.nth(index).get_attribute("href") for index in range(tabs.count())]
    for label, href in zip(labels, hrefs, strict=True):
        staff.goto(f"/guichet/equipe/{href}")
        expect(staff.get_by_role("heading", level=2, name=re.compile(f"^{label}"))).to_be_visible()
        check_page(staff, csp_violations)
    expect(staff.get_by_role("link", name="Un dossier qui traîne")).to_be_visible()  # « Toutes »

    # A tab with a filter, then with filters that match nothing (one of them invalid).
    staff.get_by_role("searchbox", name="Rechercher").fill("traîne")
    staff.get_by_role("button", name="Filtrer").click()
    expect(staff).to_have_url(re.compile(r"[?&]q=tra"))
    expect(staff.get_by_role("heading", level=2, name="Toutes — 1 demande pour ces critères")).to_be_visible()
    check_page(staff, csp_violations)
    staff.get_by_role("searchbox", name="Rechercher").fill("astronomie")
    staff.get_by_role("textbox", name=re.compile(r"^Produit")).fill("pas un identifiant !")
    staff.get_by_role("button", name="Filtrer").click()
    expect(staff).to_have_url(re.compile(r"[?&]q=astronomie"))
    expect(staff.get_by_text("Aucune demande de cet onglet ne correspond à ces critères.")).to_be_visible()
    check_page(staff, csp_violations)

    # A request on someone's behalf: the empty form, with errors, then sent.
    staff.goto("/guichet/equipe/pour-le-compte/")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Enregistrer une demande pour le compte de quelqu'un")
    check_page(staff, csp_violations)
    staff.get_by_role("textbox", name=re.compile(r"^Demandeur")).fill("personne.inconnue")
    staff.get_by_role("button", name="Enregistrer la demande").click()
    expect(staff).to_have_title(re.compile(r"^Erreur : "))
    expect(staff.get_by_text("Aucun compte actif n'a l'adresse ou l'identifiant")).to_be_visible()
    check_page(staff, csp_violations)
    staff.get_by_role("textbox", name=re.compile(r"^Demandeur")).fill(requester.email)
    staff.get_by_label("Type de demande").select_option(label="Autre question")
    staff.get_by_label("Objet").fill("Au téléphone")
    staff.get_by_label("Message").fill("Une question reçue par téléphone.")
    staff.get_by_role("button", name="Enregistrer la demande").click()
    expect(status_message(staff)).to_contain_text("est enregistrée pour Camille Requérante")
    check_page(staff, csp_violations)

    # The routing table, a rule's form (new with errors, edit) and the deletion's confirmation.
    staff.goto("/guichet/equipe/routage/")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Table de routage")
    check_page(staff, csp_violations)
    staff.get_by_role("link", name="Ajouter une règle").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Ajouter une règle de routage")
    check_page(staff, csp_violations)
    staff.get_by_role("button", name="Enregistrer la règle").click()
    expect(staff.get_by_text("Choisissez le type de demande.")).to_be_visible()
    check_page(staff, csp_violations)
    rule = RoutingRule.objects.filter(kind="communaute", topic="", portfolio=None).get()
    staff.goto(f"/guichet/equipe/routage/{rule.pk}/")
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Modifier la règle")
    check_page(staff, csp_violations)
    staff.goto(f"/guichet/equipe/routage/{rule.pk}/supprimer/")
    expect(staff.get_by_role("button", name="Confirmer la suppression")).to_be_visible()
    check_page(staff, csp_violations)
    staff.get_by_role("button", name="Confirmer la suppression").click()
    expect(status_message(staff)).to_contain_text("est supprimée.")
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
