"""Write use cases of the organisation. Each is atomic and writes public journal rows for what changed."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from incubateur.accounts.services import change_email
from incubateur.core import journal
from incubateur.core.fields import save_changed
from incubateur.core.models import Visibility
from incubateur.core.text import plural, quantity
from incubateur.organisation.loader import OrganisationData
from incubateur.organisation.models import (
    Commitment,
    ContactChannel,
    Department,
    Pole,
    Portfolio,
    Position,
    Reason,
)

User = get_user_model()
PORTFOLIO_POLE = "partenariats"


def portfolio_position_title(portfolio: Portfolio) -> str:
    return f"Responsable de portefeuille : {portfolio.label}"


@dataclass
class LoadReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    ended: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        kinds = ["personnes", "pôles", "portefeuilles", "postes", "contacts", "raisons", "engagements"]
        feminine = {"personnes", "raisons"}
        out = []
        for kind in kinds:
            e = "e" if kind in feminine else ""
            parts = [
                quantity(self.created[kind], f"créé{e}"),
                quantity(self.updated[kind], f"modifié{e}"),
                quantity(self.unchanged[kind], f"inchangé{e}"),
            ]
            if ended := self.ended[kind]:
                parts.append(f"{quantity(ended, f'terminé{e}')} ou {plural(ended, f'retiré{e}')}")
            out.append(f"{kind} : " + ", ".join(parts))
        return out


def _apply(obj, values: dict) -> bool:
    """Set the fields of `obj` that differ from `values` and save only those. True when something changed."""
    return bool(save_changed(obj, values))


def _count(report: LoadReport, kind: str, changed: bool) -> None:
    (report.updated if changed else report.unchanged)[kind] += 1


def _upsert(model, lookup: dict, values: dict, report: LoadReport, kind: str):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        report.created[kind] += 1
        return obj, True
    _count(report, kind, _apply(obj, values))
    return obj, False


def _end_position(position: Position, *, by, today=None) -> None:
    today = today or timezone.localdate()
    end = today - timedelta(days=1)
    position.end_date = end
    position.start_date = min(position.start_date, end)
    position.save(update_fields=["end_date", "start_date"])
    journal.record(
        actor=by,
        action="organisation.position_ended",
        message=f"{position.person.public_name} a quitté {position.pole.name} ({position.title})",
        visibility=Visibility.PUBLIC,
        obj=position.pole,
        data={"person": position.person.username, "pole": position.pole.slug, "title": position.title},
    )


def _start_position(*, pole: Pole, person, title: str, is_lead=False, portfolio=None, order=0, by) -> Position:
    position = Position.objects.create(
        pole=pole, person=person, title=title, is_lead=is_lead, portfolio=portfolio, order=order
    )
    journal.record(
        actor=by,
        action="organisation.position_started",
        message=f"{person.public_name} a rejoint {pole.name} ({title})",
        visibility=Visibility.PUBLIC,
        obj=pole,
        data={"person": person.username, "pole": pole.slug, "title": title},
    )
    return position


def refresh_staff_flags(users) -> None:
    """Incubator staff are the people who hold a position now."""
    today = timezone.localdate()
    ids = {u.pk for u in users}
    holding = set(Position.objects.current(today).filter(person_id__in=ids).values_list("person_id", flat=True))
    User.objects.filter(pk__in=holding, is_incubator_staff=False).update(is_incubator_staff=True)
    User.objects.filter(pk__in=ids - holding, is_incubator_staff=True).update(is_incubator_staff=False)


def _person(username: str, *, first_name: str, last_name: str, email: str | None, report: LoadReport, by=None):
    default_email = email or f"{username}@{settings.MEMBER_EMAIL_DOMAIN}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.by_email(default_email).first()
        if user is not None and user.username and user.username != username:
            raise ValueError(f"L'adresse {default_email} appartient déjà au compte {user.username}.")
    if user is None:
        report.created["personnes"] += 1
        return User.objects.create_user(
            email=default_email, username=username, first_name=first_name, last_name=last_name
        )
    values = {"username": username, "first_name": first_name, "last_name": last_name}
    changed = _apply(user, values)
    if email and email.lower() != user.email.lower():
        # An address changes one way only (journaled, both addresses told, sessions and tokens ended).
        user = change_email(user=user, new_email=email, by=by)
        changed = True
    _count(report, "personnes", changed)
    return user


@transaction.atomic
def organisation_load(*, data: OrganisationData, by=None, source: str = "") -> LoadReport:
    """Make the database say what `data` says. Idempotent: a second run changes nothing."""
    report = LoadReport()
    today = timezone.localdate()
    people = {
        p.username: _person(
            p.username, first_name=p.first_name, last_name=p.last_name, email=p.email, report=report, by=by
        )
        for p in data.people
    }
    touched_users = set(people.values())

    poles = {}
    for order, pole in enumerate(data.poles):
        poles[pole.slug], _ = _upsert(
            Pole,
            {"slug": pole.slug},
            {"name": pole.name, "emoji": pole.emoji, "mission": pole.mission, "note": pole.note, "order": order},
            report,
            "pôles",
        )

    # Positions wanted: (pole, person, portfolio) → (title, lead, order).
    wanted: dict[tuple, tuple] = {}
    fresh: set[int] = set()  # positions started by this load
    for pole in data.poles:
        for order, pos in enumerate(pole.positions):
            wanted[(pole.slug, pos.person, None)] = (pos.title, pos.lead, order)

    for order, item in enumerate(data.portfolios):
        manager = people.get(item.manager) if item.manager else None
        values = {"label": item.label, "ministries": item.ministries, "themes": item.themes, "order": order}
        portfolio = Portfolio.objects.filter(slug=item.slug).first()
        if portfolio is None:
            portfolio = Portfolio.objects.create(slug=item.slug, **values)
            report.created["portefeuilles"] += 1
        else:
            changed = _apply(portfolio, values)
            moved = portfolio.manager_id != (manager.pk if manager else None)
            _count(report, "portefeuilles", changed or moved)
        if portfolio.manager_id != (manager.pk if manager else None):
            # The previous manager's position ends there, before the loop below sees current positions.
            report.ended["postes"] += Position.objects.current(today).filter(portfolio=portfolio).count()
            started = _set_manager(portfolio, manager, by=by)
            if started is not None:
                fresh.add(started.pk)
                report.created["postes"] += 1
        if manager:
            wanted[(PORTFOLIO_POLE, item.manager, item.slug)] = (portfolio_position_title(portfolio), False, order)

    portfolios = {p.slug: p for p in Portfolio.objects.all()}
    current = Position.objects.current(today).select_related("pole", "person", "portfolio")
    seen = set()
    for position in current:
        key = (position.pole.slug, position.person.username, position.portfolio.slug if position.portfolio else None)
        touched_users.add(position.person)
        if position.pk in fresh:
            seen.add(key)
            continue
        if key not in wanted or key in seen:
            _end_position(position, by=by, today=today)
            report.ended["postes"] += 1
            continue
        seen.add(key)
        title, lead, order = wanted[key]
        _count(report, "postes", _apply(position, {"title": title, "is_lead": lead, "order": order}))
    for key, (title, lead, order) in wanted.items():
        if key in seen:
            continue
        pole_slug, username, portfolio_slug = key
        _start_position(
            pole=poles[pole_slug],
            person=people[username],
            title=title,
            is_lead=lead,
            portfolio=portfolios.get(portfolio_slug) if portfolio_slug else None,
            order=order,
            by=by,
        )
        report.created["postes"] += 1

    dep = data.department
    department = Department.objects.first()
    values = {
        "name": dep["name"],
        "short_description": dep["short_description"],
        "description": dep["description"],
        "contact_email": dep["contact_email"],
        "mattermost_channel": dep["mattermost_channel"],
        "mattermost_url": dep["mattermost_url"],
        "recruitment": dep["recruitment"],
        "recruitment_url": dep["recruitment_url"],
        "commitments_intro": data.commitments["intro"],
        "commitments_outro": data.commitments["outro"],
        "fallback_pole": poles.get(dep["fallback_pole"]),
        "operations_lead": people.get(dep["operations_lead"]) if dep["operations_lead"] else None,
    }
    if department is None:
        Department.objects.create(**values)
    else:
        _apply(department, values)

    _sync_list(
        ContactChannel,
        "contacts",
        [
            (
                {"kind": c["kind"], "value": c["value"]},
                {"label": c["label"], "url": c["url"], "pole": poles.get(c["pole"])},
            )
            for c in data.contacts
        ],
        report,
    )
    _sync_list(
        Reason,
        "raisons",
        [({"code": r["code"]}, {"title": r["title"], "detail": r["detail"]}) for r in data.reasons],
        report,
    )
    _sync_list(
        Commitment,
        "engagements",
        [({"title": c["title"]}, {"text": c["text"]}) for c in data.commitments["items"]],
        report,
    )

    refresh_staff_flags(touched_users)
    journal.record(
        actor=by,
        action="organisation.loaded",
        message=f"Organisation chargée{' depuis ' + source if source else ''} : " + " ; ".join(report.lines()),
        visibility=Visibility.INTERNAL,
    )
    return report


def _sync_list(model, kind: str, rows: list[tuple[dict, dict]], report: LoadReport) -> None:
    keep = []
    for order, (lookup, values) in enumerate(rows):
        obj, _ = _upsert(model, lookup, {**values, "order": order}, report, kind)
        keep.append(obj.pk)
    removed, _ = model.objects.exclude(pk__in=keep).delete()
    report.ended[kind] += removed


def _set_manager(portfolio: Portfolio, manager, *, by) -> Position | None:
    """Move a portfolio to `manager`; returns the position it starts for them, if any."""
    previous = portfolio.manager
    started = None
    portfolio.manager = manager
    portfolio.save(update_fields=["manager"])
    for position in Position.objects.current().filter(portfolio=portfolio).select_related("pole", "person"):
        _end_position(position, by=by)
    if manager is not None:
        pole = Pole.objects.filter(slug=PORTFOLIO_POLE).first()
        if pole is not None:
            started = _start_position(
                pole=pole,
                person=manager,
                title=portfolio_position_title(portfolio),
                portfolio=portfolio,
                order=portfolio.order,
                by=by,
            )
        journal.record(
            actor=by,
            action="organisation.portfolio_manager",
            message=f"{manager.public_name} est désormais responsable du portefeuille {portfolio.label}",
            visibility=Visibility.PUBLIC,
            obj=portfolio,
            data={"manager": manager.username, "previous": previous.username if previous else None},
        )
    else:
        journal.record(
            actor=by,
            action="organisation.portfolio_manager",
            message=f"Le portefeuille {portfolio.label} n'a plus de responsable",
            visibility=Visibility.PUBLIC,
            obj=portfolio,
            data={"manager": None, "previous": previous.username if previous else None},
        )
    refresh_staff_flags([u for u in (previous, manager) if u is not None])
    return started


@transaction.atomic
def portfolio_set_manager(*, portfolio: Portfolio, manager, by) -> None:
    """Give a portfolio to another person (or to nobody): their position in the pole moves with it."""
    if portfolio.manager_id == (manager.pk if manager else None):
        return
    _set_manager(portfolio, manager, by=by)


@transaction.atomic
def position_add(*, pole: Pole, person, title: str, is_lead: bool = False, by) -> Position:
    if is_lead:
        Position.objects.current().filter(pole=pole, is_lead=True).update(is_lead=False)
    order = (Position.objects.current().filter(pole=pole).count()) + 1
    position = _start_position(pole=pole, person=person, title=title, is_lead=is_lead, order=order, by=by)
    refresh_staff_flags([person])
    return position


@transaction.atomic
def position_end(*, position: Position, by) -> None:
    if position.portfolio_id:
        raise ValueError("Ce poste suit un portefeuille : changez le responsable du portefeuille.")
    _end_position(position, by=by)
    refresh_staff_flags([position.person])
