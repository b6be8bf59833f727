"""/engagements/: each commitment's figures on hand-made data (tables of expected values), the daily refresh run
once per day, the downloads, the suppression of small confidential counts, and flat queries."""

import csv
import datetime
import io
import json
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from incubateur.core.models import JournalEntry, Notification, NotificationChannel, Visibility
from incubateur.guichet import services as guichet
from incubateur.guichet.models import Offer, OfferStatus, Ticket
from incubateur.organisation.models import Pole
from incubateur.transparency import commitments
from incubateur.transparency.models import Snapshot
from tests.factories import UserFactory, person
from tests.registry.factories import ProductFactory, team_member
from tests.transparency.journal_helpers import row

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=PARIS)
MONTHS = [
    "juillet 2025", "août 2025", "septembre 2025", "octobre 2025", "novembre 2025", "décembre 2025",
    "janvier 2026", "février 2026", "mars 2026", "avril 2026", "mai 2026", "juin 2026",
]  # fmt: skip


def at(month, day, hour=10, year=2026):
    return datetime.datetime(year, month, day, hour, tzinfo=PARIS)


def table(key, index=0):
    return commitments.BUILDERS[key](NOW)["tables"][index]


def by_label(tab) -> dict[str, list]:
    return {r[0]: dict(zip(tab["columns"][1:], r[1:], strict=True)) for r in tab["rows"]}


def ticket(*, created, due, answered=None, pole=None, confidential=False, closed=None):
    if confidential:
        made = guichet.ticket_submit(
            requester=UserFactory(), kind="mal-etre", subject="S", body="…", recipient=UserFactory(staff=True)
        )
    else:
        made = guichet.ticket_submit(requester=UserFactory(), kind="autre", subject="S", body="…")
    Ticket.objects.filter(pk=made.pk).update(
        created_at=created, first_response_due=due, first_response_at=answered, pole=pole, closed_at=closed
    )
    return made


def test_first_answer_within_one_working_day(organisation):
    a = Pole.objects.create(slug="pole-a", name="Pôle A")
    b = Pole.objects.create(slug="pole-b", name="Pôle B")
    ticket(created=at(5, 4), due=at(5, 5), answered=at(5, 4, 11), pole=a)  # 1 h, on time
    ticket(created=at(5, 6), due=at(5, 7), answered=at(5, 8), pole=a)  # 48 h, late
    ticket(created=at(5, 7), due=at(5, 8), answered=at(5, 7, 14), pole=b, confidential=True)  # 4 h, on time
    ticket(created=at(5, 11), due=at(5, 12), pole=b)  # no answer
    ticket(created=at(4, 1), due=at(4, 2), answered=at(4, 1, 12), pole=a)  # 2 h, on time
    ticket(created=at(6, 1, year=2025), due=at(6, 2, year=2025), answered=at(6, 1, 11, year=2025), pole=a)  # too old

    totals = by_label(table("premiere-reponse"))
    expected = {
        "Demandes reçues": {"avril 2026": 1, "mai 2026": 4, "juin 2026": 0},
        "Réponse sous un jour ouvré": {"avril 2026": 1, "mai 2026": 2, "juin 2026": 0},
        "Part sous un jour ouvré (%)": {"avril 2026": 100.0, "mai 2026": 50.0, "juin 2026": None},
        "Délai médian de première réponse (heures)": {"avril 2026": 2.0, "mai 2026": 4.0, "juin 2026": None},
    }
    for label, values in expected.items():
        for month, value in values.items():
            assert totals[label][month] == value, (label, month)
    assert sum(totals["Demandes reçues"].values()) == 5
    # By pole: the confidential request is not broken down (Pôle B would be 50 % with it).
    poles = by_label(table("premiere-reponse", 1))
    assert poles["Pôle A"]["mai 2026"] == 50.0
    assert poles["Pôle B"]["mai 2026"] == 0.0
    assert poles["Pôle A"]["mars 2026"] is None


def test_no_help_without_consent(organisation):
    staff = person("pierre.boussole")
    product = ProductFactory()
    member = team_member(product, username="membre.equipe")
    offers = [
        guichet.offer_propose(offered_by=staff, product=product, topic=f"Aide {n}", message="…") for n in range(3)
    ]
    guichet.offer_accept(offer=offers[0], member_user=member)
    guichet.offer_decline(offer=offers[1], member_user=member, reason="Pas besoin")
    guichet.offer_decline(offer=offers[2], member_user=member)
    # Dated by hand (the team's missions start today: the services refuse a decision "in the past").
    Offer.objects.update(created_at=at(5, 4))
    Offer.objects.filter(pk__in=[offers[0].pk, offers[1].pk]).update(decided_at=at(5, 20))
    Offer.objects.filter(pk=offers[2].pk).update(decided_at=at(6, 2))

    payload = commitments.consent(NOW)
    values = by_label(payload["tables"][0])
    assert values["Offres proposées"]["mai 2026"] == 3
    assert values["Offres acceptées"]["mai 2026"] == 1
    assert values["Offres déclinées"]["mai 2026"] == 1
    assert values["Offres déclinées"]["juin 2026"] == 1
    assert payload["check"]["value"] == 0
    assert "Pas besoin" not in json.dumps(payload) and product.name not in json.dumps(payload)

    # The check is computed: a request opened from a declined offer shows.
    Offer.objects.filter(pk=offers[0].pk).update(status=OfferStatus.DECLINED)
    assert commitments.consent(NOW)["check"]["value"] == 1


def test_reporting_counts_reporting_not_information():
    def sent(kind, when):
        Notification.objects.create(
            kind=kind, channel=NotificationChannel.EMAIL, recipient="x@example.org", body="…", created_at=when
        )

    sent("programmes.digest", at(3, 2))
    sent("community.incubator_digest", at(3, 9))
    sent("guichet.new", at(3, 9))  # to the Incubator, not to a team: neither
    values = by_label(table("reporting"))
    assert values["Demandes de reporting"] == dict.fromkeys(MONTHS, 0)
    assert values["Information (synthèses, rappels) — pas du reporting"]["mars 2026"] == 2
    assert "information, pas du reporting" in commitments.reporting(NOW)["definition"]


def test_transparency_counts_published_journal_rows():
    row("programmes.results_published", "Résultats A", at=at(5, 2))
    row("programmes.laureate_published", "Lauréat A", at=at(5, 2))
    row("organisation.portfolio_manager", "Portefeuille", at=at(4, 2))
    row("programmes.call_created", "Interne", at=at(5, 2), visibility=Visibility.INTERNAL)
    row("registry.member_updated", "Fiche", at=at(5, 2))
    values = by_label(table("transparence"))
    assert values["Programmes : appels, décisions et résultats"]["mai 2026"] == 2
    assert values["Organisation et portefeuilles"]["avril 2026"] == 1
    assert values["Total"]["mai 2026"] == 2
    assert sum(values["Total"].values()) == 3


def test_confidential_requests_per_quarter_are_suppressed_when_small(organisation, settings):
    settings.STATS_SUPPRESSION_THRESHOLD = 5
    for day in range(1, 7):
        ticket(created=at(4, day), due=at(4, day + 1), confidential=True, closed=at(5, day) if day <= 2 else None)
    ticket(created=at(2, 3), due=at(2, 4), confidential=True)
    ticket(created=at(2, 3), due=at(2, 4))  # not confidential: not counted
    tab = table("signalements")
    assert tab["columns"][1:] == [
        "3e trimestre 2025",
        "4e trimestre 2025",
        "1er trimestre 2026",
        "2e trimestre 2026",
        "Total sur la période",
    ]
    values = {r[0]: r[1:] for r in tab["rows"]}
    assert values["Reçues"][3] == "6"  # 6 received in the 2nd quarter: published
    assert values["Reçues"][:3] == ["< 5", "< 5", "< 5"]  # 0, 0 and 1: small, hidden
    for cells in values.values():
        hidden = [c for c in cells if not c.isdigit()]
        # A lone hidden cell would be the total minus the others: never alone.
        assert len(hidden) != 1
    assert values["Closes"][3] == "< 5"  # 2 closed
    settings.STATS_SUPPRESSION_THRESHOLD = 7
    assert {r[0]: r[1:] for r in table("signalements")["rows"]}["Reçues"][3] == "< 7"


def test_daily_runs_once_a_day_and_records_the_month_once(settings):
    assert "incubateur.transparency.commitments.daily" in settings.WORKER_HOUSEKEEPING_HOOKS
    assert commitments.daily(now=NOW) is True
    assert commitments.daily(now=NOW + datetime.timedelta(hours=3)) is False
    assert Snapshot.objects.filter(key__startswith=commitments.PREFIX).count() == len(commitments.ORDER)
    assert commitments.daily(now=NOW + datetime.timedelta(days=1)) is True
    published = JournalEntry.objects.filter(action="transparency.commitments_published")
    assert list(published.values_list("data__month", "visibility")) == [("2026-05", Visibility.PUBLIC)]
    commitments.daily(now=NOW + datetime.timedelta(days=20))  # July: June's figures
    assert published.count() == 2


def test_the_page_before_and_after_the_first_computation():
    client = Client()
    assert "pas encore été calculés" in client.get("/engagements/").content.decode()
    assert client.get("/engagements/consentement.csv").status_code == 404
    commitments.refresh(now=NOW)
    page = client.get("/engagements/").content.decode()
    for key in commitments.ORDER:
        assert f'id="{key}"' in page
        assert f"/engagements/{key}.csv" in page and f"/engagements/{key}.json" in page
    assert "Licence Ouverte" in page
    assert "<caption>" in page and 'scope="col"' in page


def test_downloads_carry_the_figures_and_the_licence():
    row("programmes.results_published", "Résultats A", at=at(5, 2))
    commitments.refresh(now=NOW)
    client = Client()
    response = client.get("/engagements/transparence.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "etalab.gouv.fr" in response["Link"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["tableau", "", *MONTHS]
    total = next(r for r in rows if r[1] == "Total")
    assert total[2:] == ["0"] * 10 + ["1", "0"]
    body = json.loads(client.get("/engagements/transparence.json").content)
    assert body["key"] == "transparence" and "Etalab" in body["licence"] and body["computed_at"].startswith("2026")
    assert body["tables"][0]["columns"][1:] == MONTHS


@pytest.mark.parametrize("path", ["/engagements/", "/journal/"])
def test_the_pages_make_a_constant_number_of_queries(organisation, path, django_assert_max_num_queries):
    client = Client()

    def grow(count):
        for n in range(count):
            ticket(created=at(5, 1 + n % 20), due=at(5, 2 + n % 20), answered=at(5, 1 + n % 20, 11))
            row("programmes.results_published", f"Résultats {n}", at=at(5, 2))
        commitments.refresh(now=NOW)

    grow(2)
    with django_assert_max_num_queries(8) as small:
        assert client.get(path).status_code == 200
    grow(18)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(path).status_code == 200
