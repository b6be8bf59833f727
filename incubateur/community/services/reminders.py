"""Reminders before the end of a member's last mission, and what follows it.

For each member whose missions all have an end, the end of the last one (`end`) sets five steps: J-30, J-15 and
J-2 (an e-mail to the member and to the active members of the mission's products, with the link to extend it in
one click), J+1 (the offboarding e-mail, with the link to « Mon parcours ») and J+30 (the member leaves the
incubator teams they were in, journaled). The account is never locked: nothing here touches `is_active`.

Each step is sent once per end: the `Reminder` row (unique member + kind + end) is inserted first, in the same
transaction as the outbox rows; a second worker doing the same at the same time fails on the constraint and sends
nothing. A mission extended (or shortened) has a new end, hence a new cycle.

Catch-up, when the worker was down: only the most recent step due is sent (J-30 and J-15 missed: J-15 only, never
two steps at once), and only within COMMUNITY_REMINDER_CATCHUP_DAYS of its day. That bound is also what keeps the
first run from e-mailing (or removing from teams) every alumnus of the imported registry.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from incubateur.community.models import Reminder, ReminderKind
from incubateur.community.selectors import with_last_end
from incubateur.core import journal, notifications
from incubateur.core.models import Visibility
from incubateur.core.text import date_fr, quantity
from incubateur.registry.enums import ReviewState
from incubateur.registry.models import Member, Mission, Product

# Each step and its day, counted from the end of the last mission.
STEPS: tuple[tuple[str, int], ...] = (
    (ReminderKind.BEFORE_30, -30),
    (ReminderKind.BEFORE_15, -15),
    (ReminderKind.BEFORE_2, -2),
    (ReminderKind.AFTER_1, 1),
    (ReminderKind.AFTER_30, 30),
)


@dataclass
class RemindersReport:
    sent: Counter = field(default_factory=Counter)  # kind → number of members

    @property
    def total(self) -> int:
        return sum(self.sent.values())


def due_step(end: datetime.date, today: datetime.date) -> str | None:
    """The step to send today for a last mission ending on `end`: the most recent step whose day has come, if its
    day is at most COMMUNITY_REMINDER_CATCHUP_DAYS ago; None otherwise."""
    due = None
    for kind, offset in STEPS:
        day = end + datetime.timedelta(days=offset)
        if day <= today:
            due = (kind, day)
    if due is None or (today - due[1]).days > settings.COMMUNITY_REMINDER_CATCHUP_DAYS:
        return None
    return due[0]


def _link(name: str, *args) -> str:
    return settings.BASE_URL + reverse(name, args=args)


def _email_of(member: Member) -> list[str]:
    user = member.user
    return [user.email] if user is not None and user.is_active and user.email else []


def candidates(today: datetime.date):
    """Members whose last mission ended or ends in the window where a step can be due (validated fiches)."""
    first = today - datetime.timedelta(days=STEPS[-1][1] + settings.COMMUNITY_REMINDER_CATCHUP_DAYS)
    last = today - datetime.timedelta(days=STEPS[0][1])
    return (
        with_last_end(Member.objects.filter(review_state=ReviewState.VALIDATED))
        .filter(open_ended=False, last_end__gte=first, last_end__lte=last)
        .select_related("user")
        .order_by("pk")
    )


def send_reminders(*, now: datetime.datetime | None = None) -> RemindersReport:
    """Send what is due today (Europe/Paris). Idempotent; safe with any number of workers at the same time."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = RemindersReport()
    members = list(candidates(today))
    sent = set(
        Reminder.objects.filter(member__in=members).values_list("member_id", "kind", "end")
    )  # one query: what was already sent
    for member in members:
        kind = due_step(member.last_end, today)
        if kind is None or (member.pk, kind, member.last_end) in sent:
            continue
        with transaction.atomic():
            try:
                with transaction.atomic():
                    Reminder.objects.create(member=member, kind=kind, end=member.last_end, sent_at=now)
            except IntegrityError:  # another worker claimed it first: it sends it, not us
                continue
            _send(member=member, kind=kind, end=member.last_end, today=today)
        report.sent[kind] += 1
    return report


def _last_missions(member: Member, end: datetime.date) -> list[Mission]:
    return list(Mission.objects.filter(member=member, end=end).order_by("-start", "-pk"))


def _send(*, member: Member, kind: str, end: datetime.date, today: datetime.date) -> None:
    missions = _last_missions(member, end)
    mission = missions[0]
    extend = _link("registry:mission_extend", member.username, mission.pk)
    checklist = _link("community:my_checklist")
    if kind in (ReminderKind.BEFORE_30, ReminderKind.BEFORE_15, ReminderKind.BEFORE_2):
        _announce_ending(member=member, missions=missions, end=end, today=today, extend=extend)
    elif kind == ReminderKind.AFTER_1:
        notifications.notify(
            kind="community.offboarding",
            subject="Votre mission est terminée : votre parcours de départ",
            body=(
                f"Bonjour {member.fullname},\n\n"
                f"Votre mission s'est terminée le {date_fr(end)}. Merci pour ce que vous avez apporté !\n\n"
                f"Quelques étapes pour bien partir (fiche à jour, passation, accès rendus) :\n{checklist}\n\n"
                f"Votre compte reste ouvert : si votre mission continue, prolongez-la en un clic :\n{extend}\n\n"
                "Une question ? Le guichet de l'Incubateur reste ouvert pour vous.\n"
            ),
            emails=_email_of(member),
        )
    elif kind == ReminderKind.AFTER_30:
        teams = leave_incubator_teams(member=member, end=end)
        if teams:
            notifications.notify(
                kind="community.teams_left",
                subject="Vous avez quitté les équipes d'incubateur",
                body=(
                    f"Bonjour {member.fullname},\n\n"
                    f"Votre dernière mission s'est terminée le {date_fr(end)} : vous ne faites plus partie "
                    f"{'des équipes' if len(teams) > 1 else 'de l’équipe'} {', '.join(t.name for t in teams)}.\n\n"
                    "Votre compte reste ouvert. Si votre mission continue, prolongez-la en un clic :\n"
                    f"{extend}\n"
                ),
                emails=_email_of(member),
            )


def _announce_ending(
    *, member: Member, missions: list[Mission], end: datetime.date, today: datetime.date, extend: str
) -> None:
    delay = "aujourd'hui" if end == today else f"dans {quantity((end - today).days, 'jour')}"
    notifications.notify(
        kind="community.mission_ending",
        subject=f"Votre mission se termine le {date_fr(end)}",
        body=(
            f"Bonjour {member.fullname},\n\n"
            f"Votre mission se termine le {date_fr(end)} ({delay}).\n\n"
            f"Elle continue ? Prolongez-la en un clic :\n{extend}\n\n"
            f"Elle s'arrête ? Votre parcours de départ vous attendra le lendemain :\n"
            f"{_link('community:my_checklist')}\n\n"
            "Votre compte reste ouvert après la fin de votre mission.\n"
        ),
        emails=_email_of(member),
    )
    products = list(Product.objects.filter(missionproduct__mission__in=missions).distinct().order_by("name"))
    if not products:
        return
    on_the_products = Mission.objects.filter(member=OuterRef("pk"), products__in=products, start__lte=today).filter(
        Q(end__isnull=True) | Q(end__gte=today)
    )
    teammates = (
        Member.objects.filter(Exists(on_the_products))
        .exclude(pk=member.pk)
        .filter(user__isnull=False, user__is_active=True)
        .values_list("user__email", flat=True)
    )
    notifications.notify(
        kind="community.mission_ending_team",
        subject=f"La mission de {member.fullname} se termine le {date_fr(end)}",
        body=(
            f"Bonjour,\n\n"
            f"La mission de {member.fullname} sur {', '.join(p.name for p in products)} se termine le "
            f"{date_fr(end)} ({delay}).\n\n"
            f"Elle continue ? Vous pouvez la prolonger en un clic :\n{extend}\n"
        ),
        emails=list(teammates),
    )


def leave_incubator_teams(*, member: Member, end: datetime.date, by=None) -> list:
    """`member` leaves every incubator team they are in (their last mission ended on `end`). Journaled
    (internal); the account stays open. Returns the teams left."""
    with transaction.atomic():
        teams = list(member.teams.order_by("name"))
        if not teams:
            return []
        member.teams.remove(*teams)
        journal.record(
            actor=by,
            action="community.teams_left",
            message=(
                f"{member.fullname} quitte {'les équipes' if len(teams) > 1 else 'l’équipe'} "
                f"{', '.join(t.name for t in teams)} (dernière mission terminée le {date_fr(end)})"
            ),
            visibility=Visibility.INTERNAL,
            obj=member,
            data={"username": member.username, "teams": [t.ghid for t in teams], "end": end.isoformat()},
        )
        return teams
