"""Missions, self-service (#14): add, change, extend, end and delete a member's missions.

Who may is `registry.perms` (`can_add_mission`, `can_edit_mission`, `can_delete_mission`): the views and the API
check it before calling these functions. The rules on the values are here, once, for pages and API alike; each
raises Django's `ValidationError` with the field it is about (`start`, `end`, `status`, `employer`, `products`):

- the end is on or after the start;
- a mission whose status is not « agent public » (`admin`) ends at most `MISSION_MAX_MONTHS_AHEAD` months after
  today (and so has an end), unless the author is Incubator staff, an administrator or in a team of an incubator of
  the mission's products (`perms.mission_limit_applies`). On a change, the limit is checked only when the end or the
  status changes: an imported mission that already ends later can still have its products corrected;
- its products exist and are validated by their incubator, except a product awaiting validation that the member
  is already on, or joins (`joining`: the first mission of a member created with a new product);
- missions may overlap: parallel missions are real, and "active" is computed per mission.

Every change writes a public journal row that never holds the employer, and e-mails the member, unless the member
made the change themself, has no account, or their account is not active yet (a member awaiting validation).
"""

import datetime
from collections.abc import Sequence

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from incubateur.core import journal, notifications
from incubateur.core.models import Visibility
from incubateur.core.text import date_fr
from incubateur.registry import perms
from incubateur.registry.enums import MissionStatus, ReviewState
from incubateur.registry.models import Member, Mission, MissionProduct, Product

# The one-click extension proposes this many months more (capped by the limit when it applies).
EXTENSION_MONTHS = 3
EMPLOYER_MAX_LENGTH = 300
NOTIFICATION_KIND = "registry.mission"
LABELS = {"start": "début", "end": "fin", "status": "statut", "employer": "employeur", "products": "produits"}


# --- Rules ----------------------------------------------------------------------------------------------------


def latest_end(today: datetime.date | None = None) -> datetime.date:
    """The latest end a member held to the limit may set: `MISSION_MAX_MONTHS_AHEAD` months after today."""
    return (today or timezone.localdate()) + relativedelta(months=settings.MISSION_MAX_MONTHS_AHEAD)


def date_errors(
    *,
    start: datetime.date,
    end: datetime.date | None,
    status: str,
    limit_applies: bool,
    today: datetime.date | None = None,
) -> dict[str, list[str]]:
    """The date rules: the errors by field (empty when the dates are fine)."""
    if end is not None and end < start:
        return {"end": [f"La fin ne peut pas précéder le début de la mission ({date_fr(start)})."]}
    if limit_applies and status != MissionStatus.ADMIN:
        limit = latest_end(today)
        months = settings.MISSION_MAX_MONTHS_AHEAD
        if end is None:
            return {
                "end": [
                    f"Indiquez une date de fin : hors agents publics, une mission se termine au plus tard "
                    f"{months} mois après aujourd'hui (le {date_fr(limit)}). Elle pourra être prolongée ensuite."
                ]
            }
        if end > limit:
            return {
                "end": [
                    f"Au plus tard le {date_fr(limit)} : hors agents publics, une mission se prolonge de {months} "
                    f"mois au plus à la fois. L'équipe de l'incubateur peut aller au-delà."
                ]
            }
    return {}


def _value_errors(*, status: str, employer: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if status not in MissionStatus.values:
        errors["status"] = ["Choisissez un statut : agent public, indépendant ou prestataire."]
    if len(employer) > EMPLOYER_MAX_LENGTH:
        errors["employer"] = [f"L'employeur tient en {EMPLOYER_MAX_LENGTH} caractères au plus."]
    return errors


def _product_errors(
    *, member: Member, products: Sequence[Product], joining: Product | None = None
) -> dict[str, list[str]]:
    """Each product is validated by its incubator, or awaits validation and the member is on it or joins it."""
    pending = [p for p in products if p.review_state != ReviewState.VALIDATED and p != joining]
    if not pending:
        return {}
    already_on = set()
    if member.pk is not None:
        already_on = set(
            MissionProduct.objects.filter(
                mission__member=member, product__in=pending, product__review_state=ReviewState.PENDING
            ).values_list("product_id", flat=True)
        )
    refused = [p for p in pending if p.pk not in already_on]
    if not refused:
        return {}
    names = ", ".join(f"« {p.name} »" for p in refused)
    return {"products": [f"Produit non validé par son incubateur : {names}."]}


def _check(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(
            {field: [ValidationError(message) for message in messages] for field, messages in errors.items()}
        )


def proposed_extension(user, mission: Mission, today: datetime.date | None = None) -> datetime.date | None:
    """The one-click extension's new end: `EXTENSION_MONTHS` months after the current end (after today for a mission
    already ended), capped by the limit when it applies to `user`; None when the mission cannot be extended this way
    (it has no end, or already ends at the limit)."""
    if mission.end is None:
        return None
    today = today or timezone.localdate()
    proposal = max(mission.end, today) + relativedelta(months=EXTENSION_MONTHS)
    if mission.status != MissionStatus.ADMIN and perms.mission_limit_applies(user, mission):
        proposal = min(proposal, latest_end(today))
    return proposal if proposal > mission.end else None


# --- Journal and e-mail ---------------------------------------------------------------------------------------


def _period(start: datetime.date, end: datetime.date | None) -> str:
    return f"du {date_fr(start)} au {date_fr(end)}" if end else f"à partir du {date_fr(start)}, sans date de fin"


def _end_phrase(old: datetime.date | None, new: datetime.date | None) -> str:
    if new is None:
        return "désormais sans date de fin"
    if old is None or new > old:
        return f"prolongée jusqu'au {date_fr(new)}"
    return f"raccourcie : elle se termine le {date_fr(new)}"


def _data(mission: Mission, products: Sequence[Product], **more) -> dict:
    """The journal row's data: public, like the row (never the employer)."""
    return {
        "username": mission.member.username,
        "mission": mission.pk,
        "start": mission.start.isoformat(),
        "end": mission.end.isoformat() if mission.end else None,
        "status": mission.status,
        "products": [p.ghid for p in products],
        **more,
    }


def _announce(*, member: Member, by, subject: str, sentence: str) -> None:
    """E-mail the member about a change of their missions, unless they made it, have no account or an inactive one."""
    account = member.user
    if account is None or not account.is_active or not account.email:
        return
    if by is not None and getattr(by, "pk", None) == account.pk:
        return
    author = getattr(by, "display_name", "") or "L'équipe de l'Incubateur"
    page = settings.BASE_URL + reverse("registry:member_detail", args=[member.username])
    notifications.notify(
        kind=NOTIFICATION_KIND,
        subject=subject,
        body=(
            f"Bonjour {member.fullname},\n\n"
            f"{author} a modifié vos missions : {sentence}.\n\n"
            f"Vos missions, et les boutons pour les prolonger ou les corriger : {page}\n\n"
            "Si ce changement est une erreur, vous pouvez le corriger vous-même depuis cette page ; votre compte "
            "reste ouvert même quand vos missions sont terminées.\n"
        ),
        emails=[account.email],
    )


def _record(*, by, action: str, message: str, obj, data: dict) -> None:
    journal.record(actor=by, action=action, message=message, visibility=Visibility.PUBLIC, obj=obj, data=data)


def _products_of(mission: Mission) -> list[Product]:
    return [link.product for link in MissionProduct.objects.filter(mission=mission).select_related("product")]


def _set_products(mission: Mission, products: Sequence[Product]) -> None:
    # One row at a time (a mission names a few products): each save bumps the registry's cache stamp.
    MissionProduct.objects.filter(mission=mission).delete()
    for order, product in enumerate(products):
        MissionProduct.objects.create(mission=mission, product=product, order=order)


def _unique(products: Sequence[Product]) -> list[Product]:
    seen: set[int] = set()
    return [p for p in products if not (p.pk in seen or seen.add(p.pk))]


# --- Use cases ------------------------------------------------------------------------------------------------


@transaction.atomic
def mission_add(
    *,
    member: Member,
    by,
    start: datetime.date,
    end: datetime.date | None,
    status: str,
    employer: str = "",
    products: Sequence[Product] = (),
    joining: Product | None = None,
) -> Mission:
    """Add a mission to `member` (overlapping ones are fine). `joining`: a product awaiting validation that the
    member joins (accepted although not validated yet)."""
    products = _unique(products)
    employer = employer.strip()
    limit_applies = perms.mission_limit_applies(by, products=products)
    _check(
        {
            **_value_errors(status=status, employer=employer),
            **date_errors(start=start, end=end, status=status, limit_applies=limit_applies),
            **_product_errors(member=member, products=products, joining=joining),
        }
    )
    # Orders count from 0, as the importer numbers a fiche's missions (a gap would make the next import renumber it).
    last = member.missions.aggregate(last=Max("order"))["last"] if member.pk else None
    order = 0 if last is None else last + 1
    mission = Mission.objects.create(
        member=member, start=start, end=end, status=status, employer=employer, order=order
    )
    _set_products(mission, products)
    names = f" ({', '.join(p.name for p in products)})" if products else ""
    _record(
        by=by,
        action="registry.mission_added",
        message=f"Mission de {member.fullname} ajoutée : {_period(start, end)}{names}",
        obj=mission,
        data=_data(mission, products),
    )
    _announce(
        member=member,
        by=by,
        subject="Une mission a été ajoutée à votre fiche",
        sentence=f"une mission {_period(start, end)}{names} a été ajoutée",
    )
    return mission


@transaction.atomic
def mission_update(
    *,
    mission: Mission,
    by,
    start: datetime.date,
    end: datetime.date | None,
    status: str,
    employer: str,
    products: Sequence[Product],
) -> list[str]:
    """Change a mission: extend or shorten it, change its start, status, employer or products. Returns the names
    of the fields that changed (nothing is written when none did)."""
    mission = Mission.objects.select_for_update(of=("self",)).select_related("member__user").get(pk=mission.pk)
    member = mission.member
    products = _unique(products)
    employer = employer.strip()
    before = _products_of(mission)
    changed = [
        name
        for name, old, new in (
            ("start", mission.start, start),
            ("end", mission.end, end),
            ("status", mission.status, status),
            ("employer", mission.employer, employer),
        )
        if old != new
    ]
    if [p.pk for p in before] != [p.pk for p in products]:
        changed.append("products")
    if not changed:
        return []
    limit_applies = ("end" in changed or "status" in changed) and perms.mission_limit_applies(by, products=products)
    _check(
        {
            **_value_errors(status=status, employer=employer),
            **date_errors(start=start, end=end, status=status, limit_applies=limit_applies),
            **_product_errors(member=member, products=products),
        }
    )
    old_end = mission.end
    mission.start, mission.end, mission.status, mission.employer = start, end, status, employer
    fields = [name for name in changed if name != "products"]
    if fields:
        mission.save(update_fields=fields)
    if "products" in changed:
        _set_products(mission, products)
    if changed == ["end"]:
        what = _end_phrase(old_end, end)
        message = f"Mission de {member.fullname} {what}"
    else:
        what = f"modifiée ({', '.join(LABELS[name] for name in changed)})"
        message = f"Mission de {member.fullname} {what} : {_period(start, end)}"
    _record(
        by=by,
        action="registry.mission_updated",
        message=message,
        obj=mission,
        data=_data(mission, products, fields=changed),
    )
    _announce(member=member, by=by, subject="Votre mission a été modifiée", sentence=f"une mission a été {what}")
    return changed


@transaction.atomic
def mission_extend(*, mission: Mission, by, end: datetime.date) -> Mission:
    """« Prolonger en un clic »: move the end of a mission to `end`, later than its current end (an ended mission
    too: an expired member extends their own mission)."""
    mission = Mission.objects.select_for_update(of=("self",)).select_related("member__user").get(pk=mission.pk)
    if mission.end is None:
        _check({"end": ["Cette mission n'a pas de date de fin : il n'y a rien à prolonger."]})
    if end <= mission.end:
        _check({"end": [f"La nouvelle fin doit suivre la fin actuelle ({date_fr(mission.end)})."]})
    limit_applies = perms.mission_limit_applies(by, mission)
    _check(date_errors(start=mission.start, end=end, status=mission.status, limit_applies=limit_applies))
    mission.end = end
    mission.save(update_fields=["end"])
    member = mission.member
    _record(
        by=by,
        action="registry.mission_extended",
        message=f"Mission de {member.fullname} prolongée jusqu'au {date_fr(end)}",
        obj=mission,
        data=_data(mission, _products_of(mission)),
    )
    _announce(
        member=member,
        by=by,
        subject="Votre mission a été prolongée",
        sentence=f"une mission a été prolongée jusqu'au {date_fr(end)}",
    )
    return mission


@transaction.atomic
def mission_end(*, mission: Mission, by, end: datetime.date | None = None) -> Mission:
    """End a mission today, or on `end`: not before its start, and not after its current end (to move the end
    later, extend it)."""
    mission = Mission.objects.select_for_update(of=("self",)).select_related("member__user").get(pk=mission.pk)
    end = end or timezone.localdate()
    if end < mission.start:
        _check({"end": [f"La fin ne peut pas précéder le début de la mission ({date_fr(mission.start)})."]})
    if mission.end is not None and end > mission.end:
        _check({"end": [f"La mission se termine déjà le {date_fr(mission.end)} : pour aller au-delà, prolongez-la."]})
    mission.end = end
    mission.save(update_fields=["end"])
    member = mission.member
    when = "terminée le" if end <= timezone.localdate() else "se terminera le"
    _record(
        by=by,
        action="registry.mission_ended",
        message=f"Mission de {member.fullname} {when} {date_fr(end)}",
        obj=mission,
        data=_data(mission, _products_of(mission)),
    )
    _announce(
        member=member,
        by=by,
        subject="Votre mission a été terminée",
        sentence=f"une mission {when} {date_fr(end)}",
    )
    return mission


@transaction.atomic
def mission_delete(*, mission: Mission, by) -> None:
    """Delete a mission entered by error (`perms.can_delete_mission` says which: not started yet, or added on the
    platform in the last days; administrators any). The journal keeps its dates, never its employer."""
    mission = Mission.objects.select_for_update(of=("self",)).select_related("member__user").get(pk=mission.pk)
    member = mission.member
    products = _products_of(mission)
    data = _data(mission, products)
    period = _period(mission.start, mission.end)
    mission.delete()
    _record(
        by=by,
        action="registry.mission_deleted",
        message=f"Mission de {member.fullname} ({period}) supprimée : saisie par erreur",
        obj=member,
        data=data,
    )
    _announce(
        member=member,
        by=by,
        subject="Une mission a été retirée de votre fiche",
        sentence=f"la mission {period}, saisie par erreur, a été supprimée",
    )
