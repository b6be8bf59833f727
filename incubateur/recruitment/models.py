"""Job and mission posts (#16): told to the community first, public after, never stale.

What a post's dates mean is read from the dates themselves (QuerySet methods), so a list is right even between two
runs of the worker; the worker's `services.tick` keeps `status` in step and does what happens once (announcements,
the journal, the author's reminder).
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from incubateur.core.roles import is_member, is_staff
from incubateur.organisation.models import Pole
from incubateur.registry.enums import Domaine
from incubateur.registry.models import Mission, Product, Team


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last))


COMMUNITY_DAYS = 7  # public_from defaults to community_from + 7 days
OPEN_MONTHS = 2  # unpublish_on defaults to public_from + 2 months; « prolonger » adds as much, once
REMIND_DAYS = 7  # the author is told this many days before unpublish_on


class Kind(models.TextChoices):
    EMPLOI = "emploi", "Emploi"
    MISSION = "mission", "Mission freelance"


class Status(models.TextChoices):
    BROUILLON = "brouillon", "Brouillon"
    COMMUNAUTE = "communaute", "Communauté"
    PUBLIC = "public", "Public"
    POURVU = "pourvu", "Pourvu"
    FERME = "ferme", "Fermé"


OPEN_STATUSES = (Status.COMMUNAUTE, Status.PUBLIC)
CLOSED_STATUSES = (Status.POURVU, Status.FERME)


class Contract(models.TextChoices):
    CDI = "cdi", "CDI"
    CDD = "cdd", "CDD (contractuel)"
    DETACHEMENT = "detachement", "Détachement de fonctionnaire"
    STAGE = "stage", "Stage"
    ALTERNANCE = "alternance", "Alternance"


class Workplace(models.TextChoices):
    SUR_SITE = "sur_site", "Sur site"
    HYBRIDE = "hybride", "Hybride"
    DISTANCE = "distance", "Télétravail complet"


class JobPostQuerySet(models.QuerySet):
    def open_for_community(self, today=None):
        """Open to the community (logged-in members): opened, not yet unpublished, neither filled nor closed."""
        today = today or timezone.localdate()
        return self.filter(status__in=OPEN_STATUSES, community_from__lte=today, unpublish_on__gt=today)

    def open_public(self, today=None):
        """Public to everyone: the lists, the feeds and jobs.json."""
        today = today or timezone.localdate()
        return self.open_for_community(today).filter(public_from__lte=today)

    def editable_by(self, user, today=None):
        """Posts `user` may edit and close (perms.can_edit_post says the same of one post)."""
        if not is_member(user):
            return self.none()
        if is_staff(user):
            return self.all()
        today = today or timezone.localdate()
        running = Mission.objects.filter(member__user=user, products=OuterRef("product"), start__lte=today).filter(
            Q(end__isnull=True) | Q(end__gte=today)
        )
        incubator_team = Team.objects.filter(
            members__user=user, incubator__productincubator__product=OuterRef("product")
        )
        return self.filter(Q(author=user) | Exists(running) | Exists(incubator_team))

    def visible_to(self, user, today=None):
        """What `user` may open: public posts, community posts for members, their own drafts and posts, and
        posts that were open once and are now closed (their page says so)."""
        today = today or timezone.localdate()
        closed = Q(status__in=CLOSED_STATUSES, closed_at__isnull=False)
        # Gone after it was public: its page stays, saying so (past its date, or closed on or after public_from).
        shown = Q(pk__in=self.open_public(today).values("pk"))
        shown |= Q(status__in=OPEN_STATUSES, unpublish_on__lte=today)
        shown |= closed & (Q(published_at__isnull=False) | Q(closed_at__date__gte=F("public_from")))
        if is_member(user):
            shown |= Q(pk__in=self.open_for_community(today).values("pk"))
            shown |= closed & (Q(announced_at__isnull=False) | Q(closed_at__date__gte=F("community_from")))
            shown |= Q(pk__in=self.editable_by(user, today).values("pk"))
        return self.filter(shown)


class JobPost(models.Model):
    title = models.CharField("intitulé", max_length=200)
    kind = models.CharField("nature", max_length=20, choices=Kind.choices, default=Kind.EMPLOI)
    contracting_body = models.CharField(
        "structure qui contracte",
        max_length=200,
        blank=True,
        help_text="Pour une mission : la structure avec laquelle la prestation est contractée (ex. un marché).",
    )
    product = models.ForeignKey(
        Product, verbose_name="produit", null=True, blank=True, on_delete=models.CASCADE, related_name="job_posts"
    )
    pole = models.ForeignKey(
        Pole, verbose_name="pôle de l'Incubateur", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    domaines = models.JSONField("domaines", default=list, blank=True)
    technos = models.JSONField("technologies", default=list, blank=True)
    junior = models.BooleanField("ouvert aux profils juniors", default=False)
    contract = models.CharField("type de contrat", max_length=20, choices=Contract.choices, blank=True)
    place = models.CharField("lieu", max_length=200, blank=True)
    workplace = models.CharField("organisation du travail", max_length=20, choices=Workplace.choices, blank=True)
    description = models.TextField("description (Markdown)")
    contacts = models.TextField("contacts", blank=True, help_text="Adresses ou noms à contacter, une par ligne.")
    apply_url = models.URLField("lien pour candidater", max_length=500, blank=True)
    community_from = models.DateField("ouvert à la communauté le")
    public_from = models.DateField("public le")
    unpublish_on = models.DateField("dépublié le")
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.BROUILLON, db_index=True)

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("créé le", default=timezone.now)
    updated_at = models.DateTimeField("modifié le", default=timezone.now)
    announced_at = models.DateTimeField("annoncé à la communauté le", null=True, blank=True)
    published_at = models.DateTimeField("publié le", null=True, blank=True)
    reminded_at = models.DateTimeField("auteur prévenu le", null=True, blank=True)
    prolonged_at = models.DateTimeField("prolongé le", null=True, blank=True)
    closed_at = models.DateTimeField("fermé le", null=True, blank=True)

    objects = JobPostQuerySet.as_manager()

    class Meta:
        verbose_name = "annonce de recrutement"
        verbose_name_plural = "annonces de recrutement"
        ordering = ["-community_from", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=False, pole__isnull=True) | Q(product__isnull=True, pole__isnull=False),
                name="job_post_for_a_product_or_a_pole",
            ),
            models.CheckConstraint(
                condition=Q(public_from__gte=models.F("community_from")) & Q(unpublish_on__gt=models.F("public_from")),
                name="job_post_dates_in_order",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_mission(self) -> bool:
        return self.kind == Kind.MISSION

    @property
    def owner_name(self) -> str:
        return self.product.name if self.product_id else f"Incubateur — {self.pole.name}"

    def is_open(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.status in OPEN_STATUSES and self.community_from <= today < self.unpublish_on

    def is_public(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.is_open(today) and self.public_from <= today

    def is_gone(self, today=None) -> bool:
        """Filled, closed or past its date: out of every list and feed."""
        today = today or timezone.localdate()
        return self.status in CLOSED_STATUSES or (self.status in OPEN_STATUSES and self.unpublish_on <= today)

    def can_be_prolonged(self, today=None) -> bool:
        return self.prolonged_at is None and self.status in OPEN_STATUSES and not self.is_gone(today)

    @property
    def domaine_labels(self) -> list[str]:
        return [Domaine(value).label if value in Domaine.values else value for value in self.domaines]

    @property
    def contact_lines(self) -> list[str]:
        return [line.strip() for line in self.contacts.splitlines() if line.strip()]
