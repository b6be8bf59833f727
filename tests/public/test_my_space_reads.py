"""« Mon espace » reads less (#19): the undecided reviews counted in the database, no read of the offers without a
team, only the two desk tabs shown (counted, and their first rows read). The page must stay exactly what the
long reads give, for every role: each test renders the page both ways and compares them."""

import datetime
import re

import pytest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from freezegun import freeze_time

from incubateur.core.roles import is_staff
from incubateur.guichet.models import OfferStatus
from incubateur.guichet.selectors import desk as desk_selectors
from incubateur.guichet.selectors import requester as requester_selectors
from incubateur.organisation.models import Portfolio
from incubateur.portfolios import selectors as portfolio_selectors
from incubateur.programmes.selectors import public as programme_selectors
from incubateur.public.selectors import PREVIEW, Block, MySpace, StaffBlocks
from incubateur.registry import perms
from incubateur.registry.enums import PhaseName, ReviewDecision
from incubateur.registry.models import Member, Product, Review
from incubateur.registry.services import joining
from tests.factories import UserFactory, person
from tests.guichet.factories import propose
from tests.organisation.helpers import justice_product
from tests.programmes.factories import fast_call, submitted
from tests.public.test_my_space import ask, overdue
from tests.registry.factories import IncubatorFactory, MemberFactory, TeamFactory, team_member
from tests.registry.test_pages import main_html

URL = "/mon-espace/"


def long_reads(user) -> MySpace:
    """« Mon espace » read the long way, as before: every review the person may see read and its undecided ones
    counted in Python, the offers read even without a team, the desk's five tab counts and a whole first page."""
    products = list(Product.objects.with_active_member(user).with_current_phase().order_by("name"))
    for product in products:
        product.phase_label = PhaseName(product.current_phase).label if product.current_phase in PhaseName else ""
    offers = desk_selectors.offers_page(
        user,
        view=desk_selectors.OFFERS_MY_TEAMS,
        status=OfferStatus.PENDING,
        team_products={product.pk for product in products},
        page_number=1,
    )
    staff = None
    if is_staff(user):
        now = timezone.now()
        scope = desk_selectors.desk_scope(user, desk_selectors.DeskFilters())
        counts = desk_selectors.tab_counts(scope, user=user, pole=None, now=now)

        def tab(name):
            rows = desk_selectors.in_tab(scope, name, user=user, pole=None, now=now)
            page = desk_selectors.desk_page(rows, name, None)
            return Block(rows=list(page.object_list[:PREVIEW]), count=desk_selectors.count_label(counts[name]))

        staff = StaffBlocks(to_handle=tab(desk_selectors.MINE), overdue=tab(desk_selectors.OVERDUE))
        mine = list(Portfolio.objects.filter(manager=user).order_by("order", "label"))
        if mine:
            staff.portfolios = mine
            staff.totals = portfolio_selectors.sum_totals(portfolio_selectors.boards(mine))
    return MySpace(
        member=Member.objects.filter(user=user).first(),
        products=products,
        requests=Block.of(requester_selectors.my_tickets_page(user, 1)),
        applications=Block.of(programme_selectors.my_applications_page(user, 1)),
        offers=Block.of(offers),
        staff=staff,
        reviews_waiting=sum(1 for review in perms.reviews_for(user) if not review.decision),
    )


def without_token(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def assert_same_page(client, user) -> str:
    """The page served equals the page the long reads give; returns its <main>."""
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    expected = render_to_string("public/my_space.html", {"space": long_reads(user)}, request=response.wsgi_request)
    served = main_html(response)
    assert without_token(served) == without_token(expected[expected.index("<main") : expected.index("</main>")])
    return served


@pytest.fixture
def world(organisation):
    """An incubator with a product, its team member, a member of the incubator's team (who reviews), staff with
    more requests to handle than « Mon espace » lists, an administrator and an outsider."""
    incubator = IncubatorFactory(ghid="incubateur-sud", title="Incubateur du Sud")
    product = justice_product(ghid="rdv.mjd", name="RDV Justice", incubator=incubator)
    teammate = team_member(product, username="alice.equipe", first_name="Alice", last_name="Équipe")
    reviewer = UserFactory(username="rose.incub", first_name="Rose", last_name="Incub")
    team = TeamFactory(ghid="equipe-sud", name="Équipe du Sud", incubator=incubator)
    MemberFactory(username="rose.incub", fullname="Rose Incub", user=reviewer).teams.add(team)
    elsewhere = UserFactory(username="omar.ailleurs")
    MemberFactory(username="omar.ailleurs", user=elsewhere).teams.add(TeamFactory(ghid="equipe-nord"))
    return {
        "product": product,
        "teammate": teammate,
        "reviewer": reviewer,
        "elsewhere": elsewhere,
        "outsider": UserFactory(username="olga.dehors"),
        "staff": person("pierre.boussole"),
        "other staff": person("antoine.rivage"),
        "admin": UserFactory(admin=True),
    }


def newcomer(world, n: int) -> Review:
    member = joining.member_propose(
        by=world["teammate"],
        product=world["product"],
        first_name="Jeanne",
        last_name=f"Nouvelle{n}",
        email=f"jeanne.nouvelle{n}@example.org",
        domaine="Design",
        role="Designer",
        start=timezone.localdate(),
        end=timezone.localdate() + datetime.timedelta(days=90),
        status="independent",
    )
    return Review.objects.get(member=member)


def busy(world) -> None:
    """Something in every block: requests (more than PREVIEW assigned to staff, some overdue), an application, an
    offer, reviews waiting and one decided."""
    for n in range(PREVIEW + 2):
        ticket = ask(world["teammate"], world["product"], subject=f"Demande {n}")
        if n % 2:
            overdue(ticket)
    submitted(fast_call(), world["product"], world["teammate"])
    propose(world["other staff"], world["product"])
    newcomer(world, 1)
    newcomer(world, 2)
    joining.review_decide(review=newcomer(world, 3), by=world["reviewer"], decision=ReviewDecision.VALIDATE, reason="")


WHO = ["teammate", "reviewer", "elsewhere", "outsider", "staff", "other staff", "admin"]


@pytest.mark.parametrize("who", WHO)
def test_the_page_is_what_the_long_reads_give(client, world, who):
    busy(world)
    assert_same_page(client, world[who])


@pytest.mark.parametrize("who", WHO)
def test_the_page_is_what_the_long_reads_give_with_nothing_in_it(client, world, who):
    assert_same_page(client, world[who])


@pytest.mark.parametrize("who", WHO)
def test_the_waiting_reviews_are_counted_as_the_queue_lists_them(world, who):
    """Before and after the delay (escalated or only past it: staff then see them too), decided ones left out."""
    user = world[who]

    def queue() -> int:
        return sum(1 for review in perms.reviews_for(user) if not review.decision)

    assert perms.waiting_review_count(user) == queue() == 0
    busy(world)
    assert perms.waiting_review_count(user) == queue()
    later = timezone.now() + datetime.timedelta(days=5)
    with freeze_time(later):
        assert perms.waiting_review_count(user) == queue()  # past the delay, not escalated yet
        assert joining.reviews_escalate() == 2
        assert perms.waiting_review_count(user) == queue()
    assert perms.waiting_review_count(user) == queue()  # escalated: counted for staff whatever the date


def test_a_review_shows_and_goes_at_once(client, world):
    client.force_login(world["reviewer"])
    assert "votre validation" not in main_html(client.get(URL))
    review = newcomer(world, 1)
    assert "1 arrivée ou produit attend votre validation" in assert_same_page(client, world["reviewer"])
    newcomer(world, 2)
    assert "2 arrivées ou produits attendent votre validation" in assert_same_page(client, world["reviewer"])
    joining.review_decide(review=review, by=world["reviewer"], decision=ReviewDecision.VALIDATE, reason="")
    assert "1 arrivée ou produit attend votre validation" in assert_same_page(client, world["reviewer"])
    # Never someone else's: the teammate who proposed them and another incubator's team see no link.
    for who in ("teammate", "elsewhere"):
        assert "votre validation" not in assert_same_page(client, world[who])


def test_staff_see_the_first_requests_of_their_two_tabs_and_their_full_counts(client, world):
    busy(world)
    html = assert_same_page(client, world["staff"])
    assert "À traiter (7)" in html and "En retard (3)" in html
    assert html.count("réponse attendue avant le") == PREVIEW + 3  # 5 rows to handle, the 3 overdue


def test_an_offer_appears_once_the_person_joins_the_team(client, world):
    offer = propose(world["other staff"], world["product"])
    assert escape(offer.topic) not in assert_same_page(client, world["outsider"])
    member = MemberFactory(username="olga.dehors", user=world["outsider"])
    member.missions.create(start=timezone.localdate()).products.add(world["product"])
    assert escape(offer.topic) in assert_same_page(client, world["outsider"])


def test_the_desk_counts_only_the_tabs_asked_for(world):
    busy(world)
    user, now = world["staff"], timezone.now()
    scope = desk_selectors.desk_scope(user, desk_selectors.DeskFilters())
    every = desk_selectors.tab_counts(scope, user=user, pole=None, now=now)
    shown = (desk_selectors.OVERDUE, desk_selectors.MINE)
    assert desk_selectors.tab_counts(scope, user=user, pole=None, now=now, tabs=shown) == {
        tab: every[tab] for tab in (desk_selectors.MINE, desk_selectors.OVERDUE)
    }
    rows = desk_selectors.in_tab(scope, desk_selectors.MINE, user=user, pole=None, now=now)
    first = desk_selectors.desk_page(rows, desk_selectors.MINE, None, per_page=PREVIEW)
    assert first.object_list == desk_selectors.desk_page(rows, desk_selectors.MINE, None).object_list[:PREVIEW]
    assert first.has_next
