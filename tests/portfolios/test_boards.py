"""The portfolio boards: which products are in which portfolio (the organisation's perimeter rule), grouped by
phase; the committee-due and phase-length rules on a frozen clock; what is counted (never a confidential request);
who may open which board; the CSV exports; flat query counts."""

import csv
import datetime
import io
import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

# The URLs (and the API's pydantic schemas) load before any clock is frozen: under freeze_time, `datetime.date`
# is freezegun's class, which pydantic cannot describe.
import config.urls  # noqa: F401
from incubateur.core.dates import add_months
from incubateur.guichet import services as guichet
from incubateur.organisation.models import Portfolio
from incubateur.portfolios import selectors as boards_module
from incubateur.portfolios import services as portfolios
from incubateur.portfolios.models import CommitteeDecision
from incubateur.programmes import services
from incubateur.programmes.models import Application, ApplicationStatus
from incubateur.registry.models import Event, Phase
from tests.factories import UserFactory, person
from tests.portfolios.factories import product
from tests.programmes.factories import fast_call
from tests.registry.factories import team_member

# A Monday; 10:00 in Paris.
NOW = "2026-03-16 09:00:00"
TODAY = datetime.date(2026, 3, 16)


@pytest.fixture
def clock():
    """The clock frozen at NOW; request it first, so that the organisation is loaded on that day too."""
    with freeze_time(NOW) as frozen:
        yield frozen


def portfolio(slug: str) -> Portfolio:
    return Portfolio.objects.select_related("manager").get(slug=slug)


def board_of(slug: str, today=None):
    [result] = boards_module.boards([portfolio(slug)], today=today)
    return result


def row_of(slug: str, ghid: str, today=None):
    rows = [row for row in board_of(slug, today).rows if row.product.ghid == ghid]
    assert len(rows) == 1, f"{ghid} is not once on the board of {slug}"
    return rows[0]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def words(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?(?:a|strong|em|span|b)(?:\s[^>]*)?>", "", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def main_text(response) -> str:
    content = response.content.decode()
    return words(content[content.index("<main") : content.index("</main>")])


def read_csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff"), "a UTF-8 byte order mark, for Excel"
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


# --- Which portfolio, which group -------------------------------------------------------------------------------


def test_products_are_placed_by_theme_before_ministry_and_grouped_by_phase(organisation):
    product("a-just", ministry="justice", phase="investigation")
    product("casier", ministry="justice", phase="construction")
    product("greffe", ministry="justice", phase="acceleration")
    # Sponsored by the Justice ministry, but about housing: the theme wins (Logement, Gaël Ivoire).
    product("loyer-juste", ministry="justice", themes=["logement"])
    # A theme no portfolio covers: the ministry decides.
    product("tribunal-vert", ministry="justice", themes=["Numérique responsable"])
    # Not in an active phase: not on any board.
    product("ancien", ministry="justice", phase="abandon")
    ended = product("fini", ministry="justice", phase="consolidation")
    Phase.objects.filter(product=ended).update(end=timezone.localdate() - datetime.timedelta(days=1))

    justice = board_of("justice")
    assert [(group.label, [row.product.ghid for row in group.rows]) for group in justice.groups] == [
        ("investigation", ["a-just"]),
        ("construction", ["casier", "tribunal-vert"]),
        ("accélération", ["greffe"]),
    ]
    assert [row.product.ghid for row in board_of("logement").rows] == ["loyer-juste"]
    assert justice.totals["products"] == 4

    response = client_for(person("pierre.boussole")).get("/equipe/portefeuilles/pierre.boussole/")
    assert response.status_code == 200
    text = main_text(response)
    assert "Tableau de bord de Pierre Boussole" in text
    assert "Portefeuille « Justice » — 4 produits" in text
    assert text.index("Investigation — 1 produit") < text.index("Construction — 2 produits")
    assert text.index("Construction — 2 produits") < text.index("Accélération — 1 produit")
    assert "Loyer juste" not in text and "Ancien" not in text and "Fini" not in text
    assert 'href="/produits/casier/"' in response.content.decode()


def test_a_portfolio_without_active_product_says_so(organisation):
    response = client_for(person("gael.ivoire")).get("/equipe/portefeuilles/gael.ivoire/")
    assert response.status_code == 200
    assert "Aucun produit de ce portefeuille n'est en phase active" in main_text(response)


# --- When the next committee is due ------------------------------------------------------------------------------


def applied(call, product_, member, status: str):
    """The team's application to `call`, at `status` (as its submission and instruction leave it)."""
    application = services.application_start(call=call, user=member, product=product_)
    Application.objects.filter(pk=application.pk).update(status=status, submitted_at=timezone.now())
    return application


def record(product_, date: datetime.date, decision: str):
    return portfolios.committee_record(product=product_, actor=person("antoine.rivage"), date=date, decision=decision)


def test_after_a_continue_decision_the_next_committee_is_due_six_months_later(clock, organisation):
    made = product("casier", start=datetime.date(2025, 1, 6))
    record(made, datetime.date(2025, 11, 10), CommitteeDecision.CONTINUE)
    row = row_of("justice", "casier")
    assert (row.last_committee, row.next_committee_due) == (datetime.date(2025, 11, 10), datetime.date(2026, 5, 10))
    assert not row_of("justice", "casier", today=datetime.date(2026, 5, 10)).committee_overdue
    assert row_of("justice", "casier", today=datetime.date(2026, 5, 11)).committee_overdue


def test_after_a_provisional_decision_the_next_committee_is_due_two_months_later(clock, organisation):
    made = product("casier", start=datetime.date(2025, 1, 6))
    record(made, datetime.date(2026, 1, 20), CommitteeDecision.PROVISIONAL)
    row = row_of("justice", "casier")
    assert row.next_committee_due == datetime.date(2026, 3, 20)
    assert not row.committee_overdue
    with freeze_time("2026-03-20 22:59:00"):  # 23:59 in Paris: still the due date
        assert not row_of("justice", "casier").committee_overdue
    with freeze_time("2026-03-20 23:00:00"):  # midnight in Paris: the day after
        assert row_of("justice", "casier").committee_overdue


def test_an_imported_committee_event_sets_the_next_one_six_months_later(clock, organisation):
    made = product("casier", start=datetime.date(2024, 6, 3))
    # As the import writes them: the product's history in beta.gouv.fr.
    Event.objects.create(product=made, name="committee", date=datetime.date(2025, 9, 1))
    Event.objects.create(product=made, name="committee", date=datetime.date(2025, 3, 1), order=1)
    row = row_of("justice", "casier")
    assert (row.last_committee, row.next_committee_due) == (datetime.date(2025, 9, 1), datetime.date(2026, 3, 1))
    assert row.committee_overdue
    assert not row_of("justice", "casier", today=datetime.date(2026, 3, 1)).committee_overdue


def test_a_later_imported_event_wins_over_an_earlier_recorded_committee(clock, organisation):
    made = product("casier", start=datetime.date(2024, 6, 3))
    record(made, datetime.date(2025, 12, 1), CommitteeDecision.PROVISIONAL)  # due 1 February 2026
    Event.objects.create(product=made, name="committee", date=datetime.date(2026, 1, 10), order=5)
    row = row_of("justice", "casier")
    assert (row.last_committee, row.next_committee_due) == (datetime.date(2026, 1, 10), datetime.date(2026, 7, 10))
    assert not row.committee_overdue


def test_without_any_committee_known_nothing_is_due_and_nothing_is_overdue(clock, organisation):
    """Day one of an import: a product in its phase for two years with no committee recorded nor in its history is
    "aucun comité connu", never "en retard" (the old rule, 6 months after the phase started, flagged it)."""
    product("casier", start=datetime.date(2024, 3, 5))
    row = row_of("justice", "casier")
    assert (row.last_committee, row.next_committee_due, row.committee_known) == (None, None, False)
    assert not row.committee_overdue
    assert not row_of("justice", "casier", today=datetime.date(2030, 1, 1)).committee_overdue
    assert board_of("justice").totals["committees_overdue"] == 0
    assert not [line for line in boards_module.overdue_items(board_of("justice")) if "comité" in line]


def test_after_a_stop_no_committee_is_due(clock, organisation):
    made = product("casier", start=datetime.date(2024, 6, 3))
    record(made, datetime.date(2025, 1, 10), CommitteeDecision.STOP)
    row = row_of("justice", "casier")
    assert (row.last_committee, row.next_committee_due, row.committee_overdue) == (
        datetime.date(2025, 1, 10),
        None,
        False,
    )


def test_the_board_says_in_words_which_committee_is_overdue(clock, organisation):
    late = product("en-retard", start=datetime.date(2024, 8, 1), name="Casier en retard")
    Event.objects.create(product=late, name="committee", date=datetime.date(2025, 8, 1))  # due 1 February 2026
    on_time = product("a-l-heure", start=datetime.date(2025, 6, 5), name="Greffe à l'heure")
    Event.objects.create(product=on_time, name="committee", date=datetime.date(2026, 1, 5))  # due 5 July 2026
    product("jamais-vu", start=datetime.date(2024, 1, 8), name="Jamais vu")  # no committee known
    response = client_for(person("pierre.boussole")).get("/equipe/portefeuilles/pierre.boussole/")
    text = main_text(response)
    assert "Dernier : 1er août 2025 Prochain avant le 1er février 2026 En retard" in text
    greffe = text[text.index("Greffe à l'heure") : text.index("Jamais vu")]
    assert "Prochain avant le 5 juillet 2026" in greffe and "En retard" not in greffe
    never = text[text.index("Jamais vu") :]
    assert "Aucun comité connu" in never and "En retard" not in never and "Prochain" not in never
    assert '<p class="fr-badge fr-badge--sm fr-badge--error fr-mt-1v">En retard</p>' in response.content.decode()
    assert "1 comité d'investissement en retard" in text


# --- Time in phase against the norms ---------------------------------------------------------------------------


def test_a_phase_longer_than_its_norm_is_flagged(clock, organisation):
    product("dix-neuf", start=add_months(TODAY, -19), name="Dix-neuf mois")
    product("dix-sept", start=add_months(TODAY, -17), name="Dix-sept mois")
    product("enquete", phase="investigation", start=add_months(TODAY, -4), name="Enquête longue")
    product("enquete-courte", phase="investigation", start=TODAY - datetime.timedelta(days=10), name="Enquête")

    assert row_of("justice", "dix-neuf").over_norm
    assert row_of("justice", "dix-neuf").norm_months == 18
    assert not row_of("justice", "dix-sept").over_norm
    assert row_of("justice", "enquete").over_norm
    assert not row_of("justice", "enquete-courte").over_norm

    text = main_text(client_for(person("pierre.boussole")).get("/equipe/portefeuilles/pierre.boussole/"))
    assert "Dix-neuf mois depuis 19 mois — repère 18 mois Au-delà du repère" in text
    assert "Dix-sept mois depuis 17 mois — repère 18 mois Phase" in text
    assert "Enquête depuis moins d'un mois — repère 3 mois Phase" in text
    assert "2 produits au-delà du repère de durée de leur phase" in text


# --- What is counted ----------------------------------------------------------------------------------------------


def test_open_requests_pending_offers_and_running_applications_are_counted_never_a_confidential_request(
    organisation,
):
    made = product("casier", name="Casier")
    other = product("greffe", name="Greffe")
    member = team_member(made, username="camille.equipe")
    pierre, staff = person("pierre.boussole"), person("antoine.rivage")

    guichet.ticket_submit(requester=member, kind="doute-produit", subject="Un doute", body="…", product=made)
    closed = guichet.ticket_submit(requester=member, kind="doute-produit", subject="Réglé", body="…", product=made)
    guichet.ticket_status_set(ticket=closed, actor=pierre, status="resolu")
    # Confidential: only its reader knows it exists; never counted, not even for that reader's board.
    guichet.ticket_submit(
        requester=member, kind="signalement", subject="Confidentiel", body="…", product=made, recipient=pierre
    )
    guichet.ticket_submit(
        requester=member,
        kind="doute-produit",
        subject="Confidentiel aussi",
        body="…",
        product=made,
        confidential=True,
        recipient=pierre,
    )

    guichet.offer_propose(offered_by=staff, product=made, topic="Design", message="Une revue de design ?")
    declined = guichet.offer_propose(offered_by=staff, product=made, topic="Données", message="…")
    guichet.offer_decline(offer=declined, member_user=member, reason="Pas maintenant")
    guichet.offer_propose(offered_by=staff, product=other, topic="Accessibilité", message="…")

    applied(fast_call(title="FAST 18", number=18), made, member, ApplicationStatus.SUBMITTED)
    applied(fast_call(title="FAST 19", number=19), made, member, ApplicationStatus.UNDER_REVIEW)
    applied(fast_call(title="FAST 20", number=20), made, member, ApplicationStatus.NOT_SELECTED)
    services.application_start(call=fast_call(title="FAST 21", number=21), user=member, product=made)  # a draft

    row = row_of("justice", "casier")
    assert (row.open_requests, row.pending_offers, row.running_applications) == (1, 1, 2)
    greffe = row_of("justice", "greffe")
    assert (greffe.open_requests, greffe.pending_offers, greffe.running_applications) == (0, 1, 0)

    for reader in (pierre, UserFactory(admin=True)):
        response = client_for(reader).get("/equipe/portefeuilles/pierre.boussole/")
        text = main_text(response)
        assert "Casier depuis 1 mois — repère 18 mois Phase commencée le" in text
        assert re.search(r"Casier .*? Aucun comité connu 1 1 2 Enregistrer un comité", text)
        assert "2 demandes ouvertes" not in text
        assert "1 demande ouverte au guichet, 2 offres d'aide en attente, 2 candidatures en cours" in text
        assert "Confidentiel" not in text


# --- Who sees which board ----------------------------------------------------------------------------------------


def test_who_may_open_which_board(organisation):
    product("casier")
    yasmine = person("yasmine.mimosa")  # the manager of « Travail, Insertion et Armées », not a pole lead
    pierre = person("pierre.boussole")  # the Justice manager, and the lead of the Accélération pole
    pole_lead = person("bastien.d.dolomie")  # lead of the Animation pole
    direction = person("aubin.houblon")  # in the direction pole, not its lead
    admin = UserFactory(admin=True)
    staff = person("antoine.rivage")  # in a pole, neither lead nor manager
    member = UserFactory(username="camille.membre")

    def status(user, url):
        return client_for(user).get(url).status_code

    paul_board = "/equipe/portefeuilles/pierre.boussole/"
    yasmine_board = "/equipe/portefeuilles/yasmine.mimosa/"
    for url in (paul_board, paul_board + "export.csv"):
        assert status(pierre, url) == 200, "the manager themself"
        assert status(yasmine, url) == 404, "another manager"
        assert status(pole_lead, url) == 200
        assert status(direction, url) == 200
        assert status(admin, url) == 200
        assert status(staff, url) == 404
        assert status(member, url) == 404
    assert status(yasmine, yasmine_board) == 200
    assert status(pierre, yasmine_board) == 200, "a pole lead sees every board"

    # Unknown, or someone without a portfolio: 404 for everyone.
    for url in ("/equipe/portefeuilles/personne.inconnue/", "/equipe/portefeuilles/aubin.houblon/"):
        assert status(admin, url) == 404
        assert status(direction, url) == 404

    for url in ("/equipe/portefeuilles/", "/equipe/portefeuilles/export.csv"):
        assert status(pole_lead, url) == 200
        assert status(direction, url) == 200
        assert status(admin, url) == 200
        assert status(pierre, url) == 200
        assert status(member, url) == 404
        response = client_for(yasmine).get(url)
        assert (response.status_code, response["Location"]) == (302, yasmine_board), "sent to their own board"
    assert status(staff, "/equipe/portefeuilles/export.csv") == 404
    closed = client_for(staff).get("/equipe/portefeuilles/")
    assert closed.status_code == 200, "plain staff are told who sees the boards"
    assert "Justice : Pierre Boussole" in closed.content.decode()
    assert "/equipe/portefeuilles/pierre.boussole/" not in closed.content.decode()

    anonymous = Client().get(paul_board)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/connexion/?next=")


def test_a_lead_who_steps_down_no_longer_sees_every_board(organisation):
    from incubateur.organisation import services as organisation
    from incubateur.organisation.models import Position

    lead = person("bastien.d.dolomie")
    assert client_for(lead).get("/equipe/portefeuilles/").status_code == 200
    position = Position.objects.current().get(person=lead, is_lead=True)
    organisation.position_end(position=position, by=UserFactory(admin=True))
    lead.refresh_from_db()
    assert client_for(lead).get("/equipe/portefeuilles/").status_code == 404  # no position left: not staff now


# --- Every portfolio ---------------------------------------------------------------------------------------------


def test_every_portfolio_with_totals_per_portfolio_and_phase(organisation):
    product("a-just", phase="investigation")
    product("casier")
    product("greffe", phase="acceleration")
    product("loyer-juste", themes=["Logement"])
    product("mon-soin", ministry="solidarite-sante", phase="consolidation")
    Portfolio.objects.create(slug="orphelin", label="Portefeuille orphelin", ministries=["outre-mer"], order=99)

    response = client_for(person("igor.balise")).get("/equipe/portefeuilles/")
    assert response.status_code == 200
    html = response.content.decode()
    text = main_text(response)
    assert (
        "Portefeuille et responsable Investigation Construction Accélération Consolidation Opérée Total "
        "Comités en retard Au-delà du repère Demandes ouvertes Offres d'aide en attente Candidatures en cours"
    ) in text
    assert "Justice Pierre Boussole 1 1 1 0 0 3 0 0 0 0 0" in text
    assert "Logement Gaël Ivoire 0 1 0 0 0 1 0 0 0 0 0" in text
    assert "Santé, Solidarités, Cybersécurité et IA Eline Le Brizec 0 0 0 1 0 1 0 0 0 0 0" in text
    assert "Portefeuille orphelin Sans responsable 0 0 0 0 0 0" in text
    assert "Tous les portefeuilles 1 2 1 1 0 5 0 0 0 0 0" in text
    assert '<a href="/equipe/portefeuilles/pierre.boussole/">Justice</a>' in html
    assert '<a href="/equipe/portefeuilles/gael.ivoire/">Logement</a>' in html
    # 10 managed portfolios, the CSV export, and the staff menu's link
    assert html.count('href="/equipe/portefeuilles/') == 10 + 1 + 1


# --- CSV ---------------------------------------------------------------------------------------------------------


def test_the_board_as_csv(clock, organisation):
    casier = product("casier", start=datetime.date(2024, 7, 1), name="Casier")
    record(casier, datetime.date(2025, 9, 2), CommitteeDecision.CONTINUE)
    product("a-just", phase="investigation", start=datetime.date(2026, 2, 16), name='=HYPERLINK("x")')
    product("loyer-juste", themes=["Logement"])

    response = client_for(person("pierre.boussole")).get("/equipe/portefeuilles/pierre.boussole/export.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="portefeuille-pierre.boussole-2026-03-16.csv"'
    rows = read_csv(response)
    assert rows == [
        [
            "Portefeuille",
            "Responsable",
            "Phase",
            "Produit",
            "Identifiant",
            "Début de la phase",
            "Mois dans la phase",
            "Repère (mois)",
            "Au-delà du repère",
            "Dernier comité",
            "Prochain comité avant le",
            "Comité en retard",
            "Demandes ouvertes au guichet",
            "Offres d'aide en attente",
            "Candidatures en cours",
            "Fiche du produit",
        ],
        [
            "Justice",
            "Pierre Boussole",
            "investigation",
            '\'=HYPERLINK("x")',  # never a formula in a spreadsheet
            "a-just",
            "16/02/2026",
            "0,9",
            "3",
            "non",
            "",
            "",  # no committee known: none due (and not late)
            "non",
            "0",
            "0",
            "0",
            "http://testserver/produits/a-just/",
        ],
        [
            "Justice",
            "Pierre Boussole",
            "construction",
            "Casier",
            "casier",
            "01/07/2024",
            "20,5",
            "18",
            "oui",
            "02/09/2025",
            "02/03/2026",
            "oui",
            "0",
            "0",
            "0",
            "http://testserver/produits/casier/",
        ],
    ]


def test_every_board_as_csv(clock, organisation):
    product("casier")
    product("loyer-juste", themes=["Logement"])
    product("mon-soin", ministry="solidarite-sante")
    response = client_for(UserFactory(admin=True)).get("/equipe/portefeuilles/export.csv")
    assert response["Content-Disposition"] == 'attachment; filename="portefeuilles-2026-03-16.csv"'
    rows = read_csv(response)
    assert rows[0][:4] == ["Portefeuille", "Responsable", "Phase", "Produit"]
    # The portfolios in their order (organisation.yaml's), each with its products.
    assert [(row[0], row[1], row[4]) for row in rows[1:]] == [
        ("Justice", "Pierre Boussole", "casier"),
        ("Santé, Solidarités, Cybersécurité et IA", "Eline Le Brizec", "mon-soin"),
        ("Logement", "Gaël Ivoire", "loyer-juste"),
    ]
    assert all(len(row) == len(rows[0]) for row in rows)


# --- Query counts ------------------------------------------------------------------------------------------------


def add_products(n: int, prefix: str, number: int) -> None:
    """Products of every kind the boards read: committees, history events, requests, offers, applications."""
    staff = person("antoine.rivage")
    call = fast_call(title=f"FAST {number}", number=number)
    for i in range(n):
        phase = ["investigation", "construction", "acceleration", "consolidation"][i % 4]
        made = product(
            f"{prefix}-{i}",
            phase=phase,
            start=timezone.localdate() - datetime.timedelta(days=100 + 40 * i),
            themes=["Logement"] if i % 3 == 0 else [],
            ministry=["justice", "travail"][i % 2],
        )
        member = team_member(made, username=f"membre.{prefix}.{i}")
        record(made, timezone.localdate() - datetime.timedelta(days=20 + 60 * i), CommitteeDecision.CONTINUE)
        Event.objects.create(product=made, name="committee", date=timezone.localdate() - datetime.timedelta(days=300))
        guichet.ticket_submit(requester=member, kind="doute-produit", subject=f"Question {i}", body="…", product=made)
        guichet.offer_propose(offered_by=staff, product=made, topic="Design", message="…")
        applied(call, made, member, ApplicationStatus.SUBMITTED)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/equipe/portefeuilles/",
        "/equipe/portefeuilles/export.csv",
        "/equipe/portefeuilles/pierre.boussole/",
        "/equipe/portefeuilles/pierre.boussole/export.csv",
    ],
)
def test_query_count_is_flat(organisation, url):
    def on_boards() -> int:
        return sum(len(b.rows) for b in boards_module.boards(list(Portfolio.objects.select_related("manager"))))

    add_products(3, "avant", 40)
    client = client_for(person("igor.balise"))
    before = count_queries(client, url)
    assert len(board_of("justice").rows) >= 1
    shown = on_boards()
    add_products(5, "apres", 41)
    assert on_boards() == shown + 5
    assert count_queries(client, url) == before
