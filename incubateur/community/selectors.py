"""Reads of the community's lifecycle: which checklist a member is on, their progress, the Pôle Animation's
overview of newcomers and people leaving, and the end of a member's last mission."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from incubateur.community import checklists
from incubateur.community.checklists import Item
from incubateur.community.models import Checklist, ChecklistTick
from incubateur.registry.enums import ReviewState
from incubateur.registry.models import Member, Mission


def open_ended_missions() -> QuerySet:
    """Missions of the member `OuterRef("pk")` without an end (the member is not leaving)."""
    return Mission.objects.filter(member=OuterRef("pk"), end__isnull=True)


def with_last_end(members: QuerySet) -> QuerySet:
    """Annotate `last_end`: the end of the member's last mission, None when one has no end (or none exists)."""
    return members.annotate(last_end=Max("missions__end"), open_ended=Exists(open_ended_missions()))


def last_end(member: Member) -> datetime.date | None:
    """The end of `member`'s last mission; None when a mission has no end, or there is none."""
    missions = list(member.missions.values_list("end", flat=True))
    if not missions or None in missions:
        return None
    return max(missions)


def current_checklist(member: Member, today: datetime.date | None = None) -> str:
    """Onboarding while a mission runs or is to come (or none exists yet); offboarding once the last one ended."""
    today = today or timezone.localdate()
    end = last_end(member)
    return Checklist.OFFBOARDING if end is not None and end < today else Checklist.ONBOARDING


@dataclass
class Step:
    item: Item
    tick: ChecklistTick | None
    can_tick: bool = False


@dataclass
class Progress:
    checklist: str
    steps: list[Step] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for step in self.steps if step.tick is not None)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def progress(member: Member, checklist: str, ticks: list[ChecklistTick] | None = None) -> Progress:
    """`member`'s progress on `checklist`: its items for the member's domaine, each with its tick (if any).
    `ticks`: the member's ticks already read (the overview reads a page's ticks in one query)."""
    if ticks is None:
        ticks = list(ChecklistTick.objects.filter(member=member, checklist=checklist).select_related("done_by"))
    by_key = {tick.item: tick for tick in ticks if tick.checklist == checklist}
    return Progress(
        checklist=checklist,
        steps=[Step(item=item, tick=by_key.get(item.key)) for item in checklists.items_for(checklist, member.domaine)],
    )


def following(checklist: str, *, today: datetime.date | None = None) -> QuerySet:
    """The members the Pôle Animation follows on `checklist`: newcomers (first mission started at most
    COMMUNITY_NEWCOMER_DAYS ago, or to come, and a mission not over) or people leaving (every mission ended, the last
    at most COMMUNITY_LEAVER_DAYS ago). Annotated with `first_start` and `last_end`; validated fiches only."""
    today = today or timezone.localdate()
    members = with_last_end(Member.objects.filter(review_state=ReviewState.VALIDATED)).annotate(
        first_start=Min("missions__start")
    )
    if checklist == Checklist.OFFBOARDING:
        since = today - datetime.timedelta(days=settings.COMMUNITY_LEAVER_DAYS)
        return members.filter(open_ended=False, last_end__lt=today, last_end__gte=since).order_by("-last_end", "pk")
    since = today - datetime.timedelta(days=settings.COMMUNITY_NEWCOMER_DAYS)
    return (
        members.filter(first_start__gte=since)
        .filter(Q(open_ended=True) | Q(last_end__gte=today))
        .order_by("-first_start", "pk")
    )


def ticks_of(members: list[Member], checklist: str) -> dict[int, list[ChecklistTick]]:
    """The ticks of `members` on `checklist`, by member id: one query."""
    result: dict[int, list[ChecklistTick]] = {member.pk: [] for member in members}
    for tick in ChecklistTick.objects.filter(member__in=members, checklist=checklist):
        result[tick.member_id].append(tick)
    return result
