"""Who may see and tick the onboarding and offboarding checklists: one function per decision.

- the member sees their own checklists and ticks their own items, except the Pôle Animation's (`by: animation`);
- the Pôle Animation's members (a current position in the pole `settings.COMMUNITY_ANIMATION_POLE`) tick any item
  of anyone and follow everyone's progress;
- Incubator staff outside that pole follow everyone's progress, read-only;
- administrators may do everything.
"""

from django.conf import settings

from incubateur.community.checklists import Item
from incubateur.core.roles import is_admin, is_member, is_staff
from incubateur.organisation.models import Position
from incubateur.registry.models import Member


def is_animation(user) -> bool:
    """A current position in the Pôle Animation (cached on the user object for the request)."""
    if not is_member(user):
        return False
    cached = getattr(user, "_community_is_animation", None)
    if cached is None:
        cached = Position.objects.current().filter(pole__slug=settings.COMMUNITY_ANIMATION_POLE, person=user).exists()
        user._community_is_animation = cached
    return cached


def _is_own(user, member: Member) -> bool:
    return member.user_id is not None and member.user_id == user.pk


def can_follow_checklists(user) -> bool:
    """The overview of everyone's progress: the Pôle Animation, Incubator staff (read-only), administrators."""
    return is_staff(user) or is_animation(user)


def can_see_checklist(user, member: Member) -> bool:
    if not is_member(user):
        return False
    return _is_own(user, member) or can_follow_checklists(user)


def can_tick(user, member: Member, item: Item) -> bool:
    """Tick or untick `item` of `member`'s checklist."""
    if not is_member(user):
        return False
    if is_admin(user) or is_animation(user):
        return True
    return _is_own(user, member) and not item.animation_only
