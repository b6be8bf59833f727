"""The applicant's side: apply, the draft saved as it is typed, submission (errors per field, the deadline at the
minute in Paris time across a DST change), where the application stands, and who may see it."""

import datetime
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from incubateur.core.models import Notification
from incubateur.core.text import datetime_fr
from incubateur.programmes import services
from incubateur.programmes.models import Application, ApplicationStatus, Call, Programme, Question
from tests.factories import person
from tests.organisation.helpers import justice_product
from tests.programmes.factories import close, fast_call
from tests.registry.factories import team_member

PARIS = ZoneInfo("Europe/Paris")
NBSP, NNBSP = "\u00a0", "\u202f"
STALE = str(services.StaleApplication())


def words(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?(?:a|strong|em|span|b|abbr|code)(?:\s[^>]*)?>", "", html)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"[ \t\r\n]+", " ", unescape(html)).strip()


def main_html(response) -> str:
    content = response.content.decode()
    return content[content.index("<main") : content.index("</main>")]


def main_text(response) -> str:
    return words(
        re.sub(r'<nav role="navigation" class="fr-breadcrumb".*?</nav>', " ", main_html(response), flags=re.S)
    )


def field_error(response, name: str) -> str:
    """The error shown right under a field of the application form."""
    html = main_html(response)
    match = re.search(rf'<div id="id_{name}-desc-error">(.*?)</div>', html, flags=re.S)
    return words(match.group(1)) if match else ""


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(application, suffix: str = "") -> str:
    return f"/programmes/candidatures/{application.pk}/{suffix}"


def complete(version, **overrides) -> dict:
    data = {
        "version": str(version),
        "reponse_probleme": "Trop de papier dans les tribunaux",
        "reponse_impact": "1 000 usagers par mois",
        "reponse_stats": "https://justice.beta.gouv.fr/stats",
        "stated_budget": "400 000",
        "amount_requested": "200 000",
    }
    data.update(overrides)
    return data


@pytest.fixture
def draft(team, call) -> Application:
    return services.application_start(call=call, user=team.member, product=team.product)


# --- Applying ----------------------------------------------------------------------------------------------------


def test_a_team_member_picks_their_product_and_gets_a_draft(team, call):
    client = login(team.member)
    response = client.get(f"/programmes/appels/{call.pk}/candidater/")
    assert response.status_code == 200
    assert "Justice pour tous" in main_text(response)

    response = client.post(f"/programmes/appels/{call.pk}/candidater/", {"product": team.product.pk})

    application = Application.objects.get(call=call)
    assert response.status_code == 302
    assert response["Location"] == url(application)
    assert (application.product, application.applicant, application.status) == (team.product, team.member, "brouillon")
    page = client.get(url(application))
    assert "Votre candidature est commencée" in main_text(page)
    assert "Vos réponses Le problème, chiffré" in main_text(page)


def test_a_teammate_is_sent_to_the_application_their_team_already_started(team, call, draft):
    client = login(team.teammate)
    response = client.get(f"/programmes/appels/{call.pk}/candidater/")
    text = main_text(response)
    assert "Votre équipe a déjà candidaté La candidature de Justice pour tous (brouillon)" in text
    assert f'href="{url(draft)}"' in main_html(response)
    assert "Commencer la candidature" not in text
    # Posting anyway: the service's message, next to the field; no second application.
    response = client.post(f"/programmes/appels/{call.pk}/candidater/", {"product": team.product.pk})
    assert response.status_code == 200
    assert Application.objects.filter(call=call).count() == 1


def test_someone_in_no_product_team_is_told_why_they_cannot_apply(team, call):
    response = login(team.outsider).get(f"/programmes/appels/{call.pk}/candidater/")
    assert "Vous n'êtes dans l'équipe active d'aucun produit" in main_text(response)
    response = login(team.outsider).post(f"/programmes/appels/{call.pk}/candidater/", {"product": team.product.pk})
    assert response.status_code == 200
    assert "Choisissez un des produits de votre équipe." in main_text(response)
    assert not Application.objects.exists()


def test_a_closed_or_upcoming_call_says_so_with_the_service_s_message(team):
    closed = fast_call(
        opens_at=datetime.datetime(2026, 1, 5, 9, 0, tzinfo=PARIS),
        closes_at=datetime.datetime(2026, 6, 1, 18, 0, tzinfo=PARIS),
    )
    upcoming = fast_call(
        number=19,
        title="FAST 19",
        opens_at=timezone.now() + datetime.timedelta(days=10),
        closes_at=timezone.now() + datetime.timedelta(days=40),
    )
    client = login(team.member)
    text = main_text(client.get(f"/programmes/appels/{closed.pk}/candidater/"))
    assert "L'appel « FAST 18 » est clos depuis le 1er juin 2026 à 18:00 : il ne reçoit plus de candidature." in text
    response = client.post(f"/programmes/appels/{closed.pk}/candidater/", {"product": team.product.pk})
    assert "est clos depuis le 1er juin 2026 à 18:00" in main_text(response)
    text = main_text(client.get(f"/programmes/appels/{upcoming.pk}/candidater/"))
    assert f"L'appel « FAST 19 » ouvrira le {datetime_fr(upcoming.opens_at)}." in text
    assert not Application.objects.exists()


def test_an_administration_applies_under_its_name(team):
    call = fast_call(applicant_type="administration")
    client = login(team.outsider)
    response = client.post(f"/programmes/appels/{call.pk}/candidater/", {"applicant_name": "  "})
    assert response.status_code == 200
    assert "Indiquez qui candidate." in main_text(response)
    assert "<title>Erreur : " in response.content.decode()

    response = client.post(f"/programmes/appels/{call.pk}/candidater/", {"applicant_name": "Direction des Finances"})
    application = Application.objects.get(call=call)
    assert response["Location"] == url(application)
    assert (application.applicant_name, application.product, application.applicant) == (
        "Direction des Finances",
        None,
        team.outsider,
    )
    text = main_text(client.get(f"/programmes/appels/{call.pk}/candidater/"))
    assert "Vous avez déjà commencé La candidature de Direction des Finances (brouillon)" in text


# --- Who sees an application -------------------------------------------------------------------------------------


def test_an_outsider_gets_404_and_staff_are_sent_to_the_staff_page(team, draft):
    outsider = login(team.outsider)
    assert outsider.get(url(draft)).status_code == 404
    assert outsider.post(url(draft), complete(1)).status_code == 404
    assert outsider.post(url(draft, "brouillon/"), complete(1)).status_code == 404
    assert outsider.post(url(draft, "deposer/"), complete(1)).status_code == 404

    # A draft is its applicants' business: the staff do not see it (#13); once submitted, they are sent to
    # their page.
    staff = login(team.staff)
    assert staff.get(url(draft)).status_code == 404
    assert staff.post(url(draft, "brouillon/"), complete(1)).status_code == 404
    assert staff.post(url(draft, "deposer/"), complete(1)).status_code == 404

    draft.refresh_from_db()
    assert (draft.status, draft.version, draft.answers) == ("brouillon", 1, {})
    anonymous = Client().get(url(draft))
    assert anonymous["Location"].startswith("/connexion/?next=")

    assert login(team.member).post(url(draft, "deposer/"), complete(1)).status_code == 302
    response = staff.get(url(draft))
    assert response.status_code == 302
    assert response["Location"] == f"/equipe/programmes/candidatures/{draft.pk}/"
    assert staff.post(url(draft, "brouillon/"), complete(2)).status_code == 404


def test_someone_who_left_the_team_no_longer_sees_the_application(team, draft):
    from incubateur.registry.models import Mission

    Mission.objects.filter(member__user=team.teammate).update(end=timezone.localdate() - datetime.timedelta(days=1))
    assert login(team.teammate).get(url(draft)).status_code == 404
    # Its author still sees it.
    assert login(team.member).get(url(draft)).status_code == 200


# --- The draft, saved as it is typed -----------------------------------------------------------------------------


def test_autosave_saves_the_draft_and_refuses_a_stale_version_from_a_teammate(team, draft):
    # At 14:05, Paris time, today: logged in then too (a session is 12 hours, and 14:05 may be more than 12 hours
    # after now).
    with freeze_time(timezone.localtime().replace(hour=14, minute=5)):
        first, second = login(team.member), login(team.teammate)
        # Both open the draft at version 1.
        assert 'name="version" value="1"' in main_html(first.get(url(draft)))
        assert 'name="version" value="1"' in main_html(second.get(url(draft)))
        response = first.post(
            url(draft, "brouillon/"),
            {"version": "1", "reponse_probleme": "Trop de papier", "reponse_impact": "", "stated_budget": "400 000"},
        )
    assert response.status_code == 204
    assert response["X-Application-Version"] == "2"
    assert response["X-Saved-At"] == "14:05"

    response = second.post(url(draft, "brouillon/"), {"version": "1", "reponse_probleme": "Autre chose"})
    assert response.status_code == 409
    assert response.json() == {"message": STALE}

    # Nothing lost: the first teammate's answers stay, the second's were not written over them.
    draft.refresh_from_db()
    assert (draft.answers, draft.stated_budget, draft.version) == ({"probleme": "Trop de papier"}, 400_000, 2)

    # Reloaded, the second teammate saves over the latest version.
    assert 'name="version" value="2"' in main_html(second.get(url(draft)))
    assert "Trop de papier" in main_html(second.get(url(draft)))
    response = second.post(url(draft, "brouillon/"), complete(2, reponse_probleme="Trop de papier, chiffré"))
    assert response.status_code == 204
    assert response["X-Application-Version"] == "3"
    draft.refresh_from_db()
    assert draft.answers["probleme"] == "Trop de papier, chiffré"
    assert draft.amount_requested == 200_000


def test_autosave_answers_400_on_bad_input_and_405_to_a_get(team, draft):
    client = login(team.member)
    response = client.post(url(draft, "brouillon/"), complete(1, stated_budget="douze mille"))
    assert response.status_code == 400
    assert response.json()["message"] == "Saisissez un nombre. (Budget total du projet (€))"
    assert response.json()["errors"] == {"stated_budget": ["Saisissez un nombre."]}
    response = client.post(url(draft, "brouillon/"), {"reponse_probleme": "Sans version"})
    assert response.status_code == 400
    assert client.get(url(draft, "brouillon/")).status_code == 405
    assert client.get(url(draft, "deposer/")).status_code == 405
    draft.refresh_from_db()
    assert (draft.version, draft.answers) == (1, {})


def test_a_malformed_answer_is_kept_in_the_draft_as_typed(team, draft):
    response = login(team.member).post(url(draft, "brouillon/"), complete(1, reponse_stats="justice.fr/stats"))
    assert response.status_code == 204
    draft.refresh_from_db()
    assert draft.answers["stats"] == "justice.fr/stats"


def test_the_save_button_works_without_javascript_and_keeps_the_text_typed_when_stale(team, draft):
    client = login(team.member)
    response = client.post(url(draft), complete(1))
    assert response.status_code == 302
    assert response["Location"] == url(draft)
    assert "Brouillon enregistré à" in main_text(client.get(url(draft)))
    draft.refresh_from_db()
    assert draft.version == 2
    assert draft.answers["impact"] == "1 000 usagers par mois"

    # A teammate's page still says version 1: the save is refused, their text is still on their screen.
    response = login(team.teammate).post(url(draft), complete(1, reponse_impact="Mon texte à ne pas perdre"))
    assert response.status_code == 200
    assert STALE in main_text(response)
    assert "Mon texte à ne pas perdre" in main_html(response)
    draft.refresh_from_db()
    assert draft.answers["impact"] == "1 000 usagers par mois"


# --- Submission --------------------------------------------------------------------------------------------------


def test_submission_errors_are_shown_next_to_each_field_and_in_a_summary(team, call, draft):
    Question.objects.create(call=call, key="debut", label="Date de début", type="date", order=3)
    Question.objects.create(call=call, key="cout", label="Coût de l'équipe", type="montant", order=4)
    Question.objects.create(
        call=call, key="taille", label="Taille de l'équipe", type="choix", choices=["1-3", "4+"], order=5
    )
    client = login(team.member)
    data = complete(
        1,
        reponse_probleme="",
        reponse_stats="justice.fr/stats",
        reponse_debut="31/02/2027",
        reponse_cout="12,50",
        reponse_taille="4+",
        stated_budget="",
    )

    response = client.post(url(draft, "deposer/"), data)

    assert response.status_code == 200
    assert "<title>Erreur : " in response.content.decode()
    assert field_error(response, "reponse_probleme") == "Cette question est obligatoire."
    assert field_error(response, "reponse_stats") == "Saisissez une adresse qui commence par https:// ou http://."
    assert field_error(response, "reponse_debut") == "Saisissez une date au format JJ/MM/AAAA."
    assert field_error(response, "reponse_cout") == "Saisissez un montant en euros, sans centimes."
    assert field_error(response, "stated_budget") == "Indiquez le budget du projet : le co-financement en dépend."
    assert field_error(response, "reponse_impact") == ""
    assert field_error(response, "reponse_taille") == ""
    html = main_html(response)
    assert "Le formulaire contient 5 erreurs" in words(html)
    assert '<a href="#id_reponse_stats">Page de statistiques : Saisissez une adresse' in html
    assert 'aria-invalid="true"' in html
    # What was typed is saved and still on screen, with the version now saved: the next save is not stale.
    assert 'value="justice.fr/stats"' in html
    assert 'name="version" value="2"' in html
    draft.refresh_from_db()
    assert draft.status == "brouillon"
    assert draft.answers["stats"] == "justice.fr/stats"
    assert draft.answers["taille"] == "4+"

    response = client.post(url(draft, "deposer/"), complete(2, stated_budget="beaucoup"))
    assert field_error(response, "stated_budget") == "Saisissez un nombre."
    draft.refresh_from_db()
    assert (draft.status, draft.version) == ("brouillon", 2)


def test_a_teammate_submits_the_draft_a_colleague_started_and_the_portfolio_manager_is_told(team, draft):
    login(team.member).post(url(draft, "brouillon/"), complete(1, reponse_impact=""))
    client = login(team.teammate)

    response = client.post(url(draft, "deposer/"), complete(2))

    assert response.status_code == 302
    assert response["Location"] == url(draft)
    draft.refresh_from_db()
    assert (draft.status, draft.applicant) == (ApplicationStatus.SUBMITTED, team.member)
    assert draft.answers["impact"] == "1 000 usagers par mois"
    manager = person("pierre.boussole")
    told = Notification.objects.get(kind="programmes.application_submitted_manager")
    assert told.recipient == manager.email
    assert "Justice pour tous" in told.subject
    assert Notification.objects.get(kind="programmes.application_submitted").recipient == team.teammate.email

    page = client.get(url(draft))
    text = main_text(page)
    assert "Votre candidature à « FAST 18 » est déposée." in text
    assert "Statut : Déposée" in text
    assert "En construction ou accélération : rempli" in text
    assert "Code source ouvert : rempli" in text
    assert "Stratégie de passage à l'échelle : vérifié par l'équipe de l'Incubateur" in text
    assert "L'impact mesuré 1 000 usagers par mois" in text
    assert f"Budget total du projet : 400{NNBSP}000{NBSP}€" in text
    assert '<a href="https://justice.beta.gouv.fr/stats" rel="noopener noreferrer">' in main_html(page)
    assert "<form" not in main_html(page)
    # Submitted: no more saving, no second submission.
    assert client.post(url(draft, "brouillon/"), complete(3)).status_code == 409
    response = client.post(url(draft, "deposer/"), complete(3))
    assert response.status_code == 302
    assert "Cette candidature a déjà été déposée." in main_text(client.get(url(draft)))


@pytest.mark.parametrize(
    ("closes", "at", "accepted"),
    [
        # Winter time again on 25 October 2026 (03:00 CEST → 02:00 CET): 12:00 in Paris is 11:00 UTC.
        ((2026, 10, 25, 12, 0), "2026-10-25 10:59:00", True),
        ((2026, 10, 25, 12, 0), "2026-10-25 11:00:00", False),
        # Summer time on 29 March 2026 (02:00 CET → 03:00 CEST): 03:30 in Paris is 01:30 UTC.
        ((2026, 3, 29, 3, 30), "2026-03-29 01:29:00", True),
        ((2026, 3, 29, 3, 30), "2026-03-29 01:30:00", False),
    ],
    ids=["octobre-11h59", "octobre-12h00", "mars-03h29", "mars-03h30"],
)
def test_the_deadline_is_at_the_minute_in_paris_time_across_a_dst_change(organisation, closes, at, accepted):
    closes_at = datetime.datetime(*closes, tzinfo=PARIS)
    with freeze_time(closes_at - datetime.timedelta(days=3)) as clock:
        product = justice_product(repository="https://github.com/betagouv/justice")
        member = team_member(product, username="camille.candidate")
        call = fast_call(opens_at=closes_at - datetime.timedelta(days=30), closes_at=closes_at)
        application = services.application_start(call=call, user=member, product=product)
        client = login(member)
        shown = f"{closes_at.day} {'octobre' if closes_at.month == 10 else 'mars'} 2026 à {closes_at:%H:%M}"
        assert f"Clôture : {shown} (heure de Paris)" in main_text(client.get(f"/programmes/appels/{call.pk}/"))

        clock.move_to(datetime.datetime.fromisoformat(at).replace(tzinfo=datetime.UTC))
        client = login(member)  # sessions last 12 hours
        response = client.post(url(application, "deposer/"), complete(1))

        application.refresh_from_db()
        if accepted:
            assert response.status_code == 302
            assert application.status == ApplicationStatus.SUBMITTED
        else:
            assert response.status_code == 200
            assert application.status == ApplicationStatus.DRAFT
            message = f"L'appel « FAST 18 » est clos depuis le {shown} : il ne reçoit plus de candidature."
            assert message in main_text(response)
            page = client.get(url(application))
            assert f"Ce brouillon n'a pas été déposé {message}" in main_text(page)
            assert "<form" not in main_html(page)
            assert client.post(url(application, "brouillon/"), complete(1)).status_code == 400


# --- Where the application stands --------------------------------------------------------------------------------


def submitted(team, call) -> Application:
    application = services.application_start(call=call, user=team.member, product=team.product)
    services.application_save_draft(
        application=application,
        user=team.member,
        answers={"probleme": "Papier", "impact": "Mesuré"},
        stated_budget=400_000,
    )
    services.application_submit(application=application, user=team.member)
    services.application_status_set(application=application, actor=team.staff, status="en-instruction")
    application.refresh_from_db()
    return application


def test_a_decision_stays_en_comite_until_the_results_are_published_then_the_reasons_show(team, call):
    application = submitted(team, call)
    client = login(team.teammate)
    text = main_text(client.get(url(application)))
    assert "Statut : En instruction" in text
    assert "Étape 3 sur 5" in text

    close(call)
    services.application_decide(
        application=application,
        actor=team.staff,
        decision="non-retenue",
        reasons="L'impact n'est pas encore mesuré.",
        confirm_without_review=True,
    )
    text = main_text(client.get(url(application)))
    assert "Statut : En comité" in text
    assert "Non retenue" not in text
    assert "L'impact n'est pas encore mesuré." not in text
    assert "Justice pour tous — FAST 18 FAST 18 FAST En comité" in main_text(client.get("/programmes/candidatures/"))

    services.results_publish(call=call, actor=team.staff)
    text = main_text(client.get(url(application)))
    assert "Statut : Non retenue" in text
    assert "Pourquoi la candidature n'est pas retenue L'impact n'est pas encore mesuré." in text
    assert "Justice pour tous — FAST 18 FAST 18 FAST Non retenue" in main_text(client.get("/programmes/candidatures/"))


def test_a_laureate_learns_its_amount_once_the_results_are_published(team, call):
    application = submitted(team, call)
    close(call)
    services.application_decide(
        application=application, actor=team.staff, decision="laureate", amount=150_000, confirm_without_review=True
    )
    client = login(team.member)
    text = main_text(client.get(url(application)))
    assert "Statut : En comité" in text
    assert "150" not in text

    services.results_publish(call=call, actor=team.staff)
    text = main_text(client.get(url(application)))
    assert "Statut : Lauréate" in text
    assert f"Candidature retenue Montant accordé : 150{NNBSP}000{NBSP}€." in text


def test_an_inadmissible_application_shows_why_at_once(team, call):
    application = services.application_start(call=call, user=team.member, product=team.product)
    services.application_save_draft(
        application=application, user=team.member, answers={"probleme": "P", "impact": "I"}, stated_budget=10
    )
    services.application_submit(application=application, user=team.member)
    services.application_status_set(
        application=application, actor=team.staff, status="irrecevable", reasons="Le produit n'a pas d'usagers."
    )
    text = main_text(login(team.member).get(url(application)))
    assert "Statut : Irrecevable" in text
    assert "Pourquoi la candidature n'est pas recevable Le produit n'a pas d'usagers." in text


def test_a_staff_member_in_the_team_uses_the_applicant_page(team, call):
    staff_member = team_member(team.product, username="staff.dans.equipe", is_incubator_staff=True)
    application = services.application_start(call=call, user=team.member, product=team.product)
    assert login(staff_member).get(url(application)).status_code == 200


def test_a_call_not_open_to_products_keeps_its_application_to_its_applicant(team):
    programme, _ = Programme.objects.get_or_create(slug="eig", defaults={"name": "EIG"})
    call = Call.objects.create(
        programme=programme,
        title="EIG 9",
        applicant_type="personne",
        opens_at=timezone.now() - datetime.timedelta(days=1),
        closes_at=timezone.now() + datetime.timedelta(days=10),
    )
    application = services.application_start(call=call, user=team.member, applicant_name="Camille Candidate")
    assert login(team.member).get(url(application)).status_code == 200
    assert login(team.teammate).get(url(application)).status_code == 404


def test_submitting_without_the_form_submits_what_the_draft_holds(team, draft):
    services.application_save_draft(application=draft, user=team.member, answers={"probleme": "P"}, stated_budget=1000)
    client = login(team.member)

    response = client.post(url(draft, "deposer/"))

    assert response.status_code == 200
    assert field_error(response, "reponse_impact") == "Cette question est obligatoire."
    assert 'name="version" value="2"' in main_html(response)
    services.application_save_draft(
        application=draft, user=team.member, answers={"probleme": "P", "impact": "I"}, stated_budget=1000
    )
    assert client.post(url(draft, "deposer/")).status_code == 302
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.SUBMITTED
