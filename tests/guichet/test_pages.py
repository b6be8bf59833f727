"""The guichet's requester pages (/guichet/, the form, « Mes demandes ») and the request page with its actions:
who sees what, the forms and their errors, double submission, concurrent edits, internal notes, confidential
requests (404 for everyone else on every route, no subject in the title, reads logged and shown), query counts."""

import datetime
import re
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incubateur.guichet import services
from incubateur.guichet.forms.requester import TicketForm
from incubateur.guichet.models import Message, Participant, Read, RoutingRule, Status, Ticket
from incubateur.guichet.routing import pole_contact
from incubateur.organisation.models import Pole
from tests.factories import UserFactory, person
from tests.registry.factories import ProductFactory, team_member

HOME = "/guichet/"
MINE = "/guichet/demandes/"


def new_url(kind: str) -> str:
    return f"/guichet/nouvelle/{kind}/"


def ticket_url(ticket, action: str = "") -> str:
    return f"/guichet/demandes/{ticket.reference}/{action}"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def words(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return " ".join(unescape(html).split())


def text(response) -> str:
    """The words of the page's <main>."""
    html = response.content.decode()
    return words(html[html.index("<main") : html.index("</main>")])


def title(response) -> str:
    return " ".join(unescape(re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)).split())


def field_error(response, field: str) -> str:
    """The error shown under a field (its DSFR error block, which the input points to)."""
    html = response.content.decode()
    marker = f'id="id_{field}-desc-error"'
    assert marker in html, f"no error on {field}"
    assert f'aria-describedby="id_{field}-desc-error"' in html, f"the field {field} does not point to its error"
    start = html.index(">", html.index(marker)) + 1
    return words(html[start : html.index("</div>", start)])


def hidden(response, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', response.content.decode())
    assert match, f"no hidden {name}"
    return match.group(1)


def options(response, name: str) -> list[str]:
    html = response.content.decode()
    select = re.search(rf'<select name="{re.escape(name)}".*?</select>', html, re.S)
    assert select, f"no select {name}"
    return [words(o) for o in re.findall(r"<option[^>]*>(.*?)</option>", select.group(0), re.S)]


def follow(client, response):
    assert response.status_code == 302, response.status_code
    return client.get(response["Location"])


@pytest.fixture
def ticket(cast):
    return services.ticket_submit(
        requester=cast.requester,
        kind="doute-produit",
        subject="Faut-il pivoter ?",
        body="Nos usagers ne viennent pas.",
        product=cast.product,
    )


@pytest.fixture
def recipient(cast):
    return person("gael.ivoire")


@pytest.fixture
def confidential(cast, recipient):
    return services.ticket_submit(
        requester=cast.requester,
        kind="mal-etre",
        subject="Tensions avec mon intrapreneur",
        body="Je ne sais plus comment faire.",
        recipient=recipient,
    )


# --- /guichet/ -----------------------------------------------------------------------------------------------------


def test_home_lists_every_kind_with_who_answers(cast):
    response = client_for(cast.requester).get(HOME)
    assert response.status_code == 200
    page = text(response)
    assert "J'ai un doute sur mon produit" in page
    assert "Réponse : la ou le responsable du portefeuille de votre produit" in page
    assert "Réponse : Emilie Grenat, responsable des opérations" in page  # convention, administratif
    assert "Réponse : le Pôle Animation et Expertises" in page  # communauté
    assert (
        "Réponse, selon le sujet : le Pôle Accélération, le Pôle Animation et Expertises ou la ou le responsable du "
        "portefeuille de votre produit" in page
    )
    assert page.count("Réponse : la personne de l'Incubateur que vous choisissez") == 2  # mal-être, signalement
    assert "Une première réponse sous un jour ouvré" in page
    assert "Une demande confidentielle n'est lue que par la personne que vous choisissez" in page
    html = response.content.decode()
    assert f'href="{MINE}"' in html
    for kind in ("doute-produit", "mal-etre", "autre"):
        assert f'href="{new_url(kind)}"' in html


def test_home_reads_who_answers_from_the_routing_table(cast):
    RoutingRule.objects.filter(kind="communaute", topic="", portfolio=None).update(
        target=RoutingRule.Target.PERSON, pole=None, person=person("flora.bruine")
    )
    assert "Réponse : Flora Bruine" in text(client_for(cast.requester).get(HOME))


def test_the_header_links_to_the_guichet_and_staff_to_the_desk(cast):
    member_page = client_for(cast.requester).get(HOME).content.decode()
    assert '<a class="fr-nav__link" href="/guichet/" aria-current="page">Guichet</a>' in member_page
    assert "/guichet/equipe/" not in member_page
    staff_page = client_for(cast.other_staff).get(HOME).content.decode()
    assert '<a class="fr-nav__link" href="/guichet/equipe/">Demandes du guichet</a>' in staff_page
    assert 'aria-controls="menu-equipe">Espace équipe</button>' in staff_page
    assert "Espace équipe" not in member_page


# --- The form ------------------------------------------------------------------------------------------------------


def test_an_unknown_kind_is_a_404(cast):
    assert client_for(cast.requester).get(new_url("inconnu")).status_code == 404
    assert client_for(cast.requester).post(new_url("inconnu"), {"subject": "x", "body": "y"}).status_code == 404


def test_the_form_asks_what_each_kind_needs(cast):
    client = client_for(cast.requester)
    doubt = client.get(new_url("doute-produit"))
    assert doubt.status_code == 200
    assert options(doubt, "product") == ["Aucun produit en particulier", "Justice pour tous"]
    html = doubt.content.decode()
    assert 'name="topic"' not in html and 'name="ministry"' not in html
    assert "Rendre cette demande confidentielle" in html
    assert 'name="idempotency_key"' in html

    soutien = client.get(new_url("soutien-dinum")).content.decode()
    assert soutien.count('type="radio" name="topic"') == 6
    assert "Programme Gamma" in soutien

    partenariat = client.get(new_url("partenariat"))
    assert "Justice" in options(partenariat, "ministry")

    # A kind that does not ask for a product; a member without product gets no picker either.
    assert 'name="product"' not in client.get(new_url("communaute")).content.decode()
    assert 'name="product"' not in client_for(cast.other_member).get(new_url("doute-produit")).content.decode()


def test_a_confidential_kind_asks_for_its_recipient_among_current_staff(cast):
    UserFactory(username="ancien.staff", first_name="Ancien", last_name="Staff", staff=True)  # no current position
    response = client_for(cast.requester).get(new_url("mal-etre"))
    html = response.content.decode()
    assert "Rendre cette demande confidentielle" not in html  # always confidential
    people = options(response, "recipient")
    assert people[0] == "Sélectionner une personne"
    assert (
        "Pierre Boussole — Responsable de portefeuille : Justice, le Pôle Partenariats / Responsables de Portefeuille "
        "Ministériel" in people
    )
    assert not any(label.startswith("Ancien Staff") for label in people)
    assert people[1:] == sorted(people[1:], key=lambda label: label.split(" — ")[0])


def test_a_request_is_sent_to_the_routed_person_with_a_deadline(cast):
    client = client_for(cast.requester)
    form = client.get(new_url("doute-produit"))
    response = client.post(
        new_url("doute-produit"),
        {
            "subject": "Faut-il pivoter ?",
            "body": "Nos usagers ne viennent pas.",
            "product": cast.product.pk,
            "idempotency_key": hidden(form, "idempotency_key"),
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == ticket_url(ticket)
    assert ticket.assignee == cast.assignee and ticket.product == cast.product and not ticket.confidential
    page = follow(client, response)
    due = timezone.localtime(ticket.first_response_due)
    assert (
        f"Votre demande {ticket.reference} est envoyée. Pierre Boussole vous répondra : réponse attendue avant le "
        f"{due.day} " in text(page)
    )
    assert f"à {due:%H:%M}." in text(page)


def test_a_double_submission_creates_one_request(cast):
    client = client_for(cast.requester)
    key = hidden(client.get(new_url("autre")), "idempotency_key")
    data = {"subject": "Une question", "body": "Bonjour", "idempotency_key": key}
    first = client.post(new_url("autre"), data)
    second = client.post(new_url("autre"), data)
    assert Ticket.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == ticket_url(Ticket.objects.get())
    # Another rendering of the form is another request.
    client.post(new_url("autre"), {**data, "idempotency_key": hidden(client.get(new_url("autre")), "idempotency_key")})
    assert Ticket.objects.count() == 2


def test_form_errors_are_shown_next_to_their_fields(cast):
    client = client_for(cast.requester)
    response = client.post(new_url("soutien-dinum"), {"subject": "", "body": " "})
    assert response.status_code == 200
    assert title(response).startswith("Erreur : J'ai besoin du soutien de la DINUM")
    assert field_error(response, "subject") == "Donnez un objet à votre demande."
    assert field_error(response, "body") == "Écrivez votre message."
    assert field_error(response, "topic") == "Précisez le sujet de votre demande."
    assert not Ticket.objects.exists()

    missing = client.post(new_url("mal-etre"), {"subject": "Difficile", "body": "…"})
    assert field_error(missing, "recipient") == (
        "Choisissez la personne de l'Incubateur à qui vous adressez cette demande."
    )
    unchecked = client.post(new_url("autre"), {"subject": "x", "body": "y", "recipient": cast.assignee.pk})
    assert "cochez « Rendre cette demande confidentielle »" in field_error(unchecked, "recipient")
    nobody = client.post(new_url("autre"), {"subject": "x", "body": "y", "confidential": "on"})
    assert field_error(nobody, "recipient") == (
        "Choisissez la personne de l'Incubateur qui lira votre demande confidentielle."
    )
    assert not Ticket.objects.exists()


def test_a_product_outside_the_team_is_refused_on_the_product_field(cast):
    outsider = ProductFactory(ghid="pas-le-mien", name="Pas le mien")
    response = client_for(cast.requester).post(
        new_url("doute-produit"), {"subject": "x", "body": "y", "product": outsider.pk}
    )
    assert "Sélectionnez un choix valide" in field_error(response, "product")
    # The service's own refusal (its field is "startup") lands on the same field.
    form = TicketForm({"subject": "x", "body": "y"}, kind="doute-produit", user=cast.requester)
    assert form.is_valid()
    with pytest.raises(ValidationError) as refused:
        services.ticket_submit(requester=cast.requester, kind="doute-produit", subject="x", body="y", product=outsider)
    form.add_service_errors(refused.value)
    assert form.errors["product"] == ["Vous ne faites pas partie de l'équipe active de ce produit."]


def test_any_kind_can_be_made_confidential(cast, recipient):
    client = client_for(cast.requester)
    response = client.post(
        new_url("autre"), {"subject": "Délicat", "body": "…", "confidential": "on", "recipient": recipient.pk}
    )
    ticket = Ticket.objects.get()
    assert ticket.confidential and ticket.assignee == recipient
    assert "Délicat" not in title(follow(client, response))


# --- « Mes demandes » ----------------------------------------------------------------------------------------------


def test_mine_lists_the_requesters_and_their_teams_requests_only(cast, ticket):
    other = services.ticket_submit(requester=cast.other_member, kind="autre", subject="Pas à moi", body="…")
    offer = services.offer_propose(
        offered_by=cast.other_staff, product=cast.product, topic="Un coup de main", message="…"
    )
    team_ticket = services.offer_accept(offer=offer, member_user=cast.teammate)

    page = text(client_for(cast.requester).get(MINE))
    assert f"{ticket.reference} — Faut-il pivoter ?" in page
    assert f"{team_ticket.reference} — Offre d'aide : Un coup de main" in page
    assert "Pas à moi" not in page
    assert "Justice pour tous" in page and "Nouvelle" in page

    # Staff see every request, but « Mes demandes » is only what they asked.
    staff_page = text(client_for(cast.assignee).get(MINE))
    assert "Faut-il pivoter" not in staff_page and "Pas à moi" not in staff_page
    assert other.pk


def test_mine_has_an_empty_state(cast):
    response = client_for(cast.other_member).get(MINE)
    assert "Vous n'avez encore fait aucune demande au guichet." in text(response)
    assert f'<a class="fr-btn" href="{HOME}">Faire une demande</a>' in response.content.decode()


def test_mine_is_paginated(cast):
    for n in range(21):
        services.ticket_submit(requester=cast.requester, kind="autre", subject=f"Question {n}", body="…")
    client = client_for(cast.requester)
    first = text(client.get(MINE))
    assert "1 / 2" in first and "Question 20" in first and "Question 0 " not in first
    assert "Question 0 " in text(client.get(MINE, {"page": 2})) + " "


def test_mine_query_count_stays_flat(cast, django_assert_num_queries):
    for n in range(2):
        services.ticket_submit(
            requester=cast.requester, kind="doute-produit", subject=f"A{n}", body="…", product=cast.product
        )
    client = client_for(cast.requester)
    with CaptureQueriesContext(connection) as before:
        assert client.get(MINE).status_code == 200
    services.ticket_submit(requester=cast.requester, kind="autre", subject="B", body="…")
    services.ticket_submit(requester=cast.requester, kind="doute-produit", subject="C", body="…", product=cast.product)
    services.ticket_submit(requester=cast.requester, kind="mal-etre", subject="D", body="…", recipient=cast.assignee)
    with django_assert_num_queries(len(before.captured_queries)):
        response = client.get(MINE)
    assert text(response).count(" — ") >= 5


# --- The request page ----------------------------------------------------------------------------------------------


def test_the_request_page_shows_the_facts_and_the_reason(cast, ticket):
    response = client_for(cast.requester).get(ticket_url(ticket))
    assert response.status_code == 200
    page = text(response)
    assert "Faut-il pivoter ?" in page and "Nos usagers ne viennent pas." in page
    assert "J'ai un doute sur mon produit" in page and "Justice pour tous" in page
    assert "Attribuée à Pierre Boussole" in page
    assert "Pourquoi cette personne Attribuée à Pierre Boussole : portefeuille Justice, ministère Justice" in page
    assert "Première réponse attendue avant le" in page and "dépassé" not in page
    assert title(response).startswith(f"Faut-il pivoter ? — Demande {ticket.reference} — ")
    # The requester may write and say it is settled; not reassign, not write internal notes.
    html = response.content.decode()
    assert f'action="{ticket_url(ticket, "repondre/")}"' in html
    assert options(response, "statut-status") == ["Sélectionner un statut", "Ma demande est résolue"]
    assert "attribution-assignee" not in html and "reponse-internal" not in html


def test_who_sees_a_request(cast, ticket):
    for user in (cast.requester, cast.assignee, cast.other_staff, cast.pole_lead, cast.admin):
        assert client_for(user).get(ticket_url(ticket)).status_code == 200, user
    for user in (cast.teammate, cast.other_member):
        assert client_for(user).get(ticket_url(ticket)).status_code == 404, user


def test_staff_get_the_handling_forms(cast, ticket):
    response = client_for(cast.other_staff).get(ticket_url(ticket))
    html = response.content.decode()
    assert "Note interne" in html and 'name="reponse-internal"' in html
    assert options(response, "statut-status")[1:] == [
        "Prise en charge",
        "En attente d'une réponse du demandeur",
        "Résolue",
    ]
    assert "Pierre Boussole — Responsable de portefeuille : Justice" in " ".join(
        options(response, "attribution-assignee")
    )
    assert "Le Pôle Accélération" in options(response, "attribution-pole")
    assert 'name="acces-user"' not in html  # not confidential: reassigned, not shared


def test_an_overdue_request_says_so(cast, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due=timezone.now() - datetime.timedelta(hours=1))
    response = client_for(cast.requester).get(ticket_url(ticket))
    assert "le délai est dépassé" in text(response)
    assert '<p class="fr-badge fr-badge--sm fr-badge--error">En retard</p>' in response.content.decode()


def test_a_request_recorded_on_behalf_says_so(cast):
    ticket = services.ticket_submit(
        requester=cast.requester,
        kind="autre",
        subject="Par téléphone",
        body="…",
        recorded_by=cast.other_staff,
        channel="telephone",
    )
    assert "Enregistrée par Antoine Rivage pour vous (téléphone)" in text(
        client_for(cast.requester).get(ticket_url(ticket))
    )
    staff_page = text(client_for(cast.assignee).get(ticket_url(ticket)))
    assert f"Enregistrée par Antoine Rivage pour {cast.requester.get_full_name()} (téléphone)" in staff_page


def test_internal_notes_are_hidden_from_the_requester(cast, ticket):
    staff = client_for(cast.assignee)
    response = staff.post(
        ticket_url(ticket, "repondre/"), {"reponse-body": "Entre nous : à creuser", "reponse-internal": "on"}
    )
    assert "Votre note interne est ajoutée" in text(follow(staff, response))
    staff.post(ticket_url(ticket, "repondre/"), {"reponse-body": "Bonjour, parlons-en mardi."})
    assert Message.objects.filter(internal=True).count() == 1

    requester_page = text(client_for(cast.requester).get(ticket_url(ticket)))
    assert "Bonjour, parlons-en mardi." in requester_page
    assert "Entre nous" not in requester_page and "Note interne" not in requester_page
    staff_page = text(client_for(cast.other_staff).get(ticket_url(ticket)))
    assert "Entre nous : à creuser" in staff_page
    assert "Note interne — invisible pour le demandeur" in staff_page

    # The requester cannot write one: the box is not theirs, the message is a plain one.
    requester = client_for(cast.requester)
    requester.post(ticket_url(ticket, "repondre/"), {"reponse-body": "Merci", "reponse-internal": "on"})
    assert not Message.objects.get(body="Merci").internal


def test_a_reply_without_text_is_refused_next_to_the_field(cast, ticket):
    response = client_for(cast.requester).post(ticket_url(ticket, "repondre/"), {"reponse-body": "  "})
    assert response.status_code == 200
    assert field_error(response, "reponse-body") == "Écrivez votre message."
    assert title(response).startswith("Erreur :")
    assert not Message.objects.exists()


def test_the_actions_are_post_only(cast, ticket):
    client = client_for(cast.assignee)
    for action in ("repondre/", "statut/", "attribuer/", "acces/"):
        assert client.get(ticket_url(ticket, action)).status_code == 405


def test_status_changes_and_reopening(cast, ticket):
    staff = client_for(cast.assignee)
    page = staff.get(ticket_url(ticket))
    response = staff.post(
        ticket_url(ticket, "statut/"), {"statut-status": "resolu", "statut-version": hidden(page, "statut-version")}
    )
    assert "La demande est maintenant « résolue »." in text(follow(staff, response))
    requester = client_for(cast.requester)
    page = requester.get(ticket_url(ticket))
    assert options(page, "statut-status") == ["Sélectionner un statut", "Rouvrir la demande"]
    response = requester.post(
        ticket_url(ticket, "statut/"),
        {"statut-status": "pris-en-charge", "statut-version": hidden(page, "statut-version")},
    )
    assert "La demande est rouverte." in text(follow(requester, response))
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    # A status the person may not choose is refused next to the field.
    response = requester.post(
        ticket_url(ticket, "statut/"), {"statut-status": "clos", "statut-version": ticket.version}
    )
    assert response.status_code == 200 and "Sélectionnez un choix valide" in field_error(response, "statut-status")


def test_a_concurrent_status_change_is_refused_not_overwritten(cast, ticket):
    first, second = client_for(cast.assignee), client_for(cast.other_staff)
    first_page, second_page = first.get(ticket_url(ticket)), second.get(ticket_url(ticket))
    first.post(
        ticket_url(ticket, "statut/"),
        {"statut-status": "en-attente-demandeur", "statut-version": hidden(first_page, "statut-version")},
    )
    response = second.post(
        ticket_url(ticket, "statut/"),
        {"statut-status": "resolu", "statut-version": hidden(second_page, "statut-version")},
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING
    assert "modifiée par quelqu'un d'autre pendant que vous la consultiez" in text(follow(second, response))


def test_a_concurrent_reassignment_is_refused_not_overwritten(cast, ticket):
    first, second = client_for(cast.assignee), client_for(cast.other_staff)
    first_page, second_page = first.get(ticket_url(ticket)), second.get(ticket_url(ticket))
    fanny, octave = person("flora.bruine"), person("odilon.bastide")
    first.post(
        ticket_url(ticket, "attribuer/"),
        {"attribution-assignee": fanny.pk, "attribution-version": hidden(first_page, "attribution-version")},
    )
    response = second.post(
        ticket_url(ticket, "attribuer/"),
        {"attribution-assignee": octave.pk, "attribution-version": hidden(second_page, "attribution-version")},
    )
    ticket.refresh_from_db()
    assert ticket.assignee == fanny
    assert "modifiée par quelqu'un d'autre" in text(follow(second, response))


def test_reassign_to_a_person_or_a_pole(cast, ticket):
    staff = client_for(cast.other_staff)
    response = staff.post(ticket_url(ticket, "attribuer/"), {"attribution-version": ticket.version})
    assert response.status_code == 200
    assert field_error(response, "attribution-assignee") == "Choisissez une personne ou un pôle."

    acceleration = Pole.objects.get(slug="acceleration")
    response = staff.post(
        ticket_url(ticket, "attribuer/"), {"attribution-pole": acceleration.pk, "attribution-version": ticket.version}
    )
    ticket.refresh_from_db()
    assert ticket.assignee == pole_contact(acceleration) and ticket.pole == acceleration
    assert f"La demande est attribuée à {ticket.assignee.get_full_name()}" in text(follow(staff, response))
    assert "Le Pôle Accélération, par Antoine Rivage" in text(staff.get(ticket_url(ticket)))


# --- Confidential requests -----------------------------------------------------------------------------------------


def test_a_confidential_request_is_a_404_for_everyone_else_on_every_route(cast, confidential, recipient):
    outsiders = (cast.other_staff, cast.assignee, cast.admin, cast.pole_lead, cast.teammate, cast.other_member)
    posts = {
        "repondre/": {"reponse-body": "Je lis"},
        "statut/": {"statut-status": "resolu", "statut-version": confidential.version},
        "attribuer/": {"attribution-assignee": cast.other_staff.pk, "attribution-version": confidential.version},
        "acces/": {"acces-user": cast.other_staff.pk},
    }
    for user in outsiders:
        client = client_for(user)
        assert client.get(ticket_url(confidential)).status_code == 404, user
        for action, data in posts.items():
            assert client.post(ticket_url(confidential, action), data).status_code == 404, (user, action)
        assert "Tensions" not in text(client.get(MINE))
    assert not Message.objects.exists() and not Participant.objects.exclude(user=recipient).exists()
    assert not Read.objects.exists()
    confidential.refresh_from_db()
    assert confidential.status == Status.NEW and confidential.assignee == recipient
    # Its recipient handles it, but it is not in their « Mes demandes ».
    assert client_for(recipient).get(ticket_url(confidential)).status_code == 200
    assert "Tensions" not in text(client_for(recipient).get(MINE))
    assert "Tensions" in text(client_for(cast.requester).get(MINE))


def test_a_confidential_title_never_carries_its_subject(cast, confidential, recipient):
    for user in (cast.requester, recipient):
        response = client_for(user).get(ticket_url(confidential))
        assert title(response).startswith(f"Demande confidentielle {confidential.reference} — Guichet")
        assert "Tensions" not in title(response)
        assert "Tensions avec mon intrapreneur" in text(response)  # the people who may read it do


def test_a_confidential_request_is_shared_not_reassigned(cast, confidential, recipient):
    client = client_for(recipient)
    response = client.get(ticket_url(confidential))
    html = response.content.decode()
    assert 'name="attribution-assignee"' not in html
    people = options(response, "acces-user")
    assert not any(label.startswith("Gaël Ivoire") for label in people)  # already in
    robin = cast.other_staff
    response = client.post(ticket_url(confidential, "acces/"), {"acces-user": robin.pk})
    assert "Antoine Rivage a maintenant accès à la demande" in text(follow(client, response))
    assert client_for(robin).get(ticket_url(confidential)).status_code == 200
    # Twice is refused next to the field (Antoine Rivage is no longer offered).
    again = client.post(ticket_url(confidential, "acces/"), {"acces-user": robin.pk})
    assert again.status_code == 200 and "Sélectionnez un choix valide" in field_error(again, "acces-user")
    assert Participant.objects.filter(ticket=confidential).count() == 2
    # The requester is told who has access.
    page = text(client_for(cast.requester).get(ticket_url(confidential)))
    assert "Personnes ayant accès" in page
    assert "Vous, qui avez fait la demande" in page
    assert "Gaël Ivoire — choisie par vous" in page
    assert "Antoine Rivage — accès donné par Gaël Ivoire le" in page


def test_the_requester_sees_who_read_their_confidential_request(cast, confidential, recipient):
    requester, reader = client_for(cast.requester), client_for(recipient)
    requester.get(ticket_url(confidential))
    reader.get(ticket_url(confidential))
    reader.get(ticket_url(confidential))
    assert list(Read.objects.values_list("user", flat=True)) == [recipient.pk, recipient.pk]
    page = text(requester.get(ticket_url(confidential)))
    assert "Qui a consulté ma demande Gaël Ivoire : 2 consultations, la dernière le" in page
    reader_page = text(reader.get(ticket_url(confidential)))
    assert "Qui a consulté cette demande" in reader_page
    assert f"{cast.requester.get_full_name()}, qui a fait la demande" in reader_page
    assert "Gaël Ivoire (vous) — choisie par la personne qui a fait la demande" in reader_page
    # An ordinary request logs no read and shows no such list.
    ordinary = services.ticket_submit(requester=cast.requester, kind="autre", subject="Ordinaire", body="…")
    assert "Qui a consulté" not in text(client_for(cast.other_staff).get(ticket_url(ordinary)))
    assert Read.objects.filter(ticket=ordinary).count() == 0


# --- Query counts --------------------------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_request_page_query_count_stays_flat(cast, ticket, django_assert_num_queries):
    services.ticket_reply(ticket=ticket, author=cast.assignee, body="Première réponse")
    for user in (cast.assignee, cast.requester):
        client = client_for(user)
        before = count_queries(client, ticket_url(ticket))
        services.ticket_reply(ticket=ticket, author=cast.requester, body="Merci")
        services.ticket_reply(ticket=ticket, author=cast.other_staff, body="Note", internal=True)
        services.ticket_reply(ticket=ticket, author=cast.pole_lead, body="Je complète")
        with django_assert_num_queries(before):
            client.get(ticket_url(ticket))


def test_the_confidential_page_query_count_stays_flat(cast, confidential, recipient, django_assert_num_queries):
    services.ticket_reply(ticket=confidential, author=recipient, body="Je vous écoute")
    for user in (recipient, cast.requester):
        client = client_for(user)
        before = count_queries(client, ticket_url(confidential))
        helper = person("odilon.bastide") if user == recipient else person("jean.lucarne")
        services.ticket_participant_add(ticket=confidential, actor=recipient, user=helper)
        services.ticket_reply(ticket=confidential, author=helper, body="Bonjour")
        services.ticket_reply(ticket=confidential, author=cast.requester, body="Merci")
        services.ticket_read(ticket=confidential, user=helper)
        with django_assert_num_queries(before):
            client.get(ticket_url(confidential))


def test_a_new_teammate_of_a_team_request_sees_it(cast):
    offer = services.offer_propose(offered_by=cast.other_staff, product=cast.product, topic="Aide", message="…")
    team_ticket = services.offer_accept(offer=offer, member_user=cast.teammate)
    newcomer = team_member(cast.product, username="nouvelle.recrue")
    response = client_for(newcomer).get(ticket_url(team_ticket))
    assert response.status_code == 200
    assert "demande suivie par toute l'équipe du produit" in text(response)
    assert options(response, "statut-status") == ["Sélectionner un statut", "Ma demande est résolue"]


def test_waiting_is_worded_for_each_side(cast, ticket):
    services.ticket_status_set(ticket=ticket, actor=cast.assignee, status="en-attente-demandeur")
    assert "En attente de votre réponse" in text(client_for(cast.requester).get(ticket_url(ticket)))
    assert "En attente de votre réponse" in text(client_for(cast.requester).get(MINE))
    staff_page = text(client_for(cast.assignee).get(ticket_url(ticket)))
    assert "En attente du demandeur" in staff_page and "En attente de votre réponse" not in staff_page


def test_a_form_sent_then_edited_makes_a_new_request_only_when_sent_again(cast):
    client = client_for(cast.requester)
    key = hidden(client.get(new_url("autre")), "idempotency_key")
    client.post(new_url("autre"), {"subject": "Première", "body": "…", "idempotency_key": key})
    # Back in the browser, the subject changed, the same form sent again: refused, with a fresh key.
    response = client.post(new_url("autre"), {"subject": "Seconde", "body": "…", "idempotency_key": key})
    assert response.status_code == 200
    assert "Ce formulaire a déjà servi à envoyer une demande" in text(response)
    fresh = hidden(response, "idempotency_key")
    assert fresh != key
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Première"]
    client.post(new_url("autre"), {"subject": "Seconde", "body": "…", "idempotency_key": fresh})
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["Première", "Seconde"]
