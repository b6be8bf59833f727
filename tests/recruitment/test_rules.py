"""The date rules of a post, for any date (Hypothesis), and who may do what (perms.py, one function per decision)."""

import datetime

from hypothesis import given
from hypothesis import strategies as st

from incubateur.organisation.models import Pole
from incubateur.recruitment import perms
from incubateur.recruitment.models import JobPost, add_months
from incubateur.recruitment.services import default_dates
from tests.factories import UserFactory
from tests.recruitment.helpers import make_post, product_team
from tests.registry.factories import MemberFactory, TeamFactory

dates = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2100, 12, 31))


@given(dates, st.integers(min_value=0, max_value=24))
def test_add_months_lands_in_the_right_month_on_the_same_day_or_the_month_s_last(day, months):
    later = add_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day == day.day or (later.day < day.day and (later + datetime.timedelta(days=1)).day == 1)


@given(dates)
def test_default_dates_are_in_order(day):
    community, public, unpublish = default_dates(day)
    assert public == community + datetime.timedelta(days=7)
    assert unpublish == add_months(public, 2) and unpublish > public


def test_who_may_do_what():
    product, author = product_team()
    staff, admin, outsider = UserFactory(staff=True), UserFactory(admin=True), UserFactory()
    coach = UserFactory(username="coach.equipe")
    MemberFactory(username="coach.equipe", user=coach).teams.add(TeamFactory(incubator=product.principal_incubator))
    pole = Pole.objects.create(slug="animation", name="Animation")

    assert perms.can_post_for_product(author, product) and perms.can_post_for_product(staff, product)
    assert not perms.can_post_for_product(outsider, product) and not perms.can_post_for_product(coach, product)
    assert perms.can_post_for_pole(staff, pole) and perms.can_post_for_pole(admin, pole)
    assert not perms.can_post_for_pole(author, pole)
    assert not perms.can_post(outsider) and perms.can_post(author) and perms.can_post(staff)

    post = make_post(by=author, product=product, draft=True)
    for user in (author, coach, staff, admin):
        assert perms.can_edit_post(user, post) and perms.can_see_post(user, post)
    assert not perms.can_edit_post(outsider, post) and not perms.can_see_post(outsider, post)  # a draft
    pole_post = make_post(by=staff, pole=pole, days_to_community=-1)
    assert perms.can_edit_post(admin, pole_post) and not perms.can_edit_post(author, pole_post)
    assert perms.can_see_post(outsider, pole_post) and perms.can_see_in_lists(outsider, pole_post)
    assert not perms.can_see_in_lists(None, pole_post)  # the community window: members only
    assert JobPost.objects.visible_to(None).count() == 0
