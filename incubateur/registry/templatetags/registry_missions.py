"""`{% member_missions member missions as view %}`: what the member page shows about missions (#14) for the
person reading it — whether the member is active (a mission runs today: computed per mission, so parallel missions
count), and which buttons to show (`registry.perms`, the same functions as the pages and the API). A fixed number of
queries whatever the number of missions."""

from dataclasses import dataclass, field

from django import template

from incubateur.registry import perms

register = template.Library()


@dataclass
class MemberMissions:
    active: bool
    can_add: bool
    editable: set[int] = field(default_factory=set)
    deletable: set[int] = field(default_factory=set)


@register.simple_tag(takes_context=True)
def member_missions(context, member, missions) -> MemberMissions:
    request = context.get("request")
    user = getattr(request, "user", None)
    missions = list(missions)
    editable = perms.editable_mission_ids(user, missions)
    return MemberMissions(
        active=any(mission.is_running for mission in missions),
        can_add=perms.can_add_mission(user, member),
        editable=editable,
        deletable=perms.deletable_mission_ids(user, missions, editable),
    )
