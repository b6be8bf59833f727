"""/api/v1/portfolios/<username>/board: a portfolio manager's board through the API; who sees it; query counts."""

import datetime

from django.utils import timezone

from incubateur.portfolios import services
from incubateur.portfolios.models import Committee
from incubateur.registry.models import Event
from tests.factories import person
from tests.organisation.helpers import justice_product
from tests.programmes.helpers import apply, count_api_queries
from tests.registry.factories import OrganisationFactory, ProductFactory
from tests.utils import Caller

# --- Boards ------------------------------------------------------------------------------------------------


def test_a_managers_board_shows_the_overdue_committee(team, call):
    apply(team, call)
    today = timezone.localdate()
    last = today - datetime.timedelta(days=240)  # its last committee, in its public history: the next is overdue
    Event.objects.create(product=team.product, name="committee", date=last)
    justice_product(ghid="jamais.vu", name="Jamais vu")  # no committee known: nothing due, never overdue
    fresh = justice_product(ghid="suivi-recent", name="Suivi récent")
    services.committee_record(
        product=fresh, actor=team.staff, date=today - datetime.timedelta(days=10), decision="poursuite"
    )
    response = Caller(team.manager).get("/portfolios/pierre.boussole/board")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["manager"] == {"username": "pierre.boussole", "fullname": "Pierre Boussole"}
    assert body["today"] == today.isoformat()
    [justice] = body["portfolios"]
    assert (justice["slug"], justice["label"]) == ("justice", "Justice")
    [construction] = justice["phases"]
    assert (construction["phase"], construction["label"], construction["count"]) == ("construction", "construction", 3)
    rows = {row["ghid"]: row for row in construction["products"]}
    overdue = rows["justice-pour-tous"]
    started = today - datetime.timedelta(days=365)
    assert overdue == {
        "ghid": "justice-pour-tous",
        "name": "Justice pour tous",
        "phase": "construction",
        "phase_label": "construction",
        "phase_start": started.isoformat(),
        "months_in_phase": round(365 / 30.44, 1),
        "norm_months": 18,
        "over_norm": False,
        "last_committee": last.isoformat(),
        "next_committee_due": services.add_months(last, 6).isoformat(),
        "committee_known": True,
        "committee_overdue": True,
        "open_requests": 0,
        "pending_offers": 0,
        "running_applications": 1,
    }
    assert rows["suivi-recent"]["committee_overdue"] is False
    never = rows["jamais.vu"]
    assert (never["committee_known"], never["last_committee"], never["next_committee_due"]) == (False, None, None)
    assert never["committee_overdue"] is False
    assert rows["suivi-recent"]["last_committee"] == (today - datetime.timedelta(days=10)).isoformat()
    assert Committee.objects.count() == 1
    totals = {
        "products": 3,
        "committees_overdue": 1,
        "over_norm": 0,
        "open_requests": 0,
        "pending_offers": 0,
        "running_applications": 1,
    }
    assert justice["totals"] == totals and body["totals"] == totals


def test_who_sees_a_board(team):
    url = "/portfolios/pierre.boussole/board"
    for username in ("gael.ivoire", "bastien.d.dolomie", "igor.balise", "aubin.houblon"):
        assert Caller(person(username)).get(url).status_code == 200, username  # pole leads, the direction
    assert Caller(team.admin).get(url).status_code == 200
    assert Caller(team.manager).get(url).status_code == 200
    yasmine = person("yasmine.mimosa")  # another manager, not a lead
    assert Caller(yasmine).get(url).status_code == 404
    own = Caller(yasmine).get("/portfolios/yasmine.mimosa/board")
    assert own.status_code == 200
    assert [p["slug"] for p in own.json()["portfolios"]] == ["travail-insertion-armees"]
    assert own.json()["totals"]["products"] == 0
    for user in (team.staff, team.member, team.outsider):  # staff who is neither, members
        assert Caller(user).get(url).status_code == 404
    assert Caller().get(url).status_code == 401
    assert Caller(team.admin).get("/portfolios/personne.inconnue/board").status_code == 404
    assert Caller(team.admin).get("/portfolios/antoine.rivage/board").status_code == 404  # no portfolio


# --- Query counts -------------------------------------------------------------------------------------------


def test_the_board_costs_the_same_whatever_the_number_of_products(team, call):
    caller = Caller(team.manager)
    one = count_api_queries(caller, "/portfolios/pierre.boussole/board")
    for n in range(4):
        product = justice_product(ghid=f"produit-{n}", name=f"Produit {n}", phase="investigation")
        services.committee_record(
            product=product, actor=team.staff, date=timezone.localdate() - datetime.timedelta(days=n), decision="arret"
        )
    sponsor = OrganisationFactory(ghid="dir-travail", name="Travail", domaine_ministeriel="travail")
    ProductFactory(ghid="travail-produit", phase="construction").productsponsor_set.create(organisation=sponsor)
    apply(team, call)
    body = caller.get("/portfolios/pierre.boussole/board").json()
    assert body["totals"]["products"] == 5
    assert count_api_queries(caller, "/portfolios/pierre.boussole/board") == one
