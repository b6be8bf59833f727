"""The programmes' staff pages: they render for Incubator staff and answer 404 to anyone else; their forms show
errors next to the fields (the services' included); lists and the committee's ranking read a constant number of
queries whatever the number of calls, applications and reviews."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from incubateur.core.models import JournalEntry
from incubateur.programmes import services
from incubateur.programmes.models import (
    Application,
    ApplicationStatus,
    Call,
    EligibilityCriterion,
    Programme,
    Question,
    Review,
    SelectionCriterion,
)
from incubateur.programmes.selectors import staff as queries_staff
from tests.factories import UserFactory
from tests.programmes.factories import close, fast_call, submitted, under_review
from tests.registry.factories import ProductFactory

CALLS = "/equipe/programmes/"
PARIS = datetime.timezone(datetime.timedelta(hours=1))  # winter time


def html(response) -> str:
    return response.content.decode()


def words(response) -> str:
    """What a reader gets of the page's <main>: tags out, entities decoded, spaces collapsed."""
    page = html(response)
    page = page[page.index("<main") : page.index("</main>")]
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def field_errors(response, name: str) -> str:
    """The text of the error block DSFR puts under the field `name` (its id is `id_<name>`)."""
    match = re.search(rf'id="id_{re.escape(name)}-desc-error">(.*?)</div>', html(response), re.S)
    assert match, f"no error next to {name}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def assert_ids_are_sound(response) -> None:
    """No id twice on a page, and every label points at an element of the page."""
    ids = re.findall(r'\sid="([^"]+)"', html(response))
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    labelled = re.findall(r'<label[^>]*\sfor="([^"]+)"', html(response))
    assert set(labelled) <= set(ids), set(labelled) - set(ids)


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.fixture
def staff(team, client):
    client.force_login(team.staff)
    return team.staff


@pytest.fixture
def application(team, call):
    return under_review(submitted(call, team.product, team.member), team.staff)


def call_form_data(call=None, **changes) -> dict:
    data = {
        "programme": call.programme_id if call else Programme.objects.get_or_create(slug="fast", name="FAST")[0].pk,
        "title": call.title if call else "FAST 19",
        "number": call.number if call else 19,
        "description": "",
        "opens_at": timezone.localtime(call.opens_at).strftime("%Y-%m-%dT%H:%M") if call else "2026-03-01T12:00",
        "closes_at": timezone.localtime(call.closes_at).strftime("%Y-%m-%dT%H:%M") if call else "2026-04-01T12:00",
        "applicant_type": call.applicant_type if call else "produit",
        "envelope": call.envelope if call else "2 500 000",
        "cap": call.cap if call else "200000",
        "max_cofinancing_share": call.max_cofinancing_share if call else 50,
        "rules_editable": "" if call and call.is_frozen() else "1",
    }
    data.update(changes)
    return data


# --- Access -----------------------------------------------------------------------------------------------------


def staff_urls(call, application) -> list[str]:
    return [
        CALLS,
        f"{CALLS}appels/nouveau/",
        f"{CALLS}appels/{call.pk}/",
        f"{CALLS}appels/{call.pk}/modifier/",
        f"{CALLS}appels/{call.pk}/regles/",
        f"{CALLS}appels/{call.pk}/comite/",
        f"{CALLS}appels/{call.pk}/publier/",
        f"{CALLS}candidatures/{application.pk}/",
        f"{CALLS}candidatures/{application.pk}/se-retirer/",
    ]


def test_every_page_renders_for_staff_and_administrators(client, team, call, application):
    for user in (team.staff, team.admin):
        client.force_login(user)
        for url in staff_urls(call, application):
            response = client.get(url)
            assert response.status_code == 200, url
            assert 'aria-current="page"' in html(response), url  # every page has its breadcrumb
            assert_ids_are_sound(response)


def test_community_members_get_a_404_even_on_their_own_application(client, team, call, application):
    client.force_login(team.member)  # the applicant
    for url in staff_urls(call, application):
        assert client.get(url).status_code == 404, url
    for suffix in ("statut/", "eligibilite/", "evaluation/", "se-retirer/", "decision/"):
        url = f"{CALLS}candidatures/{application.pk}/{suffix}"
        assert client.post(url, {"status": "irrecevable", "reasons": "x"}).status_code == 404, url
    assert client.post(f"{CALLS}appels/{call.pk}/publier/").status_code == 404
    assert client.post(f"{CALLS}appels/nouveau/", call_form_data()).status_code == 404
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert not Call.objects.filter(number=19).exists()


def test_drafts_are_the_applicants_business(client, staff, team, call):
    draft = services.application_start(call=call, user=team.member, product=team.product)
    assert client.get(f"{CALLS}candidatures/{draft.pk}/").status_code == 404
    assert "Aucune candidature déposée pour l'instant." in words(client.get(f"{CALLS}appels/{call.pk}/"))


# --- Calls ------------------------------------------------------------------------------------------------------


def test_the_calls_are_listed_by_programme_with_their_counts_and_envelope(client, staff, team, call, application):
    other = Call.objects.create(programme=Programme.objects.create(slug="eig", name="EIG", order=1), title="EIG 8")
    close(call)
    services.application_decide(
        application=application,
        actor=staff,
        decision=ApplicationStatus.LAUREATE,
        amount=150_000,
        confirm_without_review=True,
    )
    text = words(client.get(CALLS))
    assert "Nouvel appel" in text
    assert "FAST 18 clos" in text
    assert "Lauréate : 1" in text
    assert "150\u202f000\u00a0€ sur 1\u202f000\u202f000\u00a0€" in text
    assert f"{other.title} en préparation — — Aucune 0\u00a0€ (pas d'enveloppe)" in text
    assert "Aucune" in text


def test_a_call_is_created_with_paris_times(client, staff):
    response = client.post(f"{CALLS}appels/nouveau/", call_form_data())
    call = Call.objects.get(number=19)
    assert response.status_code == 302 and response["Location"] == f"{CALLS}appels/{call.pk}/regles/"
    assert call.opens_at == datetime.datetime(2026, 3, 1, 12, 0, tzinfo=PARIS)
    assert call.closes_at == datetime.datetime(2026, 4, 1, 10, 0, tzinfo=datetime.UTC)  # 12:00 summer time
    assert (call.envelope, call.cap, call.max_cofinancing_share, call.created_by) == (2_500_000, 200_000, 50, staff)
    assert JournalEntry.objects.filter(action="programmes.call_created").exists()


def test_the_call_form_shows_its_errors_next_to_the_fields(client, staff, call):
    response = client.post(f"{CALLS}appels/nouveau/", {"title": "", "programme": ""})
    assert response.status_code == 200
    assert "Indiquez le titre de l'appel." in field_errors(response, "title")
    assert "Choisissez le programme." in field_errors(response, "programme")
    assert words(response).startswith("Voir le fil d'Ariane") and "Le formulaire contient" in words(response)

    response = client.post(
        f"{CALLS}appels/nouveau/", call_form_data(opens_at="2026-04-01T12:00", closes_at="2026-04-01T11:00")
    )
    assert "La clôture doit suivre l'ouverture." in field_errors(response, "closes_at")
    # 02:30 does not exist in Paris on the night of the change to summer time.
    response = client.post(f"{CALLS}appels/nouveau/", call_form_data(opens_at="2026-03-29T02:30"))
    assert "Europe/Paris" in field_errors(response, "opens_at")
    response = client.post(f"{CALLS}appels/nouveau/", call_form_data(number=18, envelope="beaucoup"))
    assert "Le programme FAST a déjà un appel n°18." in field_errors(response, "number")
    assert "Saisissez un montant en euros, sans centimes." in field_errors(response, "envelope")
    response = client.post(f"{CALLS}appels/nouveau/", call_form_data(max_cofinancing_share=120))
    assert field_errors(response, "max_cofinancing_share")
    assert Call.objects.count() == 1


def test_once_open_the_rules_of_a_call_are_shown_disabled_and_do_not_change(client, staff, call):
    url = f"{CALLS}appels/{call.pk}/modifier/"
    response = client.get(url)
    page = html(response)
    for name in services.FROZEN_FIELDS:
        assert re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*disabled', page), name
    for name in ("title", "closes_at", "description"):
        assert not re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*disabled', page), name
    assert "L'appel est ouvert depuis le" in words(response)
    assert "ce champ fait partie de ses règles, qui ne changent plus" in words(response)
    # Browsers do not send disabled fields: what is posted for them is ignored; the rest is saved.
    data = call_form_data(call, title="FAST 18 — printemps", envelope="5000000")
    for name in services.FROZEN_FIELDS:
        data.pop(name)
    assert client.post(url, data).status_code == 302
    call.refresh_from_db()
    assert (call.title, call.envelope) == ("FAST 18 — printemps", 1_000_000)


def test_a_form_shown_before_the_opening_and_posted_after_it_is_refused_field_by_field(client, staff):
    opening = (timezone.now() + datetime.timedelta(hours=1)).replace(second=0, microsecond=0)
    call = fast_call(opens_at=opening)
    url = f"{CALLS}appels/{call.pk}/modifier/"
    response = client.get(url)
    assert 'name="rules_editable" value="1"' in html(response)
    assert "disabled" not in re.search(r'<input[^>]*name="envelope"[^>]*>', html(response)).group(0)
    data = call_form_data(call, envelope="2000000", cap="100000", title="FAST 18 bis", rules_editable="1")
    with freeze_time(opening + datetime.timedelta(minutes=1)):
        response = client.post(url, data)
    assert response.status_code == 200
    assert "L'appel est ouvert : ses règles ne changent plus." in field_errors(response, "envelope")
    assert "L'appel est ouvert : ses règles ne changent plus." in field_errors(response, "cap")
    call.refresh_from_db()
    assert (call.title, call.envelope, call.cap) == ("FAST 18", 1_000_000, 300_000)


# --- The rules of a call ------------------------------------------------------------------------------------------


def rules_data(questions=(), eligibility=(), criteria=(), initial=(0, 0, 0)) -> dict:
    data = {}
    for (prefix, rows), count in zip(
        (("questions", questions), ("eligibilite", eligibility), ("criteres", criteria)), initial, strict=True
    ):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(count)
        for n, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{n}-{key}"] = value
    return data


@pytest.fixture
def future_call():
    call = fast_call(opens_at=timezone.now() + datetime.timedelta(days=7))
    call.questions.all().delete()
    call.eligibility_criteria.all().delete()
    call.selection_criteria.all().delete()
    return call


def test_the_fast_template_prefills_the_criteria_without_saving(client, staff, future_call):
    url = f"{CALLS}appels/{future_call.pk}/regles/"
    assert "Pré-remplir avec le modèle FAST" in words(client.get(url))
    response = client.get(url, {"modele": "fast"})
    page = html(response)
    for n, label in enumerate(["Impact", "Maturité", "Ambition", "Soutien"]):
        assert f'name="criteres-{n}-label"' in page and f'value="{label}"' in page
    assert 'value="Le code source est ouvert"' in page
    assert re.search(r'<option value="dashlord" selected>', page)
    assert "Le modèle FAST est pré-rempli : vérifiez puis enregistrez." in words(response)
    assert_ids_are_sound(response)
    assert not SelectionCriterion.objects.filter(call=future_call).exists()
    assert not EligibilityCriterion.objects.filter(call=future_call).exists()


def test_the_rules_are_saved_through_three_formsets(client, staff, future_call):
    url = f"{CALLS}appels/{future_call.pk}/regles/"
    data = rules_data(
        questions=[
            {"key": "probleme", "label": "Le problème", "type": "texte-long", "required": "on", "help_text": ""},
            {"key": "taille", "label": "Taille", "type": "choix", "choices": "Petite\r\nGrande\r\n\r\nPetite"},
            {"key": "", "label": "", "type": "texte", "required": "on"},  # a blank extra row: ignored
        ],
        eligibility=[{"label": "Code ouvert", "verification": "code-public"}],
        criteria=[
            {"label": "Impact", "weight": "3", "description": "Mesuré"},
            {"label": "Soutien", "weight": "1"},
        ],
    )
    response = client.post(url, data)
    assert response.status_code == 302, field_errors(response, "questions-1-choices")
    questions = list(future_call.questions.all())
    assert [(q.key, q.type, q.required, q.choices) for q in questions] == [
        ("probleme", "texte-long", True, []),
        ("taille", "choix", False, ["Petite", "Grande"]),
    ]
    assert [(c.label, c.weight) for c in future_call.selection_criteria.all()] == [("Impact", 3), ("Soutien", 1)]
    # Shown again as they are; one deleted.
    page = html(client.get(url))
    assert 'value="probleme"' in page and "Petite\nGrande</textarea>" in page
    data = rules_data(
        questions=[
            {"key": "probleme", "label": "Le problème", "type": "texte-long", "required": "on"},
            {"key": "taille", "label": "Taille", "type": "choix", "choices": "Petite", "DELETE": "on"},
        ],
        criteria=[{"label": "Impact", "weight": "3"}],
        initial=(2, 0, 1),
    )
    assert client.post(url, data).status_code == 302
    assert [q.key for q in future_call.questions.all()] == ["probleme"]


def test_the_rules_forms_show_their_errors_next_to_the_fields(client, staff, future_call):
    url = f"{CALLS}appels/{future_call.pk}/regles/"
    response = client.post(
        url,
        rules_data(
            questions=[{"key": "mauvais identifiant", "label": "Choix", "type": "choix", "choices": ""}],
            criteria=[{"label": "Impact", "weight": "0"}],
        ),
    )
    assert response.status_code == 200
    assert "sans espace ni accent" in field_errors(response, "questions-0-key")
    assert "Indiquez les choix possibles, un par ligne." in field_errors(response, "questions-0-choices")
    assert "Le poids est d'au moins 1." in field_errors(response, "criteres-0-weight")
    assert "Les règles ne sont pas enregistrées" in words(response)
    # The service's refusal (two questions with the same key) is shown in its section.
    response = client.post(
        url,
        rules_data(
            questions=[
                {"key": "probleme", "label": "Un", "type": "texte"},
                {"key": "probleme", "label": "Deux", "type": "texte"},
            ]
        ),
    )
    assert response.status_code == 200
    assert "Deux questions ont le même identifiant." in words(response)
    assert not Question.objects.filter(call=future_call).exists()


def test_the_rules_of_an_open_call_are_read_only(client, staff, call):
    url = f"{CALLS}appels/{call.pk}/regles/"
    response = client.get(url)
    text = words(response)
    assert "ses questions et ses critères ne changent plus" in text
    assert "Impact 3" in text and "Stratégie de passage à l'échelle vérifié par l'équipe de l'Incubateur" in text
    assert "<form" not in html(response)[html(response).index("<main") :].split("</main>")[0].replace(
        '<form method="post" action="/deconnexion/"', ""
    )
    response = client.post(url, rules_data(criteria=[{"label": "Autre", "weight": "1"}]), follow=True)
    assert "L'appel est ouvert : ses questions et ses critères ne changent plus." in words(response)
    assert [c.label for c in call.selection_criteria.all()] == ["Impact", "Maturité", "Ambition", "Soutien"]


# --- A call's applications -----------------------------------------------------------------------------------------


def test_the_applications_of_a_call_with_eligibility_reviews_and_filters(client, staff, team, call, application):
    criteria = list(call.eligibility_criteria.all())
    services.eligibility_mark(application=application, actor=staff, criterion=criteria[0], value=True)
    services.eligibility_mark(application=application, actor=staff, criterion=criteria[1], value=False)
    impact = list(call.selection_criteria.all())
    services.review_save(
        application=application,
        reviewer=team.manager,
        scores={str(c.pk): 4 for c in impact},
        submit=True,
    )
    response = client.get(f"{CALLS}appels/{call.pk}/")
    text = words(response)
    assert "1 candidature." in text
    assert "En construction ou accélération : rempli" in text
    assert "Code source ouvert : non rempli" in text
    assert "Stratégie de passage à l'échelle : à vérifier" in text
    assert "1 sur 1" in text
    assert "masquée" in text  # staff has not reviewed it
    assert f'href="{CALLS}candidatures/{application.pk}/"' in html(response)
    client.force_login(team.manager)
    assert "4,00 / 5" in words(client.get(f"{CALLS}appels/{call.pk}/"))
    # The filter by status.
    response = client.get(f"{CALLS}appels/{call.pk}/", {"statut": "en-comite"})
    assert "Aucune candidature « En comité »." in words(response)
    assert response.context["page_obj"].paginator.count == 0
    response = client.get(f"{CALLS}appels/{call.pk}/", {"statut": "en-instruction"})
    assert response.context["page_obj"].paginator.count == 1


def test_the_applications_are_paginated(client, staff, call, monkeypatch):
    monkeypatch.setattr(queries_staff, "PAGE_SIZE", 2)
    for n in range(5):
        Application.objects.create(call=call, applicant_name=f"Candidat {n}", status=ApplicationStatus.SUBMITTED)
    response = client.get(f"{CALLS}appels/{call.pk}/", {"statut": "deposee", "page": 3})
    assert [row.application.applicant_name for row in response.context["page_obj"]] == ["Candidat 0"]
    assert "5 candidatures « Déposée », page 3 sur 3." in words(response)
    assert "statut=deposee&amp;page=2" in html(response)


# --- One application ----------------------------------------------------------------------------------------------


def test_the_application_page_shows_the_answers_and_the_product(client, staff, team, application):
    response = client.get(f"{CALLS}candidatures/{application.pk}/")
    text = words(response)
    assert "Le problème, chiffré Trop de papier" in text
    assert "Page de statistiques Sans réponse" in text
    assert 'href="/produits/justice-pour-tous/"' in html(response)
    assert "camille.candidate@beta.gouv.fr" in text
    assert "Budget du projet : 400\u202f000\u00a0€ ; montant demandé : 200\u202f000\u00a0€" in text


def test_staff_mark_eligibility_criteria(client, staff, application):
    criterion = application.call.eligibility_criteria.get(verification="manuel")
    url = f"{CALLS}candidatures/{application.pk}/eligibilite/"
    response = client.post(url, {"criterion": criterion.pk, f"critere-{criterion.pk}-value": "oui"})
    assert response.status_code == 302 and response["Location"].endswith("#eligibilite")
    application.refresh_from_db()
    assert application.eligibility[str(criterion.pk)] is True
    response = client.post(url, {"criterion": criterion.pk, f"critere-{criterion.pk}-value": "peut-etre"})
    assert response.status_code == 200
    assert field_errors(response, f"critere-{criterion.pk}-value")
    other = fast_call(title="Autre", number=20).eligibility_criteria.first()
    response = client.post(url, {"criterion": other.pk, f"critere-{other.pk}-value": "non"}, follow=True)
    assert "Ce critère n'est pas celui de cet appel." in words(response)
    application.refresh_from_db()
    assert str(other.pk) not in application.eligibility


def test_status_transitions_and_the_reasons_of_an_inadmissible_application(client, staff, team, call):
    application = submitted(call, team.product, team.member)
    url = f"{CALLS}candidatures/{application.pk}/statut/"
    page = html(client.get(f"{CALLS}candidatures/{application.pk}/"))
    assert 'value="irrecevable"' in page and 'value="en-instruction"' in page and 'value="en-comite"' not in page
    response = client.post(url, {"statut-status": "irrecevable", "statut-reasons": ""})
    assert response.status_code == 200
    assert "Dites au candidat pourquoi sa candidature est irrecevable." in field_errors(response, "statut-reasons")
    response = client.post(url, {"statut-status": "en-comite"})
    assert "Une candidature à ce statut ne peut pas passer à celui-ci." in field_errors(response, "statut-status")
    response = client.post(url, {"statut-status": "irrecevable", "statut-reasons": "Le code n'est pas ouvert."})
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.decision_reasons) == ("irrecevable", "Le code n'est pas ouvert.")
    text = words(client.get(f"{CALLS}candidatures/{application.pk}/"))
    assert "Motifs donnés au candidat : Le code n'est pas ouvert." in text
    assert "Changer le statut" not in text


def test_a_review_is_saved_as_a_draft_then_submitted_and_a_withdrawal_is_confirmed_first(client, staff, application):
    url = f"{CALLS}candidatures/{application.pk}/"
    assert client.get(f"{url}evaluation/")["Location"] == f"{url}#evaluation"
    criteria = list(application.call.selection_criteria.all())
    data = {f"score_{c.pk}": "3" for c in criteria}
    response = client.post(f"{url}evaluation/", {**data, "comment": "À revoir", "action": "brouillon"})
    assert response.status_code == 302
    assert "selected>3</option>" in html(client.get(url)) and "À revoir" in html(client.get(url))
    response = client.post(f"{url}evaluation/", {**data, f"score_{criteria[0].pk}": "9", "action": "remettre"})
    assert field_errors(response, f"score_{criteria[0].pk}")
    response = client.post(f"{url}evaluation/", {**data, "comment": "Solide", "action": "remettre"})
    assert response.status_code == 302
    text = words(client.get(url))
    assert "Votre évaluation, remise le" in text and "Solide" in text and "3,00 / 5" in text
    # Withdrawing is confirmed on its own page; a submitted review then no longer counts.
    assert "vous n'évaluerez plus cette candidature" in words(client.get(f"{url}se-retirer/"))
    assert Review.objects.filter(withdrawn=True).count() == 0
    client.post(f"{url}se-retirer/")
    assert Review.objects.get().withdrawn
    assert "Vous vous êtes déjà retiré(e)" in words(client.get(f"{url}se-retirer/"))
    assert "0 évaluation remise sur 0 ouverte" in words(client.get(url))


def test_the_decision_form_says_what_is_left_of_the_envelope(client, staff, call, application):
    close(call)
    text = words(client.get(f"{CALLS}candidatures/{application.pk}/"))
    assert "Enveloppe de l'appel : 1\u202f000\u202f000\u00a0€, dont 0\u00a0€ déjà attribués" in text
    assert "Je confirme cette décision : elle ne pourra plus être modifiée" in text
    decision = f"{CALLS}candidatures/{application.pk}/decision/"
    unreviewed = {"confirm": "on", "confirm_without_review": "on"}
    response = client.post(decision, {"decision": "laureate", "amount": "", **unreviewed})
    assert "Indiquez le montant accordé (0 pour un accompagnement seul)." in field_errors(response, "amount")
    response = client.post(decision, {"decision": "laureate", "amount": "0", **unreviewed})
    assert response.status_code == 302
    text = words(client.get(f"{CALLS}candidatures/{application.pk}/"))
    assert "Lauréate : 0\u00a0€, décidée le" in text
    assert "Le candidat l'apprendra à la publication des résultats de l'appel" in text


def test_the_publication_page_confirms_first(client, staff, call):
    response = client.get(f"{CALLS}appels/{call.pk}/publier/")
    text = words(response)
    assert "Aucun lauréat." in text and "0 candidature non retenue" in text
    assert "La publication est définitive" in text
    assert not Call.objects.get(pk=call.pk).results_published


# --- Query counts -------------------------------------------------------------------------------------------------


def add_applications(call, n: int, reviewers, *, status=ApplicationStatus.UNDER_REVIEW, prefix="p"):
    criteria = list(call.selection_criteria.all())
    now = timezone.now()
    for i in range(n):
        product = ProductFactory(ghid=f"{prefix}-{call.pk}-{i}", name=f"Produit {prefix} {i}")
        application = Application.objects.create(
            call=call,
            product=product,
            status=status,
            submitted_at=now,
            eligibility={str(c.pk): bool(i % 2) for c in call.eligibility_criteria.all()},
            amount_requested=1000 * i,
        )
        for j, reviewer in enumerate(reviewers):
            Review.objects.create(
                application=application,
                reviewer=reviewer,
                scores={str(c.pk): 1 + (i + j) % 5 for c in criteria},
                submitted_at=now if j % 3 != 2 else None,
                withdrawn=j == 3,
            )


def test_the_calls_list_reads_a_constant_number_of_queries(client, staff, call):
    add_applications(call, 1, [staff])
    few = count_queries(client, CALLS)
    for n in range(3):
        programme = Programme.objects.create(slug=f"programme-{n}", name=f"Programme {n}", order=n + 1)
        for m in range(2):
            other = Call.objects.create(programme=programme, title=f"Appel {n}.{m}", number=m + 1, envelope=10**6)
            add_applications(other, 2, [staff], status=ApplicationStatus.LAUREATE, prefix=f"c{n}{m}")
    assert count_queries(client, CALLS) == few


def test_a_calls_page_reads_a_constant_number_of_queries(client, staff, team, call):
    reviewers = [team.manager, UserFactory(username="r.un", staff=True)]
    add_applications(call, 2, reviewers)
    url = f"{CALLS}appels/{call.pk}/"
    few = count_queries(client, url)
    add_applications(call, 8, [*reviewers, staff, UserFactory(username="r.deux", staff=True)], prefix="q")
    add_applications(call, 3, reviewers, status=ApplicationStatus.IN_COMMITTEE, prefix="r")
    assert count_queries(client, url) == few
    assert count_queries(client, url + "?statut=en-instruction&page=1") == few


def test_the_committee_reads_a_constant_number_of_queries(client, staff, team, call):
    reviewers = [team.manager, UserFactory(username="r.un", staff=True)]
    add_applications(call, 2, reviewers, status=ApplicationStatus.IN_COMMITTEE)
    url = f"{CALLS}appels/{call.pk}/comite/"
    few = count_queries(client, url)
    add_applications(call, 8, [*reviewers, staff, UserFactory(username="r.deux", staff=True)], prefix="q")
    add_applications(call, 5, reviewers, status=ApplicationStatus.IN_COMMITTEE, prefix="r")
    response = client.get(url)
    assert len(response.context["ranking"].rows) == 15
    assert count_queries(client, url) == few
