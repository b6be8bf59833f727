import datetime

from incubateur.organisation.models import Pole, Position
from incubateur.registry.models import Member
from tests.factories import UserFactory
from tests.registry.factories import MemberFactory, MissionFactory


def animation_user(username: str = "alix.animation"):
    """An account holding a current position in the Pôle Animation (Incubator staff)."""
    pole, _ = Pole.objects.get_or_create(slug="animation", defaults={"name": "Le Pôle Animation et Expertises"})
    user = UserFactory(username=username, staff=True)
    Position.objects.create(pole=pole, person=user, title="Animatrice", start_date=datetime.date(2020, 1, 1))
    return user


def member_with_account(
    username: str,
    *,
    start: datetime.date,
    end: datetime.date | None,
    domaine: str = "Développement",
    products=(),
) -> Member:
    """A member fiche linked to an account, with one mission from `start` to `end` on `products`."""
    user = UserFactory(username=username, email=f"{username}@beta.gouv.fr")
    member = MemberFactory(
        username=username, fullname=f"{username.split('.')[0].title()} Test", user=user, domaine=domaine
    )
    MissionFactory(member=member, start=start, end=end, products=list(products))
    return member
