"""The monthly summary to each incubator's team (the members of its `Team`s): information derived from the data,
never a form to fill.

- its products whose fiche has not changed for COMMUNITY_STALE_FICHE_MONTHS months: validated products in an
  active phase (an arrêtée or transférée product is not expected to change). A fiche *changes* when the journal has
  a row of an edit on the platform (`registry.product_updated`, `registry.phase_added`, `registry.phase_ended`,
  `registry.event_added` on that product), or when the data says so (the start of its latest phase, the date of its
  latest event, as imported from beta.gouv.fr). The latest of these is the fiche's last change; a product without
  any is stale;
- its members whose last mission ends within 30 days (on a product of the incubator; missions all with an end).

Once per incubator and month: the `IncubatorDigest` row (unique incubator + month) is inserted first, in the same
transaction as the outbox rows, so two workers never send it twice. A month with nothing to report records the
row and sends nothing.
"""

import calendar
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from incubateur.community.models import IncubatorDigest
from incubateur.community.selectors import with_last_end
from incubateur.core import notifications
from incubateur.core.models import JournalEntry
from incubateur.core.text import date_fr, month_fr, quantity
from incubateur.registry.enums import ACTIVE_PHASES, ReviewState
from incubateur.registry.models import Event, Incubator, Member, Mission, Phase, Product

FICHE_ACTIONS = ("registry.product_updated", "registry.phase_added", "registry.phase_ended", "registry.event_added")
ENDING_WITHIN_DAYS = 30


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` months earlier (that month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class StaleProduct:
    product: Product
    changed: datetime.date | None  # None: no change known


def stale_products(incubator: Incubator, today: datetime.date) -> list[StaleProduct]:
    limit = months_before(today, settings.COMMUNITY_STALE_FICHE_MONTHS)
    product_type = ContentType.objects.get_for_model(Product)
    products = (
        Product.objects.filter(productincubator__incubator=incubator, review_state=ReviewState.VALIDATED)
        .with_current_phase()
        .annotate(
            journaled=Subquery(
                JournalEntry.objects.filter(
                    content_type=product_type,
                    object_id=Cast(OuterRef("pk"), output_field=CharField()),
                    action__in=FICHE_ACTIONS,
                )
                .order_by("-at")
                .values("at")[:1]
            ),
            phase_started=Subquery(
                Phase.objects.filter(product=OuterRef("pk")).order_by("-start").values("start")[:1]
            ),
            event_dated=Subquery(Event.objects.filter(product=OuterRef("pk")).order_by("-date").values("date")[:1]),
        )
        .order_by("name")
        .distinct()
    )
    stale = []
    for product in products:
        if product.current_phase not in ACTIVE_PHASES:
            continue
        known = [
            timezone.localdate(product.journaled) if product.journaled else None,
            product.phase_started,
            product.event_dated,
        ]
        changed = max((d for d in known if d is not None), default=None)
        if changed is None or changed < limit:
            stale.append(StaleProduct(product=product, changed=changed))
    return stale


def members_ending(incubator: Incubator, today: datetime.date) -> list[Member]:
    """Members with a mission running today on a product of `incubator`, whose last mission ends within 30 days."""
    on_its_products = Mission.objects.filter(
        member=OuterRef("pk"), products__productincubator__incubator=incubator, start__lte=today
    ).filter(Q(end__isnull=True) | Q(end__gte=today))
    return list(
        with_last_end(Member.objects.filter(Exists(on_its_products), review_state=ReviewState.VALIDATED))
        .filter(
            open_ended=False, last_end__gte=today, last_end__lte=today + datetime.timedelta(days=ENDING_WITHIN_DAYS)
        )
        .order_by("last_end", "fullname")
    )


def _recipients(incubator: Incubator) -> list[str]:
    return list(
        Member.objects.filter(teams__incubator=incubator, user__isnull=False, user__is_active=True)
        .values_list("user__email", flat=True)
        .distinct()
    )


def _body(incubator: Incubator, stale: list[StaleProduct], ending: list[Member], today: datetime.date) -> str:
    link = settings.BASE_URL + reverse("registry:incubator_detail", args=[incubator.ghid])
    lines = [f"Bonjour,\n\nVoici la synthèse de {month_fr(today)} pour {incubator.title}, pour information.\n"]
    months = settings.COMMUNITY_STALE_FICHE_MONTHS
    if stale:
        lines.append(f"Fiches produit sans changement depuis {quantity(months, 'mois', 'mois')} ou plus :")
        for row in stale:
            url = settings.BASE_URL + reverse("registry:product_detail", args=[row.product.ghid])
            since = f"dernier changement le {date_fr(row.changed)}" if row.changed else "aucun changement connu"
            lines.append(f"- {row.product.name} ({since}) : {url}")
        lines.append("")
    if ending:
        lines.append(f"Missions qui se terminent dans les {ENDING_WITHIN_DAYS} prochains jours :")
        for member in ending:
            url = settings.BASE_URL + reverse("registry:member_detail", args=[member.username])
            lines.append(f"- {member.fullname}, le {date_fr(member.last_end)} : {url}")
        lines.append("")
    lines.append(f"Rien à remplir : cette synthèse est tirée des données de la plateforme.\n{link}\n")
    return "\n".join(lines)


def send_incubator_digests(*, now: datetime.datetime | None = None) -> int:
    """Send this month's summary to each incubator's team that has not had it. Returns the number sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    month = today.replace(day=1)
    done = IncubatorDigest.objects.filter(incubator=OuterRef("pk"), month=month)
    incubators = Incubator.objects.filter(teams__members__user__isnull=False).exclude(Exists(done)).distinct()
    sent = 0
    for incubator in incubators.order_by("pk"):
        recipients = _recipients(incubator)
        if not recipients:
            continue
        with transaction.atomic():
            try:
                with transaction.atomic():
                    IncubatorDigest.objects.create(incubator=incubator, month=month, sent_at=now)
            except IntegrityError:  # another worker claimed this month first
                continue
            stale, ending = stale_products(incubator, today), members_ending(incubator, today)
            if not stale and not ending:
                continue
            notifications.notify(
                kind="community.incubator_digest",
                subject=f"[{incubator.title}] Synthèse de {month_fr(today)}",
                body=_body(incubator, stale, ending, today),
                emails=recipients,
            )
            sent += 1
    return sent
