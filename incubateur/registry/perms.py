"""Who may change what in the registry: one function per decision, used by the views and (through the
context they pass) by the templates. Reading the registry is public: there is no read permission."""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from incubateur.core.roles import is_admin, is_member, is_staff
from incubateur.registry.models import Member, Mission, Product, Team


def can_edit_member(user, member: Member) -> bool:
    """A member edits their own fiche (the account linked through `Member.user`); an administrator edits all."""
    if not is_member(user):
        return False
    if is_admin(user):
        return True
    return member.user_id is not None and member.user_id == user.pk


def can_edit_product(user, product: Product) -> bool:
    """Incubator staff and administrators edit every product; a member edits a product when they are in its
    active team (a mission naming it runs today) or in a team of one of its incubators. One query at most."""
    if not is_member(user):
        return False
    if is_staff(user):
        return True
    today = timezone.localdate()
    on_the_product = Mission.objects.filter(member=OuterRef("pk"), products=product, start__lte=today).filter(
        Q(end__isnull=True) | Q(end__gte=today)
    )
    in_an_incubator_team = Team.objects.filter(members=OuterRef("pk"), incubator__productincubator__product=product)
    return Member.objects.filter(user=user).filter(Exists(on_the_product) | Exists(in_an_incubator_team)).exists()
