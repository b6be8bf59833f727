"""The programmes in Chromium: a FAST-like call from its creation to its published results (staff, applicant,
blind reviewers, decision within the cap, anonymous reader), the portfolio board flagging an overdue committee,
and axe-core (WCAG 2.1 A and AA) with no Content-Security-Policy violation on every page type of the app."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from incubateur.programmes.models import Application, ApplicationStatus, Call, Programme
from incubateur.registry.models import Event
from tests.browser.helpers import check_page, log_in
from tests.factories import person
from tests.organisation.helpers import justice_product, load_organisation
from tests.programmes.factories import close, fast_call
from tests.registry.factories import team_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NNBSP, NBSP = "\u202f", "\u00a0"


def euros(amount: str) -> str:
    """« 200 000 € » as the pages write it (narrow no-break spaces between thousands, a no-break space before €)."""
    return amount.replace(" ", NNBSP) + NBSP + "€"


def local_minute(delta: datetime.timedelta = datetime.timedelta(0)) -> str:
    """A Paris time as a datetime-local input takes it (to the minute)."""
    return f"{timezone.localtime() + delta:%Y-%m-%dT%H:%M}"


@pytest.fixture(autouse=True)
def organisation(transactional_db) -> None:
    """The tests' organisation (pierre.boussole leads the FAST pole and manages the Justice portfolio)."""
    load_organisation(routing=True)


@pytest.fixture
def open_as(new_page, live_server):
    """A page in a new browser context, logged in as `user` (anonymous with None)."""

    def open_page(user) -> Page:
        page = new_page()
        if user is not None:
            log_in(page, user, live_server.url)
        return page

    return open_page


def tick(page: Page, label: str) -> None:
    """Check a DSFR radio button or checkbox (unless it is) as a user does: its label takes the click."""
    box = page.get_by_label(label, exact=True)
    if not box.is_checked():
        page.locator(f"label[for='{box.get_attribute('id')}']").click()
    expect(box).to_be_checked()


def status_message(page: Page):
    """The message of the last action (not the draft's autosave status)."""
    return page.locator(".fr-alert[role='status']")


def test_a_call_from_its_creation_to_its_published_results(open_as, csp_violations, live_server):
    Programme.objects.create(slug="fast", name="FAST")
    product = justice_product(repository="https://github.com/betagouv/justice-pour-tous")
    camille = team_member(product, username="camille.candidate", first_name="Camille", last_name="Candidate")
    pierre, antoine = person("pierre.boussole"), person("antoine.rivage")

    # Staff create the call, due to open tomorrow: its rules can be set until it opens.
    staff = open_as(pierre)
    staff.goto("/equipe/programmes/appels/nouveau/")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Nouvel appel")
    check_page(staff, csp_violations)
    staff.get_by_label("Programme", exact=True).select_option(label="FAST")
    staff.get_by_label("Titre").fill("FAST 19")
    staff.get_by_label("Numéro").fill("19")
    staff.get_by_label("Ouverture").fill(local_minute(datetime.timedelta(days=1)))
    staff.get_by_label("Clôture").fill(local_minute(datetime.timedelta(days=30)))
    staff.get_by_label("Enveloppe (€)").fill("1 000 000")
    staff.get_by_label("Plafond par candidature (€)").fill("300 000")
    staff.get_by_label("Part maximale de co-financement (%)").fill("50")
    staff.get_by_role("button", name="Créer l'appel").click()
    expect(status_message(staff)).to_contain_text("L'appel « FAST 19 » est créé.")
    call = Call.objects.get(title="FAST 19")
    expect(staff).to_have_url(f"{live_server.url}/equipe/programmes/appels/{call.pk}/regles/")

    # The rules: the « Modèle FAST » pre-fill, two questions of our own, saved.
    staff.get_by_role("link", name="Pré-remplir avec le modèle FAST").click()
    expect(staff.get_by_text("Le modèle FAST est pré-rempli : vérifiez puis enregistrez.")).to_be_visible()
    expect(
        staff.get_by_role("group", name="Critère de sélection 1").get_by_label("Critère de sélection")
    ).to_have_value("Impact")
    check_page(staff, csp_violations)
    for number, (key, label) in enumerate([("probleme", "Le problème, chiffré"), ("impact", "L'impact mesuré")], 1):
        question = staff.get_by_role("group", name=f"Question {number} (nouvelle)")
        question.get_by_label("Identifiant").fill(key)
        question.get_by_label("Question").fill(label)
        question.get_by_label("Type de réponse").select_option(label="texte long")
    staff.get_by_role("button", name="Enregistrer les questions et les critères").click()
    expect(status_message(staff)).to_contain_text("Les questions et les critères de « FAST 19 » sont enregistrés.")
    assert [c.label for c in call.selection_criteria.all()] == ["Impact", "Maturité", "Ambition", "Soutien"]
    assert [q.key for q in call.questions.all()] == ["probleme", "impact"]

    # Staff open it now (this minute): its rules freeze.
    staff.get_by_role("link", name="Modifier l'appel").click()
    staff.get_by_label("Ouverture").fill(local_minute())
    staff.get_by_role("button", name="Enregistrer").click()
    expect(status_message(staff)).to_contain_text("L'appel « FAST 19 » est enregistré.")
    expect(staff.locator("main").get_by_text("ouvert", exact=True)).to_be_visible()
    staff.get_by_role("link", name="Modifier l'appel").click()
    expect(staff.get_by_label("Enveloppe (€)")).to_be_disabled()
    expect(staff.get_by_label("Clôture")).to_be_enabled()
    check_page(staff, csp_violations)
    staff.goto(f"/equipe/programmes/appels/{call.pk}/regles/")
    expect(staff.get_by_text("ses questions et ses critères ne changent plus")).to_be_visible()
    check_page(staff, csp_violations)

    # A member of the product's active team applies: the draft is saved as typed, then submitted.
    applicant = open_as(camille)
    applicant.goto(f"/programmes/appels/{call.pk}/")
    expect(applicant.get_by_role("heading", level=1)).to_have_text("FAST 19")
    check_page(applicant, csp_violations)
    applicant.get_by_role("link", name="Candidater").click()
    expect(applicant.get_by_role("heading", level=1)).to_have_text("Candidater à « FAST 19 »")
    check_page(applicant, csp_violations)
    tick(applicant, "Justice pour tous")
    applicant.get_by_role("button", name="Commencer la candidature").click()
    expect(status_message(applicant)).to_contain_text("Votre candidature est commencée")
    check_page(applicant, csp_violations)
    applicant.get_by_label("Le problème, chiffré").fill("30 % des justiciables abandonnent leur démarche.")
    expect(applicant.locator("#enregistrement")).to_contain_text("Brouillon enregistré à")
    application = Application.objects.get(call=call, product=product)
    assert application.answers["probleme"] == "30 % des justiciables abandonnent leur démarche."

    applicant.get_by_role("button", name="Déposer ma candidature").click()
    errors = applicant.get_by_role("alert")
    expect(errors).to_contain_text("L'impact mesuré")
    expect(errors).to_contain_text("Indiquez le budget du projet")
    expect(applicant.get_by_label("Budget total du projet (€)")).to_have_attribute("aria-invalid", "true")
    expect(applicant).to_have_title(re.compile(r"^Erreur : "))
    check_page(applicant, csp_violations)
    applicant.get_by_label("L'impact mesuré").fill("12 000 dossiers par mois, publiés sur /stats.")
    applicant.get_by_label("Budget total du projet (€)").fill("400 000")
    applicant.get_by_label("Montant demandé (€)").fill("250 000")
    applicant.get_by_role("button", name="Déposer ma candidature").click()
    expect(status_message(applicant)).to_contain_text("Votre candidature à « FAST 19 » est déposée.")
    expect(applicant.get_by_role("heading", name="Les réponses déposées")).to_be_visible()
    check_page(applicant, csp_violations)
    applicant.get_by_role("link", name="Mes candidatures").last.click()
    expect(applicant.get_by_role("heading", level=1)).to_have_text("Mes candidatures")
    check_page(applicant, csp_violations)

    # Staff move it to instruction; the first reviewer scores it.
    staff.goto(f"/equipe/programmes/appels/{call.pk}/")
    check_page(staff, csp_violations)
    staff.get_by_role("link", name="Justice pour tous").click()
    tick(staff, "En instruction")
    staff.get_by_role("button", name="Changer le statut").click()
    expect(status_message(staff)).to_have_text("La candidature est maintenant « En instruction ».")
    check_page(staff, csp_violations)
    for criterion in ("Impact", "Maturité", "Ambition", "Soutien"):
        staff.get_by_label(f"{criterion} (poids 1)").select_option("4")
    staff.get_by_label("Commentaire").fill("Avis de Pierre : un impact solide.")
    staff.get_by_role("button", name="Remettre mon évaluation").click()
    expect(status_message(staff)).to_contain_text("Votre évaluation est remise")

    # The second reviewer does not see the first's scores until theirs is submitted.
    reviewer = open_as(antoine)
    reviewer.goto(f"/equipe/programmes/candidatures/{application.pk}/")
    expect(
        reviewer.get_by_text("Les évaluations des autres sont masquées jusqu'à la remise de la vôtre.")
    ).to_be_visible()
    expect(reviewer.get_by_text("Avis de Pierre")).to_have_count(0)
    reviews = reviewer.locator("section[aria-labelledby='evaluation']")
    expect(reviews).not_to_contain_text("note pondérée moyenne")
    for criterion, score in (("Impact", "5"), ("Maturité", "3"), ("Ambition", "4"), ("Soutien", "4")):
        reviewer.get_by_label(f"{criterion} (poids 1)").select_option(score)
    reviewer.get_by_role("button", name="Remettre mon évaluation").click()
    expect(status_message(reviewer)).to_contain_text("vous voyez maintenant celles des autres")
    expect(reviewer.get_by_text("Avis de Pierre : un impact solide.")).to_be_visible()
    expect(reviews).to_contain_text("note pondérée moyenne : 4,00 / 5")

    # To committee (its ranking). No decision while the call is open: the page says when it closes.
    staff.reload()
    tick(staff, "En comité")
    staff.get_by_role("button", name="Changer le statut").click()
    expect(status_message(staff)).to_have_text("La candidature est maintenant « En comité ».")
    expect(staff.get_by_text("Impossible de décider d'une candidature avant la clôture de l'appel")).to_be_visible()
    expect(staff.get_by_role("button", name="Enregistrer la décision")).to_have_count(0)
    check_page(staff, csp_violations)
    close(call)  # as time passing closes it

    # Closed: a decision over the cap is refused, next to the amount; then one within it.
    staff.goto(f"/equipe/programmes/appels/{call.pk}/comite/")
    ranking = staff.get_by_role("table", name="Classement des candidatures à FAST 19")
    expect(ranking.get_by_role("row").nth(1)).to_contain_text("4,00 / 5")
    check_page(staff, csp_violations)
    ranking.get_by_role("link", name="Justice pour tous").click()
    tick(staff, "Lauréate")
    staff.get_by_label("Montant accordé (€)").fill("400 000")
    tick(staff, "Je confirme cette décision : elle ne pourra plus être modifiée")
    staff.get_by_role("button", name="Enregistrer la décision").click()
    amount = staff.get_by_label("Montant accordé (€)")
    expect(amount).to_have_attribute("aria-invalid", "true")
    overflow = f"Le montant dépasse le plafond par candidature ({euros('300 000')}) de {euros('100 000')}."
    amount_group = staff.locator(".fr-input-group").filter(has=amount)
    expect(amount_group).to_contain_text(overflow)
    check_page(staff, csp_violations)
    amount.fill("200 000")
    tick(staff, "Je confirme cette décision : elle ne pourra plus être modifiée")
    staff.get_by_role("button", name="Enregistrer la décision").click()
    expect(status_message(staff)).to_contain_text("La candidature est lauréate.")

    # The results, published from their confirmation page.
    staff.goto(f"/equipe/programmes/appels/{call.pk}/")
    staff.get_by_role("link", name="Publier les résultats").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Publier les résultats de « FAST 19 »")
    check_page(staff, csp_violations)
    staff.get_by_role("button", name="Publier les résultats").click()
    expect(status_message(staff)).to_contain_text("Les résultats de « FAST 19 » sont publiés")

    # Anyone reads the results.
    public = open_as(None)
    public.goto(f"/programmes/appels/{call.pk}/resultats/")
    laureates = public.get_by_role("table", name="Les lauréats de « FAST 19 »")
    expect(laureates.get_by_role("row", name=re.compile("Justice pour tous"))).to_contain_text(euros("200 000"))
    check_page(public, csp_violations)
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.LAUREATE


def test_the_board_flags_an_overdue_committee_until_one_is_recorded(open_as, csp_violations):
    product = justice_product(ghid="casier-simple", name="Casier simple")
    Event.objects.create(
        product=product, name="committee", date=timezone.localdate() - datetime.timedelta(days=8 * 30)
    )
    pierre = person("pierre.boussole")

    page = open_as(pierre)
    page.goto("/equipe/portefeuilles/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Portefeuilles")
    check_page(page, csp_violations)
    page.goto("/equipe/portefeuilles/pierre.boussole/")
    row = page.get_by_role("row", name=re.compile("Casier simple"))
    expect(row.get_by_text("En retard")).to_be_visible()
    check_page(page, csp_violations)

    row.get_by_role("link", name="Enregistrer un comité pour Casier simple").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enregistrer un comité d'investissement de « Casier simple »"
    )
    check_page(page, csp_violations)
    page.get_by_role("textbox", name=re.compile("^Date du comité")).fill(
        (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    )
    page.get_by_role("button", name="Enregistrer le comité").click()
    expect(page.get_by_text("la date est dans le futur")).to_be_visible()
    expect(page.get_by_role("combobox", name=re.compile("^Décision"))).to_have_attribute("aria-invalid", "true")
    check_page(page, csp_violations)

    page.get_by_role("textbox", name=re.compile("^Date du comité")).fill(timezone.localdate().isoformat())
    page.get_by_role("combobox", name=re.compile("^Décision")).select_option(label="Poursuite (6 mois)")
    page.get_by_label("Budget accordé").fill("150000")
    page.get_by_role("button", name="Enregistrer le comité").click()
    expect(status_message(page)).to_contain_text("enregistré : Poursuite (6 mois).")
    expect(page.get_by_role("heading", level=1)).to_have_text("Comités d'investissement de « Casier simple »")
    check_page(page, csp_violations)

    page.goto("/equipe/portefeuilles/pierre.boussole/")
    row = page.get_by_role("row", name=re.compile("Casier simple"))
    expect(row).to_be_visible()
    expect(row.get_by_text("En retard")).to_have_count(0)


def test_the_programmes_and_a_past_edition(open_as, csp_violations):
    """The list of programmes, an imported past edition and its results; the staff list of calls."""
    open_call = fast_call(title="FAST 18", number=18)
    past = Call.objects.create(
        programme=open_call.programme,
        title="FAST 3",
        number=3,
        historical=True,
        description="# FAST 3\n\n## Les lauréats\n\n1. **Casier ancien**, le casier en ligne.\n2. Un autre lauréat.\n",
    )
    laureate = justice_product(ghid="casier-ancien", name="Casier ancien")
    Application.objects.create(
        call=past,
        product=laureate,
        status=ApplicationStatus.LAUREATE,
        amount_granted=120000,
        decided_at=timezone.now(),
    )

    public = open_as(None)
    public.goto("/programmes/")
    expect(public.get_by_role("heading", level=1)).to_have_text("Programmes et appels")
    expect(public.get_by_role("link", name=re.compile("FAST 18"))).to_be_visible()
    check_page(public, csp_violations)
    public.get_by_role("link", name="FAST 3", exact=True).click()
    expect(public.get_by_role("heading", level=1)).to_have_text("FAST 3")
    # Its own text, rendered (its title heading left to the page's), and the laureates the product files name.
    edition = public.locator("section[aria-labelledby='edition']")
    expect(edition.get_by_role("heading", level=3, name="Les lauréats")).to_be_visible()
    expect(edition.locator("strong", has_text="Casier ancien")).to_be_visible()
    expect(public.get_by_role("heading", level=2, name="FAST 3")).to_have_count(0)
    expect(public.get_by_role("row", name=re.compile("Casier ancien"))).to_contain_text(euros("120 000"))
    check_page(public, csp_violations)
    public.get_by_role("link", name="Les résultats").click()
    expect(public.get_by_role("row", name=re.compile("Casier ancien"))).to_contain_text(euros("120 000"))
    check_page(public, csp_violations)

    staff = open_as(person("antoine.rivage"))
    staff.goto("/equipe/programmes/")
    expect(staff.get_by_role("link", name="FAST 18")).to_be_visible()
    check_page(staff, csp_violations)
