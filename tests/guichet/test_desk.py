"""The staff pages of the guichet: the desk (tabs, filters, search — never another person's confidential request),
a request recorded on someone's behalf, and the routing table."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incubateur.core.models import JournalEntry, Notification
from incubateur.guichet import services
from incubateur.guichet.models import Channel, RoutingRule, Status, Ticket
from incubateur.organisation.models import Pole
from tests.factories import UserFactory, person
from tests.registry.factories import ProductFactory, team_member
from tests.utils import run_tasks

DESK = "/guichet/equipe/"
ON_BEHALF = "/guichet/equipe/pour-le-compte/"
ROUTING = "/guichet/equipe/routage/"

SECRET_SUBJECT = "Harcèlement-XQZÉ dans l'équipe"
SECRET_BODY = "Corps-secret-WVKÉ : mon manager me harcèle."


INLINE = r"</?(?:a|strong|em|span|b|abbr|code)(?:\s[^>]*)?>"


def words(response) -> str:
    """The words of the page's <main>, as a reader gets them (inline tags do not split words)."""
    html = response.content.decode()
    html = html[html.index("<main") : html.index("</main>")]
    html = re.sub(r"<[^>]+>", " ", re.sub(INLINE, "", html))
    return " ".join(unescape(html).split())


def title(response) -> str:
    return unescape(re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)).strip()


def field_error(response, field: str) -> str:
    """The error shown under a field (DSFR: the message sits in `id_<field>-desc-error`)."""
    html = response.content.decode()
    assert f'id="id_{field}-desc-error"' in html, f"no error on {field}"
    start = html.index(f'id="id_{field}-desc-error"')
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html[start : html.index("</div>", start)])).split()[1:])


def tab_counts(response) -> dict[str, int]:
    """The tabs' labels and counts: « À traiter (2) »…"""
    html = response.content.decode()
    nav = html[html.index('aria-label="Vues du guichet"') :]
    nav = nav[: nav.index("</nav>")]
    return {unescape(label): int(count) for label, count in re.findall(r">([^<>]+) \((\d+)\)</a>", nav)}


def rows(response) -> list[int]:
    """The requests listed in the desk's table, in order: their ids, read back from the references shown."""
    html = response.content.decode()
    if "<tbody>" not in html:
        return []
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    references = re.findall(r"<tr>\s*<td>(G-[0-9A-Z]{4}-[0-9A-Z]{4})</td>", body)
    ids = dict(Ticket.objects.filter(reference__in=references).values_list("reference", "pk"))
    return [ids[reference] for reference in references]


def submit(requester, **kwargs) -> Ticket:
    kwargs.setdefault("kind", "doute-produit")
    kwargs.setdefault("subject", "Une question")
    kwargs.setdefault("body", "Le détail de la question.")
    return services.ticket_submit(requester=requester, **kwargs)


@pytest.fixture
def desk_world(cast):
    """Requests around the Justice product: one to Pierre Boussole, one to the Pôle Animation, one unassigned, one
    overdue, and a confidential one to Gaël Ivoire."""
    to_paul = submit(cast.requester, subject="Faut-il pivoter ?", product=cast.product)
    to_animation = submit(cast.teammate, kind="communaute", subject="Animer un atelier")
    unassigned = submit(cast.other_member, kind="administratif-marches", subject="Question de marché")
    Ticket.objects.filter(pk=unassigned.pk).update(assignee=None, pole=None)
    late = submit(cast.requester, subject="Urgent et en retard", product=cast.product)
    Ticket.objects.filter(pk=late.pk).update(first_response_due=timezone.now() - datetime.timedelta(hours=2))
    secret = services.ticket_submit(
        requester=cast.requester,
        kind="mal-etre",
        subject=SECRET_SUBJECT,
        body=SECRET_BODY,
        recipient=person("gael.ivoire"),
    )
    return {"to_paul": to_paul, "to_animation": to_animation, "unassigned": unassigned, "late": late, "secret": secret}


def as_user(client, user):
    client.force_login(user)
    return client


# --- The desk -------------------------------------------------------------------------------------------------


def test_the_desk_tabs(client, cast, desk_world):
    w = desk_world
    as_user(client, cast.assignee)
    mine = client.get(DESK)
    assert mine.status_code == 200
    assert rows(mine) == [w["late"].pk, w["to_paul"].pk]  # the most urgent first
    assert title(mine).startswith("À traiter — Guichet de l'équipe")
    counts = tab_counts(mine)
    assert counts["À traiter"] == 2
    assert counts["Non attribuées"] == 1
    assert counts["En retard"] == 1
    assert counts["Toutes"] == 4  # the confidential request is not counted for Pierre
    assert 'aria-current="page">À traiter (2)</a>' in mine.content.decode()

    assert rows(client.get(DESK, {"vue": "non-attribuees"})) == [w["unassigned"].pk]
    late = client.get(DESK, {"vue": "en-retard"})
    assert rows(late) == [w["late"].pk]
    assert "En retard" in words(late).split("Première réponse avant", 1)[1]
    everything = client.get(DESK, {"vue": "toutes"})
    assert sorted(rows(everything)) == sorted(
        [w["to_paul"].pk, w["to_animation"].pk, w["unassigned"].pk, w["late"].pk]
    )
    animation = client.get(DESK, {"vue": "pole", "pole": "animation"})
    assert rows(animation) == [w["to_animation"].pk]
    assert "Par pôle : Le Pôle Animation et Expertises" in title(animation)


def test_by_pole_defaults_to_my_pole(client, cast, desk_world):
    lead = person("bastien.d.dolomie")  # leads the Pôle Animation et Expertises
    response = as_user(client, lead).get(DESK, {"vue": "pole"})
    assert rows(response) == [desk_world["to_animation"].pk]
    assert '<option value="animation" selected>' in response.content.decode()


def test_a_staff_member_without_a_pole_chooses_one(client, desk_world):
    response = as_user(client, UserFactory(staff=True)).get(DESK, {"vue": "pole"})
    assert response.status_code == 200
    assert "Choisissez un pôle dans les filtres" in words(response)
    assert tab_counts(response)["Par pôle"] == 0


def test_a_confidential_request_never_reaches_another_persons_desk(client, cast, desk_world):
    secret = desk_world["secret"]
    for user in (cast.assignee, cast.other_staff, cast.pole_lead, cast.admin, person("emilie.grenat")):
        as_user(client, user)
        total = None
        for params in (
            {},
            {"vue": "toutes"},
            {"vue": "non-attribuees"},
            {"vue": "en-retard"},
            {"vue": "pole", "pole": "coaching"},
            {"vue": "toutes", "type": "mal-etre"},
            {"vue": "toutes", "q": "Harcèlement-XQZÉ"},
            {"vue": "toutes", "q": "Corps-secret-WVKÉ"},
            {"vue": "toutes", "statut": "nouveau"},
        ):
            response = client.get(DESK, params)
            html = unescape(response.content.decode())
            assert secret.pk not in rows(response)
            # (the search box shows back what was typed: only the words typed)
            assert SECRET_SUBJECT not in html and "dans l'équipe" not in html and "me harcèle" not in html
            if "q" not in params:
                assert "XQZÉ" not in html and "WVKÉ" not in html
            assert "confidentielle</a>" not in html
            if params.get("type") == "mal-etre" or params.get("q"):
                assert tab_counts(response) == {
                    "À traiter": 0,
                    "Par pôle": 0,
                    "Non attribuées": 0,
                    "En retard": 0,
                    "Toutes": 0,
                }
            if params == {"vue": "toutes"}:
                total = tab_counts(response)["Toutes"]
        assert total == Ticket.objects.filter(confidential=False).count()
    client.logout()
    # Not even the members of the requester's team.
    assert as_user(client, cast.teammate).get(DESK).status_code == 404


def test_the_recipient_of_a_confidential_request_sees_it_without_its_subject(client, desk_world):
    secret = desk_world["secret"]
    response = as_user(client, person("gael.ivoire")).get(DESK)
    assert rows(response) == [secret.pk]
    assert tab_counts(response)["À traiter"] == 1
    page = words(response)
    assert f"{secret.reference} Demande confidentielle {secret.reference} Confidentielle" in page
    assert "XQZÉ" not in response.content.decode()
    assert "XQZÉ" not in title(response)
    # Its participant finds it by its words: the search runs on what they may read.
    found = client.get(DESK, {"vue": "toutes", "q": "Corps-secret-WVKÉ"})
    assert rows(found) == [secret.pk]
    assert tab_counts(found)["Toutes"] == 1


def test_filters_and_search(client, cast, desk_world):
    w = desk_world
    other = ProductFactory(ghid="autre-produit", name="Autre produit")
    elsewhere = team_member(other, username="claude.ailleurs")
    on_other = submit(elsewhere, product=other, subject="Question ailleurs")
    as_user(client, cast.assignee)
    assert rows(client.get(DESK, {"vue": "toutes", "type": "communaute"})) == [w["to_animation"].pk]
    assert sorted(rows(client.get(DESK, {"vue": "toutes", "produit": "justice-pour-tous"}))) == sorted(
        [w["to_paul"].pk, w["late"].pk]
    )
    assert rows(client.get(DESK, {"vue": "toutes", "produit": "autre-produit"})) == [on_other.pk]
    # Search: every word, in the subject, the body or the product's name, any case.
    assert rows(client.get(DESK, {"vue": "toutes", "q": "PIVOTER"})) == [w["to_paul"].pk]
    assert rows(client.get(DESK, {"vue": "toutes", "q": "ailleurs autre"})) == [on_other.pk]
    assert rows(client.get(DESK, {"vue": "toutes", "q": "pivoter atelier"})) == []
    services.ticket_status_set(ticket=w["to_paul"], actor=cast.assignee, status=Status.RESOLVED)
    resolved = client.get(DESK, {"vue": "toutes", "statut": "resolu"})
    assert rows(resolved) == [w["to_paul"].pk]
    # A resolved request leaves « À traiter »; the filters keep the tab and the tabs keep the filters.
    mine = rows(client.get(DESK))
    assert w["to_paul"].pk not in mine and w["late"].pk in mine
    html = resolved.content.decode()
    assert 'href="?vue=a-traiter&amp;statut=resolu"' in html
    assert '<input type="hidden" name="vue" value="toutes">' in html
    empty = client.get(DESK, {"vue": "toutes", "q": "introuvable"})
    assert "Aucune demande de cet onglet ne correspond à ces critères." in words(empty)


def test_an_invalid_filter_is_reported_and_ignored(client, cast, desk_world):
    response = as_user(client, cast.assignee).get(DESK, {"vue": "toutes", "type": "inconnu"})
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in field_error(response, "type")
    assert len(rows(response)) == 4


def test_empty_states(client, cast):
    as_user(client, cast.assignee)
    assert "Aucune demande ouverte ne vous est attribuée." in words(client.get(DESK))
    assert "Toutes les demandes ouvertes ont une personne attribuée." in words(
        client.get(DESK, {"vue": "non-attribuees"})
    )
    assert "Aucune demande n'attend sa première réponse" in words(client.get(DESK, {"vue": "en-retard"}))
    assert "Aucune demande pour l'instant." in words(client.get(DESK, {"vue": "toutes"}))


def test_pagination_keeps_the_tab_and_filters(client, cast):
    for n in range(27):
        submit(cast.requester, subject=f"Question {n}", product=cast.product)
    response = as_user(client, cast.assignee).get(DESK, {"vue": "toutes", "produit": "justice-pour-tous"})
    assert len(rows(response)) == 25
    assert "Page 1." in words(response)
    # Keyset pagination (#19): "Suivant" carries an opaque cursor, and keeps the tab and the filters.
    link = re.search(
        r'href="(\?vue=toutes&amp;produit=justice-pour-tous&amp;curseur=[^"]+)"', response.content.decode()
    )
    second = client.get(DESK + unescape(link[1]))
    assert len(rows(second)) == 2
    assert title(second).startswith("Page 2 — Toutes")


@pytest.mark.parametrize("params", [{}, {"vue": "toutes"}, {"vue": "en-retard", "q": "question"}])
def test_the_desk_query_count_stays_flat(client, cast, desk_world, params, django_assert_num_queries):
    as_user(client, cast.assignee)
    client.get(DESK, params)
    with CaptureQueriesContext(connection) as first:
        shown = client.get(DESK, params)
    before = len(rows(shown))
    for n in range(6):
        member = team_member(ProductFactory(), username=f"membre{n}.flat")
        product = member.member.missions.first().products.first()
        ticket = submit(member, subject=f"Question {n}", product=product)
        Ticket.objects.filter(pk=ticket.pk).update(
            assignee=cast.assignee, first_response_due=timezone.now() - datetime.timedelta(hours=1)
        )
        submit(cast.requester, kind="communaute", subject=f"Autre question {n}")
        services.ticket_submit(requester=member, kind="mal-etre", subject="Secret", body="…", recipient=cast.assignee)
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(DESK, params)
    assert len(rows(response)) >= before + 6
    assert len(first.captured_queries) <= 12


def test_the_desk_is_for_staff_only(client, cast):
    assert as_user(client, cast.requester).get(DESK).status_code == 404
    client.logout()
    assert client.get(DESK).status_code == 302


# --- On someone's behalf --------------------------------------------------------------------------------------


def on_behalf_data(cast, **overrides):
    data = {
        "requester": cast.requester.email,
        "channel": "telephone",
        "kind": "doute-produit",
        "topic": "",
        "subject": "Appel au sujet du produit",
        "body": "Elle se demande s'il faut pivoter.",
        "product": "justice-pour-tous",
        "ministry": "",
        "recipient": "",
        "idempotency_key": "cle-unique-1",
    }
    data.update(overrides)
    return data


def test_recording_a_request_on_someones_behalf(client, cast, smtp_server):
    staff = cast.other_staff
    as_user(client, staff)
    form = client.get(ON_BEHALF)
    assert form.status_code == 200
    html = form.content.decode()
    assert re.search(r'<input type="hidden" name="idempotency_key" value="[0-9a-f]{32}"', html)
    assert '<label for="id_requester" class="fr-label">' in html

    response = client.post(ON_BEHALF, on_behalf_data(cast))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/guichet/demandes/{ticket.reference}/"
    assert ticket.requester == cast.requester
    assert ticket.recorded_by == staff
    assert ticket.channel == Channel.PHONE
    assert ticket.assignee == cast.assignee  # routed as if the requester had asked: Pierre Boussole, Justice
    assert ticket.product == cast.product
    entry = JournalEntry.objects.get(action="guichet.ticket_submitted")
    assert entry.actor == staff
    assert f"enregistrée par {staff.get_full_name()} pour {cast.requester.get_full_name()}" in entry.message

    # The requester is told, by e-mail (a real SMTP server), with the link to follow it.
    told = Notification.objects.get(kind="guichet.recorded_for_you")
    assert told.recipient == cast.requester.email
    run_tasks()
    [mail] = [m for m in smtp_server.messages if m["To"] == cast.requester.email]
    assert mail["Subject"].strip() == f"[Guichet] Une demande a été enregistrée en votre nom ({ticket.reference})"
    assert f"{staff.get_full_name()} a enregistré une demande en votre nom" in mail.get_content()
    assert f"http://testserver/guichet/demandes/{ticket.reference}/" in mail.get_content()

    # The desk flags it.
    desk = as_user(client, cast.assignee).get(DESK)
    assert "Appel au sujet du produit Enregistrée pour le demandeur (téléphone)" in words(desk)


def test_the_requester_may_be_given_by_identifiant(client, cast):
    as_user(client, cast.other_staff)
    response = client.post(ON_BEHALF, on_behalf_data(cast, requester="camille.requerante", channel="email"))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.channel) == (cast.requester, Channel.EMAIL)


def test_a_double_submission_records_one_request(client, cast):
    as_user(client, cast.other_staff)
    first = client.post(ON_BEHALF, on_behalf_data(cast))
    second = client.post(ON_BEHALF, on_behalf_data(cast), follow=False)
    assert Ticket.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert Notification.objects.filter(kind="guichet.recorded_for_you").count() == 1
    page = client.get(DESK)  # the message of the replay
    assert f"Cette demande était déjà enregistrée pour {cast.requester.get_full_name()}" in words(page)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"requester": "personne@nulle-part.fr"}, "requester", "Aucun compte actif n'a l'adresse ou l'identifiant"),
        ({"requester": ""}, "requester", "Indiquez pour qui vous enregistrez cette demande."),
        ({"product": "produit-inconnu"}, "product", "Aucun produit n'a l'identifiant « produit-inconnu »."),
        ({"kind": "soutien-dinum"}, "topic", "Précisez le sujet de votre demande."),
        ({"topic": "gamma"}, "topic", "Ce type de demande n'a pas de sujet à préciser."),
        ({"subject": ""}, "subject", "Donnez un objet à la demande."),
        ({"channel": "api"}, "channel", "Sélectionnez un choix valide"),
        ({"kind": "mal-etre", "product": ""}, "recipient", "Choisissez la personne de l'Incubateur"),
    ],
)
def test_on_behalf_field_errors(client, cast, overrides, field, message):
    as_user(client, cast.other_staff)
    response = client.post(ON_BEHALF, on_behalf_data(cast, **overrides))
    assert response.status_code == 200
    assert message in field_error(response, field)
    assert title(response).startswith("Erreur : ")
    assert Ticket.objects.count() == 0
    # The key stays the same: a corrected form that is sent twice still records one request.
    assert 'name="idempotency_key" value="cle-unique-1"' in response.content.decode()


def test_an_inactive_account_is_unknown(client, cast):
    gone = UserFactory(username="parti.ailleurs", inactive=True)
    response = as_user(client, cast.other_staff).post(ON_BEHALF, on_behalf_data(cast, requester=gone.email))
    assert "Aucun compte actif" in field_error(response, "requester")


def test_a_product_outside_the_requesters_team_is_refused_and_their_products_are_suggested(client, cast):
    other = ProductFactory(ghid="pas-le-sien", name="Pas le sien")
    response = as_user(client, cast.other_staff).post(ON_BEHALF, on_behalf_data(cast, product=other.ghid))
    assert field_error(response, "product") == (
        "La personne pour qui vous écrivez ne fait pas partie de l'équipe active de ce produit."
    )
    assert "Produits de l'équipe de cette personne : Justice pour tous (justice-pour-tous)." in words(response)


def test_a_confidential_request_recorded_for_someone_else_is_not_readable_by_the_recorder(client, cast):
    recipient = person("gael.ivoire")
    as_user(client, cast.other_staff)
    response = client.post(
        ON_BEHALF,
        on_behalf_data(
            cast, kind="mal-etre", product="", subject=SECRET_SUBJECT, body=SECRET_BODY, recipient=recipient.pk
        ),
    )
    ticket = Ticket.objects.get()
    assert ticket.confidential and ticket.assignee == recipient and ticket.recorded_by == cast.other_staff
    assert response["Location"] == DESK
    page = client.get(DESK, {"vue": "toutes"})
    assert "Cette demande confidentielle est transmise à Gaël Ivoire" in words(page)
    assert ticket.pk not in rows(page)
    assert "XQZÉ" not in page.content.decode()
    # The requester's e-mail says who recorded it, never what it says.
    told = Notification.objects.get(kind="guichet.recorded_for_you")
    assert "XQZÉ" not in told.subject + told.body and "WVKÉ" not in told.body


def test_the_recorder_who_is_the_recipient_lands_on_the_request(client, cast):
    recipient = person("gael.ivoire")
    response = as_user(client, recipient).post(
        ON_BEHALF, on_behalf_data(cast, kind="signalement", product="", recipient=recipient.pk)
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/guichet/demandes/{ticket.reference}/"


def test_a_recipient_for_a_routed_kind_is_refused(client, cast):
    response = as_user(client, cast.other_staff).post(ON_BEHALF, on_behalf_data(cast, recipient=cast.pole_lead.pk))
    assert "Ce type de demande est attribué automatiquement" in field_error(response, "recipient")


def test_on_behalf_is_for_staff_only(client, cast):
    assert as_user(client, cast.requester).get(ON_BEHALF).status_code == 404
    assert client.post(ON_BEHALF, on_behalf_data(cast)).status_code == 404
    assert Ticket.objects.count() == 0


# --- The routing table ----------------------------------------------------------------------------------------


def test_the_routing_table(client, cast):
    response = as_user(client, cast.other_staff).get(ROUTING)
    assert response.status_code == 200
    page = words(response)
    assert "La règle la plus précise l'emporte : type et sujet et portefeuille, puis type et sujet" in page
    assert "son référent du guichet, à défaut à sa ou son responsable" in page
    # A pole's row says who receives its requests today: the lead of the Pôle Accélération is Pierre Boussole.
    assert (
        "J'ai besoin du soutien de la DINUM Programme Gamma Tous Un pôle (son référent du guichet, à défaut sa ou "
        "son responsable) : Pôle Accélération"
    ) in page.replace("Le Pôle", "Pôle")
    assert "Accélération Pierre Boussole Non" in page.replace("Le Pôle ", "")
    rule = RoutingRule.objects.get(kind="autre")
    assert f'href="/guichet/equipe/routage/{rule.pk}/"' in response.content.decode()
    assert f'href="/guichet/equipe/routage/{rule.pk}/supprimer/"' in response.content.decode()


def test_a_pole_referent_receives_instead_of_its_lead(client, cast):
    referent = person("odilon.bastide")
    Pole.objects.filter(slug="acceleration").update(guichet_assignee=referent)
    page = words(as_user(client, cast.other_staff).get(ROUTING))
    assert "Odilon Bastide" in page
    ticket = submit(cast.requester, kind="soutien-dinum", topic="gamma")
    assert ticket.assignee == referent


def test_the_routing_page_query_count_stays_flat(client, cast, django_assert_num_queries):
    as_user(client, cast.other_staff)
    with CaptureQueriesContext(connection) as first:
        client.get(ROUTING)
    from incubateur.organisation.models import Portfolio

    for portfolio in Portfolio.objects.all()[:4]:
        RoutingRule.objects.create(kind="doute-produit", portfolio=portfolio, target="portefeuille")
        RoutingRule.objects.create(
            kind="soutien-dinum", topic="gamma", portfolio=portfolio, target="pole", pole=Pole.objects.get(slug="eig")
        )
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(ROUTING)


def test_editing_a_rule_changes_the_next_requests_assignee(client, cast):
    rule = RoutingRule.objects.get(kind="autre", topic="", portfolio=None)
    before = submit(cast.requester, kind="autre", subject="Avant")
    assert before.assignee == cast.pole_lead  # the direction's lead
    chosen = person("emilie.grenat")
    as_user(client, cast.other_staff)
    form = client.get(f"{ROUTING}{rule.pk}/")
    assert form.status_code == 200
    assert '<option value="direction" selected>' not in form.content.decode()  # poles are chosen by pk
    response = client.post(
        f"{ROUTING}{rule.pk}/",
        {"kind": "autre", "topic": "", "portfolio": "", "target": "personne", "pole": "", "person": chosen.pk},
    )
    assert response.status_code == 302 and response["Location"] == ROUTING
    after = submit(cast.requester, kind="autre", subject="Après")
    assert after.assignee == chosen
    assert after.routing_reason.startswith("attribuée à Emilie Grenat : règle de routage")
    before.refresh_from_db()
    assert before.assignee == cast.pole_lead  # a request already made keeps its assignee
    entry = JournalEntry.objects.get(action="guichet.routing_rule_saved")
    assert entry.actor == cast.other_staff and "modifiée" in entry.message
    assert "La règle « Autre question » est modifiée." in words(client.get(ROUTING))


def test_a_rule_for_one_portfolio_goes_before_the_general_one(client, cast):
    from incubateur.organisation.models import Portfolio

    justice = Portfolio.objects.get(slug="justice")
    chosen = person("jules.dentelle")
    response = as_user(client, cast.other_staff).post(
        f"{ROUTING}nouvelle/",
        {"kind": "doute-produit", "portfolio": justice.pk, "target": "personne", "person": chosen.pk},
    )
    assert response.status_code == 302
    assert submit(cast.requester, product=cast.product).assignee == chosen
    assert submit(cast.other_member).assignee != chosen


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "autre", "target": "pole"}, "pole", "Choisissez le pôle qui reçoit ces demandes."),
        ({"kind": "autre", "target": "personne"}, "person", "Choisissez la personne qui reçoit ces demandes."),
        ({"kind": "communaute", "target": "portefeuille"}, "kind", "Une règle existe déjà pour ce type de demande"),
        ({"kind": "autre", "topic": "gamma", "target": "operations"}, "topic", "Ce type de demande n'a pas de sujet"),
        (
            {"kind": "mal-etre", "topic": "", "target": "operations"},
            "target",
            "Une demande confidentielle va toujours",
        ),
        ({"kind": "autre", "target": "choix"}, "target", "Seules les demandes confidentielles vont à une personne"),
        ({"kind": "", "target": "operations"}, "kind", "Choisissez le type de demande."),
        ({"kind": "autre", "target": ""}, "target", "Choisissez à qui attribuer ces demandes."),
    ],
)
def test_routing_rule_field_errors(client, cast, data, field, message):
    count = RoutingRule.objects.count()
    response = as_user(client, cast.other_staff).post(f"{ROUTING}nouvelle/", data)
    assert response.status_code == 200
    assert message in field_error(response, field)
    assert title(response).startswith("Erreur : ")
    assert RoutingRule.objects.count() == count


def test_a_duplicate_message_names_the_scope(client, cast):
    response = as_user(client, cast.other_staff).post(
        f"{ROUTING}nouvelle/", {"kind": "soutien-dinum", "topic": "gamma", "target": "operations"}
    )
    assert field_error(response, "kind") == (
        "Une règle existe déjà pour ce type de demande, le sujet « Programme Gamma » et tous les portefeuilles : "
        "modifiez-la plutôt que d'en ajouter une autre."
    )


def test_deleting_a_rule_after_confirmation(client, cast):
    rule = RoutingRule.objects.get(kind="soutien-dinum", topic="gamma")
    as_user(client, cast.other_staff)
    confirm = client.get(f"{ROUTING}{rule.pk}/supprimer/")
    assert confirm.status_code == 200
    assert "Confirmer la suppression" in words(confirm)
    assert RoutingRule.objects.filter(pk=rule.pk).exists()
    response = client.post(f"{ROUTING}{rule.pk}/supprimer/")
    assert response["Location"] == ROUTING
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    assert JournalEntry.objects.filter(action="guichet.routing_rule_deleted", actor=cast.other_staff).exists()
    # A Gamma request now follows the kind's general rule: the portfolio manager (Pierre Boussole for Justice).
    ticket = submit(cast.requester, kind="soutien-dinum", topic="gamma", product=cast.product)
    assert ticket.routing_reason.startswith("attribuée à Pierre Boussole : portefeuille Justice")


def test_the_routing_pages_are_for_staff_only(client, cast):
    rule = RoutingRule.objects.first()
    as_user(client, cast.requester)
    for url in (ROUTING, f"{ROUTING}nouvelle/", f"{ROUTING}{rule.pk}/", f"{ROUTING}{rule.pk}/supprimer/"):
        assert client.get(url).status_code == 404
    assert client.post(f"{ROUTING}{rule.pk}/supprimer/").status_code == 404
    assert RoutingRule.objects.filter(pk=rule.pk).exists()
    assert as_user(client, cast.other_staff).get(f"{ROUTING}999999/").status_code == 404


def test_a_key_reused_for_another_request_is_refused_and_renewed(client, cast):
    as_user(client, cast.other_staff)
    client.post(ON_BEHALF, on_behalf_data(cast))
    response = client.post(ON_BEHALF, on_behalf_data(cast, subject="Une autre demande"))
    assert response.status_code == 200
    assert "Cette clé d'idempotence a déjà servi pour une autre demande" in words(response)
    assert Ticket.objects.count() == 1
    key = re.search(r'name="idempotency_key" value="([^"]+)"', response.content.decode()).group(1)
    assert key != "cle-unique-1"
    client.post(ON_BEHALF, on_behalf_data(cast, subject="Une autre demande", idempotency_key=key))
    assert Ticket.objects.count() == 2


def test_an_invalid_edit_keeps_the_rules_name_and_changes_nothing(client, cast):
    rule = RoutingRule.objects.get(kind="autre", topic="", portfolio=None)
    response = as_user(client, cast.other_staff).post(f"{ROUTING}{rule.pk}/", {"kind": "communaute", "target": "pole"})
    assert response.status_code == 200
    assert "Modifier la règle « Autre question »" in words(response)
    assert "Une règle existe déjà" in field_error(response, "kind")
    assert "Choisissez le pôle" in field_error(response, "pole")
    rule.refresh_from_db()
    assert (rule.kind, rule.target, rule.pole.slug) == ("autre", "pole", "direction")
