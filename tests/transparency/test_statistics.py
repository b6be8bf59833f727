"""The public statistics (#17): every indicator on hand-made data (tables of expected values), the pages, the
downloads, the snapshots (refreshed once a day even with two workers), and the leak test (no confidential fact in
the statistics or their downloads)."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from incubateur.guichet import services as guichet
from incubateur.guichet.kinds import KIND_INFO, Kind
from incubateur.programmes.models import Application, ApplicationStatus, Call, Programme
from incubateur.registry.models import Event, Phase
from incubateur.transparency import statistics
from incubateur.transparency.models import Snapshot
from incubateur.transparency.statistics.indicators import BY_KEY
from incubateur.transparency.suppression import COMPLEMENTARY, PRIMARY
from tests.factories import UserFactory, person
from tests.organisation.helpers import justice_product
from tests.registry.factories import IncubatorFactory, MemberFactory, MissionFactory, ProductFactory

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
D = datetime.date


def _table(key: str) -> list[tuple[str, list]]:
    payload = statistics.compute(BY_KEY[key], now=NOW)
    return [(row["label"], row["values"]) for row in payload["rows"]]


def _phases(product, *phases):
    for name, start in phases:
        Phase.objects.create(product=product, name=name, start=start)


@pytest.fixture
def products():
    """Four validated products and a pending one (never counted)."""
    a = IncubatorFactory(ghid="incubateur-a", title="Incubateur A")
    b = IncubatorFactory(ghid="incubateur-b", title="Incubateur B")
    p1 = ProductFactory(
        ghid="p1", incubator=a, repository="https://github.com/x/p1", stats=True, accessibility_status="non conforme"
    )
    _phases(p1, ("investigation", D(2021, 1, 10)), ("construction", D(2021, 6, 1)))
    Event.objects.create(product=p1, name="national_impact", date=D(2023, 5, 1))
    Event.objects.create(product=p1, name="national_impact", date=D(2024, 2, 1), order=1)
    p2 = ProductFactory(ghid="p2", incubator=a, stats_url="https://p2.example.org/stats")
    p2.accessibility_status = "Partiellement conforme"
    p2.save()
    _phases(p2, ("construction", D(2022, 3, 1)), ("acceleration", D(2023, 9, 1)))
    Event.objects.create(product=p2, name="national_impact", date=D(2024, 1, 1))
    p3 = ProductFactory(ghid="p3", incubator=b)
    _phases(p3, ("construction", D(2022, 5, 1)))
    p4 = ProductFactory(ghid="p4", incubator=b, repository="https://github.com/x/p4", review_state="en_attente")
    _phases(p4, ("construction", D(2022, 1, 1)))
    Event.objects.create(product=p4, name="national_impact", date=D(2022, 6, 1))
    p5 = ProductFactory(ghid="p5", incubator=b, repository="https://github.com/x/p5")
    _phases(p5, ("investigation", D(2026, 1, 5)))


def test_products_entering_construction(products):
    assert _table("produits-en-construction") == [
        ("2021", [1]),
        ("2022", [2]),
        ("2023", [0]),
        ("2024", [0]),
        ("2025", [0]),
        ("2026", [0]),
        ("Total", [3]),
    ]


def test_products_reaching_national_impact_count_their_first_event(products):
    assert _table("produits-impact-national") == [
        ("2023", [1]),
        ("2024", [1]),
        ("2025", [0]),
        ("2026", [0]),
        ("Total", [2]),
    ]


def test_products_per_phase(products):
    assert _table("produits-par-phase") == [
        ("investigation", [1]),
        ("construction", [2]),
        ("accélération", [1]),
        ("consolidation", [0]),
        ("transférée", [0]),
        ("opérée", [0]),
        ("arrêtée", [0]),
        ("investigation non concluante", [0]),
        ("Total", [4]),
    ]


def test_products_per_incubator_and_starting_year(products):
    payload = statistics.compute(BY_KEY["produits-par-incubateur"], now=NOW)
    assert payload["columns"] == ["2021", "2022", "2023", "2024", "2025", "2026", "Total"]
    assert _table("produits-par-incubateur") == [
        ("Incubateur A", [1, 1, 0, 0, 0, 0, 2]),
        ("Incubateur B", [0, 1, 0, 0, 0, 1, 2]),
        ("Total", [1, 2, 0, 0, 0, 1, 4]),
    ]
    assert payload["chart"] == {"kind": "bars", "series": [6], "percent": False}  # the totals


def test_open_source_rate_by_phase(products):
    assert _table("code-source-ouvert") == [
        ("investigation", [1, 1, 100.0]),
        ("construction", [2, 1, 50.0]),
        ("accélération", [1, 0, 0.0]),
        ("Ensemble", [4, 2, 50.0]),
    ]


def test_stats_page_rate_by_phase(products):
    assert _table("page-de-statistiques") == [
        ("investigation", [1, 0, 0.0]),
        ("construction", [2, 1, 50.0]),
        ("accélération", [1, 1, 100.0]),
        ("Ensemble", [4, 2, 50.0]),
    ]


def test_accessibility_status(products):
    assert _table("accessibilite") == [
        ("Partiellement conforme", [1]),
        ("Non conforme", [1]),
        ("Non renseigné", [2]),
        ("Total", [4]),
    ]


@pytest.fixture
def members():
    m1 = MemberFactory(username="m1", domaine="Développement")
    MissionFactory(member=m1, start=D(2020, 3, 1), end=D(2021, 12, 31), status="independent")
    MissionFactory(member=m1, start=D(2022, 1, 1), end=None, status="admin")
    m2 = MemberFactory(username="m2", domaine="Design")
    MissionFactory(member=m2, start=D(2022, 5, 1), end=D(2022, 12, 31), status="service")
    m3 = MemberFactory(username="m3", domaine="Développement")
    MissionFactory(member=m3, start=D(2025, 2, 1), end=None, status="independent")
    pending = MemberFactory(username="m4", domaine="Design", review_state="en_attente")
    MissionFactory(member=pending, start=D(2024, 2, 1), end=None, status="service")


def test_new_members_per_year_and_domaine(members, settings):
    settings.STATS_SUPPRESSION_THRESHOLD = 1
    payload = statistics.compute(BY_KEY["nouveaux-membres"], now=NOW)
    assert payload["columns"] == ["Design", "Développement", "Total"]
    assert _table("nouveaux-membres") == [
        ("2020", [0, 1, 1]),
        ("2021", [0, 0, 0]),
        ("2022", [1, 0, 1]),
        ("2023", [0, 0, 0]),
        ("2024", [0, 0, 0]),
        ("2025", [0, 1, 1]),
        ("2026", [0, 0, 0]),
        ("Total", [1, 2, 3]),
    ]


def test_members_by_status_over_time(members, settings):
    settings.STATS_SUPPRESSION_THRESHOLD = 1
    payload = statistics.compute(BY_KEY["membres-par-statut"], now=NOW)
    assert payload["columns"] == ["Agent public", "Indépendant", "Prestataire", "Total"]
    assert _table("membres-par-statut") == [
        ("2020", [0, 1, 0, 1]),
        ("2021", [0, 1, 0, 1]),
        ("2022", [1, 0, 1, 2]),
        ("2023", [1, 0, 0, 1]),
        ("2024", [1, 0, 0, 1]),
        ("2025", [1, 1, 0, 2]),
        ("2026", [1, 1, 0, 2]),
        ("Total", [5, 4, 1, 10]),
    ]


def test_counts_of_people_are_suppressed_at_the_threshold(members, settings):
    settings.STATS_SUPPRESSION_THRESHOLD = 5
    payload = statistics.compute(BY_KEY["nouveaux-membres"], now=NOW)
    assert payload["threshold"] == 5
    assert payload["suppressed"]
    values = [value for row in payload["rows"] for value in row["values"]]
    assert set(values) == {PRIMARY}  # three people in all: nothing is shown


@pytest.fixture
def requests_(organisation):
    product = justice_product()
    requester = UserFactory(username="camille.requerante")
    member = MemberFactory(username="camille.requerante", user=requester)
    MissionFactory(member=member, start=D(2020, 1, 1), end=None, products=[product])
    recipient = person("pierre.boussole")

    def submit(when, kind, **fields):
        with freeze_time(when):
            guichet.ticket_submit(
                requester=requester,
                kind=kind,
                subject="Sujet très particulier",
                body="Un message.",
                product=product if KIND_INFO[kind].asks_product else None,
                **fields,
            )

    for _ in range(2):
        submit("2026-01-10 10:00", Kind.DOUTE_PRODUIT)
    submit("2026-01-12 10:00", Kind.PARTENARIAT, ministry="justice")
    submit("2026-04-02 10:00", Kind.DOUTE_PRODUIT)
    submit("2026-04-03 10:00", Kind.MAL_ETRE, recipient=recipient)
    submit("2026-04-04 10:00", Kind.AUTRE, confidential=True, recipient=recipient)


def test_requests_per_kind_and_quarter_confidential_ones_only_together(requests_, settings):
    settings.STATS_SUPPRESSION_THRESHOLD = 1
    payload = statistics.compute(BY_KEY["demandes-au-guichet"], now=NOW)
    assert payload["columns"] == [
        "J'ai un doute sur mon produit",
        "Travailler sur un nouveau partenariat avec une administration",
        "Faire avancer une convention, un devis, un service fait",
        "Question administrative ou sur un marché public de la DINUM",
        "J'ai besoin du soutien de la DINUM",
        "Je souhaite m'investir sur un sujet de la communauté",
        "Autre question",
        "Demandes confidentielles (tous types)",
        "Total",
    ]
    assert _table("demandes-au-guichet") == [
        ("2026 T1", [2, 1, 0, 0, 0, 0, 0, 0, 3]),
        ("2026 T2", [1, 0, 0, 0, 0, 0, 0, 2, 3]),
        ("Total", [3, 1, 0, 0, 0, 0, 0, 2, 6]),
    ]


def test_no_confidential_fact_in_the_statistics_or_their_downloads(requests_, settings):
    """A confidential request's kind never appears, its subject never, and its count only as « < 5 »."""
    settings.STATS_SUPPRESSION_THRESHOLD = 5
    statistics.refresh(now=NOW)
    client = Client()
    pages = [client.get("/statistiques/").content.decode()]
    for indicator in statistics.INDICATORS:
        for suffix in ("/", ".csv", ".json"):
            response = client.get(f"/statistiques/{indicator.key}{suffix}")
            assert response.status_code == 200
            pages.append(response.content.decode())
    text = "\n".join(pages)
    for secret in (Kind.MAL_ETRE.label, Kind.SIGNALEMENT.label, "mal-etre", "Sujet très particulier"):
        assert secret not in text
    guichet_table = Snapshot.objects.get(key="statistiques/demandes-au-guichet").payload
    *quarters, totals = guichet_table["rows"]
    assert totals["values"][-1] == 6  # counted in the grand total only
    for row in [*quarters, totals]:
        for value in row["values"][:-1]:
            assert value in (PRIMARY, COMPLEMENTARY)  # every other cell is small or its complement
        assert row["values"][-2] == PRIMARY  # the confidential ones: « < 5 »


def test_fast_editions_with_public_results():
    fast = Programme.objects.create(slug="fast", name="FAST")
    first = Call.objects.create(programme=fast, title="FAST 1", number=1, historical=True)
    Application.objects.create(
        call=first, applicant_name="A", status=ApplicationStatus.LAUREATE, amount_granted=100_000
    )
    Application.objects.create(call=first, applicant_name="B", status=ApplicationStatus.DONE, amount_granted=50_000)
    Application.objects.create(call=first, applicant_name="C", status=ApplicationStatus.NOT_SELECTED)
    pending = Call.objects.create(programme=fast, title="FAST 2", number=2, opens_at=NOW, envelope=500_000)
    Application.objects.create(call=pending, applicant_name="D", status=ApplicationStatus.LAUREATE, amount_granted=1)
    third = Call.objects.create(
        programme=fast, title="FAST 3", number=3, opens_at=NOW, results_published_at=NOW, envelope=1_000_000
    )
    Application.objects.create(
        call=third, applicant_name="E", status=ApplicationStatus.AGREEMENT, amount_granted=300_000
    )
    other = Programme.objects.create(slug="gamma", name="Gamma")
    Call.objects.create(programme=other, title="Gamma 1", number=1, historical=True)
    assert _table("fast") == [("FAST 1", [2, None, 150_000]), ("FAST 3", [1, 1_000_000, 300_000])]


# --- Snapshots, pages, downloads --------------------------------------------------------------------------------


def test_refresh_writes_one_snapshot_per_indicator_and_replaces_them(products):
    statistics.refresh(now=NOW)
    later = NOW + datetime.timedelta(days=1)
    statistics.refresh(now=later)
    snapshots = Snapshot.objects.filter(key__startswith="statistiques/")
    assert snapshots.count() == len(statistics.INDICATORS)
    assert {snapshot.computed_at for snapshot in snapshots} == {later}


def test_daily_runs_once_a_day_even_with_two_workers(products):
    assert statistics.daily(now=NOW) is True
    assert statistics.daily(now=NOW + datetime.timedelta(hours=3)) is False  # the second worker, the same day
    next_day = NOW + datetime.timedelta(days=1)
    assert statistics.daily(now=next_day) is True
    assert statistics.daily(now=next_day) is False
    assert Snapshot.objects.get(key="statistiques/produits-par-phase").computed_at == next_day


def test_the_hook_and_the_setting_are_declared(settings):
    assert "incubateur.transparency.statistics.daily" in settings.WORKER_HOUSEKEEPING_HOOKS
    assert settings.STATS_SUPPRESSION_THRESHOLD == 5


def test_management_command(products, capsys):
    call_command("refresh_statistics")
    assert f"{len(statistics.INDICATORS)} indicateurs calculés." in capsys.readouterr().out
    assert Snapshot.objects.filter(key__startswith="statistiques/").count() == len(statistics.INDICATORS)


def test_pages_compute_once_when_no_snapshot_exists_then_read_it(products, client):
    assert not Snapshot.objects.exists()
    response = client.get("/statistiques/")
    assert response.status_code == 200
    assert Snapshot.objects.filter(key__startswith="statistiques/").count() == len(statistics.INDICATORS)
    computed = Snapshot.objects.get(key="statistiques/produits-par-phase").computed_at
    client.get("/statistiques/produits-par-phase/")
    assert Snapshot.objects.get(key="statistiques/produits-par-phase").computed_at == computed


def test_indicator_page_shows_the_chart_the_table_the_definition_the_date_and_the_licence(products, client):
    with freeze_time(NOW):
        statistics.refresh()
    html = client.get("/statistiques/produits-par-phase/").content.decode()
    assert 'role="img"' in html
    assert 'aria-labelledby="graphique-produits-par-phase-titre graphique-produits-par-phase-description"' in html
    assert '<title id="graphique-produits-par-phase-titre">Produits par phase</title>' in html
    assert "<table>" in html and '<th scope="row">construction</th>' in html
    assert BY_KEY["produits-par-phase"].definition in html
    assert "15 juin 2026" in html
    assert "Etalab 2.0" in html
    assert "/statistiques/produits-par-phase.csv" in html and "/statistiques/produits-par-phase.json" in html
    assert "<script" not in html.split('<svg class="statistics-chart__svg"')[1].split("</svg>")[0]
    assert " style=" not in html.split('<svg class="statistics-chart__svg"')[1].split("</svg>")[0]


def test_every_indicator_page_renders_with_and_without_data(client):
    for indicator in statistics.INDICATORS:
        assert client.get(f"/statistiques/{indicator.key}/").status_code == 200


def test_unknown_indicator_is_a_404(client):
    assert client.get("/statistiques/inconnu/").status_code == 404
    assert client.get("/statistiques/inconnu.csv").status_code == 404
    assert client.get("/statistiques/inconnu.json").status_code == 404


def test_csv_and_json_downloads(products, client, settings):
    with freeze_time(NOW):
        statistics.refresh()
    response = client.get("/statistiques/produits-par-phase.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="statistiques-produits-par-phase-2026-06-15.csv"' in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[:3] == ["Phase actuelle,Produits", "investigation,1", "construction,2"]
    assert "Total,4" in lines
    assert any("Etalab 2.0" in line for line in lines)
    document = client.get("/statistiques/produits-par-phase.json").json()
    assert document["licence"].endswith("(Etalab 2.0)")
    assert document["colonnes"] == ["Phase actuelle", "Produits"]
    assert document["lignes"][1] == {"libelle": "construction", "valeurs": [2]}
    assert document["calcule_le"] == "2026-06-15T14:00:00+02:00"


def test_suppressed_cells_read_the_same_on_the_page_and_in_the_downloads(members, client, settings):
    settings.STATS_SUPPRESSION_THRESHOLD = 5
    statistics.refresh(now=NOW)
    html = client.get("/statistiques/nouveaux-membres/").content.decode()
    assert "&lt; 5" in html
    assert "2020,< 5,< 5,< 5" in client.get("/statistiques/nouveaux-membres.csv").content.decode("utf-8-sig")
    document = json.loads(client.get("/statistiques/nouveaux-membres.json").content)
    assert document["seuil_de_secret"] == 5
    assert document["lignes"][0] == {"libelle": "2020", "valeurs": ["< 5", "< 5", "< 5"]}


def test_timezone_of_the_date_computed(products):
    snapshot = statistics.refresh(now=NOW)[0]
    assert timezone.localtime(snapshot.computed_at).hour == 14
