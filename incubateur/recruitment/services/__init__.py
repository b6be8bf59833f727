"""Writes on job posts: one typed, keyword-only function per use case, each in a transaction with its journal row
and its notifications (the outbox). `tick()` is the worker's housekeeping hook (WORKER_HOUSEKEEPING_HOOKS)."""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incubateur.core import journal
from incubateur.core.errors import NotAllowed
from incubateur.core.models import Visibility
from incubateur.core.notifications import notify
from incubateur.core.text import date_fr
from incubateur.organisation import cache as organisation_cache
from incubateur.organisation.models import Pole
from incubateur.recruitment import perms
from incubateur.recruitment.models import (
    COMMUNITY_DAYS,
    OPEN_MONTHS,
    OPEN_STATUSES,
    REMIND_DAYS,
    JobPost,
    Kind,
    Status,
    add_months,
)
from incubateur.registry import cache as registry_cache
from incubateur.registry.enums import Domaine
from incubateur.registry.models import Product

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = (
    "title",
    "kind",
    "contracting_body",
    "domaines",
    "technos",
    "junior",
    "contract",
    "place",
    "workplace",
    "description",
    "contacts",
    "apply_url",
    "community_from",
    "public_from",
    "unpublish_on",
)


def _url(post: JobPost) -> str:
    return settings.BASE_URL.rstrip("/") + reverse("recruitment:detail", args=[post.pk])


def _pages_changed() -> None:
    """The product pages and « Qui fait quoi » show open posts: their cached pages must not outlive a change (the
    stamps are written in this transaction: a rollback leaves them as they were)."""
    registry_cache.bump()
    organisation_cache.bump()


def default_dates(community_from: datetime.date, public_from=None, unpublish_on=None):
    public_from = public_from or community_from + datetime.timedelta(days=COMMUNITY_DAYS)
    unpublish_on = unpublish_on or add_months(public_from, OPEN_MONTHS)
    return community_from, public_from, unpublish_on


def _validate(post: JobPost) -> None:
    errors: dict[str, list[str]] = {}
    if post.kind == Kind.MISSION:
        if not post.contracting_body.strip():
            errors.setdefault("contracting_body", []).append(
                "Une mission nomme la structure avec laquelle elle est contractée."
            )
        if post.contract:
            errors.setdefault("contract", []).append(
                "Une mission freelance n'est pas un emploi : elle n'a pas de type de contrat de travail."
            )
    elif not post.contract:
        errors.setdefault("contract", []).append("Indiquez le type de contrat de l'emploi.")
    unknown = [value for value in post.domaines if value not in Domaine.values]
    if unknown:
        errors.setdefault("domaines", []).append(f"Domaine inconnu : {', '.join(map(str, unknown))}.")
    if not isinstance(post.technos, list) or not all(isinstance(t, str) and t.strip() for t in post.technos):
        errors.setdefault("technos", []).append("Une liste de technologies (des mots).")
    if post.public_from < post.community_from:
        errors.setdefault("public_from", []).append(
            "La publication pour tous vient après l'ouverture à la communauté."
        )
    if post.unpublish_on <= post.public_from:
        errors.setdefault("unpublish_on", []).append("La dépublication vient après la publication pour tous.")
    if errors:
        raise ValidationError(errors)
    try:
        post.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


def _clean_values(values: dict) -> dict:
    values = dict(values)
    for key in ("domaines", "technos"):
        if key in values and values[key] is not None:
            values[key] = list(dict.fromkeys(v.strip() if isinstance(v, str) else v for v in values[key]))
    for key in ("title", "contracting_body", "place", "contacts", "apply_url"):
        if isinstance(values.get(key), str):
            values[key] = values[key].strip()
    return values


@transaction.atomic
def post_create(
    *,
    by,
    title: str,
    kind: str,
    description: str,
    community_from: datetime.date,
    product: Product | None = None,
    pole: Pole | None = None,
    contracting_body: str = "",
    domaines: list[str] | None = None,
    technos: list[str] | None = None,
    junior: bool = False,
    contract: str = "",
    place: str = "",
    workplace: str = "",
    contacts: str = "",
    apply_url: str = "",
    public_from: datetime.date | None = None,
    unpublish_on: datetime.date | None = None,
    draft: bool = False,
) -> JobPost:
    """A new post for a product (its active members, staff) or a pole of the Incubator (staff). Not a draft: it
    opens to the community on `community_from` (the worker announces it)."""
    if (product is None) == (pole is None):
        raise ValidationError({"product": ["Choisissez un produit ou un pôle de l'Incubateur (un seul)."]})
    if product is not None and not perms.can_post_for_product(by, product):
        raise NotAllowed("Seule l'équipe du produit publie ses annonces.")
    if pole is not None and not perms.can_post_for_pole(by, pole):
        raise NotAllowed("Seule l'équipe de l'Incubateur publie les annonces de ses pôles.")
    community_from, public_from, unpublish_on = default_dates(community_from, public_from, unpublish_on)
    values = _clean_values(
        dict(
            title=title,
            kind=kind,
            contracting_body=contracting_body,
            domaines=domaines or [],
            technos=technos or [],
            junior=junior,
            contract=contract,
            place=place,
            workplace=workplace,
            description=description,
            contacts=contacts,
            apply_url=apply_url,
            community_from=community_from,
            public_from=public_from,
            unpublish_on=unpublish_on,
        )
    )
    post = JobPost(
        product=product,
        pole=pole,
        author=by,
        status=Status.BROUILLON if draft else Status.COMMUNAUTE,
        **values,
    )
    _validate(post)
    post.save()
    journal.record(
        actor=by,
        action="recruitment.created",
        message=f"Annonce « {post.title} » créée ({post.get_status_display().lower()}).",
        visibility=Visibility.INTERNAL,
        obj=post,
    )
    return post


@transaction.atomic
def post_update(*, post: JobPost, by, publish: bool = False, **changes) -> list[str]:
    """Change a post's fields (`EDITABLE_FIELDS`); `publish` takes a draft out of draft. Returns the changed
    fields' names."""
    post = JobPost.objects.select_for_update().get(pk=post.pk)
    if not perms.can_edit_post(by, post):
        raise NotAllowed("Vous ne pouvez pas modifier cette annonce.")
    if post.status not in (Status.BROUILLON, *OPEN_STATUSES) or post.is_gone():
        raise ValidationError("Cette annonce n'est plus ouverte : elle ne se modifie plus.")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["Champ inconnu."] for name in sorted(unknown)})
    changes = _clean_values(changes)
    changed = [name for name, value in changes.items() if getattr(post, name) != value]
    for name in changed:
        setattr(post, name, changes[name])
    if publish and post.status == Status.BROUILLON:
        post.status = Status.COMMUNAUTE
        changed.append("status")
    if not changed:
        return []
    _validate(post)
    post.updated_at = timezone.now()
    post.save()
    journal.record(
        actor=by,
        action="recruitment.updated",
        message=f"Annonce « {post.title} » modifiée ({', '.join(changed)}).",
        visibility=Visibility.INTERNAL,
        obj=post,
    )
    if post.announced_at is not None:
        _pages_changed()
    return changed


@transaction.atomic
def post_close(*, post: JobPost, by, status: str) -> JobPost:
    """Mark a post filled (`pourvu`) or closed (`ferme`): it leaves every list and feed at once."""
    if status not in (Status.POURVU, Status.FERME):
        raise ValidationError({"status": ["Choisissez « pourvu » ou « fermé »."]})
    post = JobPost.objects.select_for_update().get(pk=post.pk)
    if not perms.can_edit_post(by, post):
        raise NotAllowed("Vous ne pouvez pas fermer cette annonce.")
    if post.status not in (Status.BROUILLON, *OPEN_STATUSES):
        raise ValidationError({"status": ["Cette annonce est déjà fermée."]})
    was_announced = post.announced_at is not None
    post.status = status
    post.closed_at = timezone.now()
    post.save(update_fields=["status", "closed_at"])
    label = "pourvu" if status == Status.POURVU else "fermé"
    journal.record(
        actor=by,
        action="recruitment.closed",
        message=f"Le poste « {post.title} » ({post.owner_name}) est {label}.",
        # A post never shown to anyone stays internal; one that was announced is public knowledge.
        visibility=Visibility.PUBLIC if post.published_at else Visibility.INTERNAL,
        obj=post,
        data={"status": status},
    )
    if was_announced:
        _pages_changed()
    return post


@transaction.atomic
def post_prolong(*, post: JobPost, by) -> JobPost:
    """« Prolonger » : two more months before unpublishing, once per post."""
    post = JobPost.objects.select_for_update().get(pk=post.pk)
    if not perms.can_edit_post(by, post):
        raise NotAllowed("Vous ne pouvez pas prolonger cette annonce.")
    if post.prolonged_at is not None:
        raise ValidationError({"unpublish_on": ["Cette annonce a déjà été prolongée une fois."]})
    if not post.can_be_prolonged():
        raise ValidationError({"unpublish_on": ["Cette annonce n'est plus ouverte."]})
    post.unpublish_on = add_months(post.unpublish_on, OPEN_MONTHS)
    post.prolonged_at = timezone.now()
    post.reminded_at = None  # told again a week before the new date (without « prolonger », used)
    post.save(update_fields=["unpublish_on", "prolonged_at", "reminded_at"])
    journal.record(
        actor=by,
        action="recruitment.prolonged",
        message=f"Annonce « {post.title} » prolongée jusqu'au {date_fr(post.unpublish_on)}.",
        visibility=Visibility.INTERNAL,
        obj=post,
    )
    _pages_changed()
    return post


# --- The worker's transitions ---------------------------------------------------------------------------------


def _announce(post: JobPost, now) -> bool:
    with transaction.atomic():
        if not JobPost.objects.filter(pk=post.pk, announced_at__isnull=True).update(announced_at=now):
            return False  # another worker announced it
        kind = "une mission freelance" if post.is_mission else "un poste"
        text = f"Nouvelle annonce pour la communauté : {kind} « {post.title} » ({post.owner_name}). {_url(post)}"
        notify(
            kind="recruitment.announced",
            subject=f"Recrutement : {post.title}",
            body=text,
            mattermost_channel=settings.MATTERMOST_RECRUTEMENT_CHANNEL,
            mattermost_text=text,
            matrix_room=settings.MATRIX_RECRUTEMENT_ROOM or None,
            matrix_text=text,
        )
        journal.record(
            actor=None,
            action="recruitment.announced",
            message=f"Annonce « {post.title} » ouverte à la communauté.",
            visibility=Visibility.INTERNAL,
            obj=post,
        )
        _pages_changed()
        return True


def _publish(post: JobPost, now) -> bool:
    with transaction.atomic():
        if not JobPost.objects.filter(pk=post.pk, status=Status.COMMUNAUTE).update(
            status=Status.PUBLIC, published_at=now
        ):
            return False
        journal.record(
            actor=None,
            action="recruitment.published",
            message=f"Le poste « {post.title} » ({post.owner_name}) est publié.",
            visibility=Visibility.PUBLIC,
            obj=post,
        )
        _pages_changed()
        return True


def _remind(post: JobPost, now) -> bool:
    with transaction.atomic():
        if not JobPost.objects.filter(pk=post.pk, reminded_at__isnull=True).update(reminded_at=now):
            return False
        if post.author is None or not post.author.email:
            return True
        manage = settings.BASE_URL.rstrip("/") + reverse("recruitment:mine")
        if post.prolonged_at is None:
            action = f"Pour la garder deux mois de plus, choisissez « Prolonger » (une fois) : {manage}"
        else:
            action = f"Elle a déjà été prolongée une fois. Vos annonces : {manage}"
        notify(
            kind="recruitment.reminder",
            subject=f"Votre annonce « {post.title} » sera dépubliée le {date_fr(post.unpublish_on)}",
            body=(
                f"Bonjour,\n\nVotre annonce « {post.title} » ({post.owner_name}) sera dépubliée le "
                f"{date_fr(post.unpublish_on)}.\n{action}\n\nSi le poste est pourvu, indiquez-le sur la même page."
            ),
            emails=[post.author.email],
        )
        return True


def _expire(post: JobPost, now) -> bool:
    with transaction.atomic():
        if not JobPost.objects.filter(pk=post.pk, status__in=OPEN_STATUSES).update(status=Status.FERME, closed_at=now):
            return False
        journal.record(
            actor=None,
            action="recruitment.closed",
            message=f"Le poste « {post.title} » ({post.owner_name}) n'est plus ouvert (date de dépublication).",
            visibility=Visibility.PUBLIC if post.published_at else Visibility.INTERNAL,
            obj=post,
            data={"status": Status.FERME, "expired": True},
        )
        _pages_changed()
        return True


def tick(now: datetime.datetime | None = None) -> dict[str, int]:
    """Run what is due, idempotently (each step is a conditional UPDATE: a second run, or a second worker, does
    nothing): announce posts whose community window opened, publish those whose public date came, remind authors a
    week before, unpublish those whose date came."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    done = {"announced": 0, "published": 0, "reminded": 0, "expired": 0}
    posts = JobPost.objects.select_related("product", "pole", "author")
    for post in posts.filter(status__in=OPEN_STATUSES, unpublish_on__lte=today):
        done["expired"] += _expire(post, now)
    for post in posts.open_for_community(today).filter(announced_at__isnull=True):
        done["announced"] += _announce(post, now)
    for post in posts.open_public(today).filter(status=Status.COMMUNAUTE):
        done["published"] += _publish(post, now)
    remind_from = today + datetime.timedelta(days=REMIND_DAYS)
    for post in posts.open_for_community(today).filter(reminded_at__isnull=True, unpublish_on__lte=remind_from):
        done["reminded"] += _remind(post, now)
    return done
