"""The community registry: the beta.gouv.fr content tree as data.

Identifiers are beta.gouv.fr's own (`ghid`: the file name in the content tree; a member's `username`).
Front-matter keys this model does not know are kept in `extra`, so an export gives back what was imported.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incubateur.core.text import date_fr
from incubateur.registry.converters import validate_identifier
from incubateur.registry.enums import (
    ACTIVE_PHASES,
    MINISTRY_CHOICES,
    Domaine,
    EventName,
    MemberType,
    MissionStatus,
    OrganisationType,
    PhaseName,
    ReviewDecision,
    ReviewState,
)


def identifier_field() -> models.CharField:
    """A row's beta.gouv.fr identifier (its file's name in the content tree), valid by the converters' rule."""
    return models.CharField(
        "identifiant",
        max_length=200,
        unique=True,
        validators=[validate_identifier],
        help_text="Le nom de son fichier dans l'arborescence de beta.gouv.fr (sans « / », ni point au début).",
    )


class Organisation(models.Model):
    """A sponsor organisation (`content/_organisations/<ghid>.md`)."""

    ghid = identifier_field()
    name = models.CharField("nom", max_length=300)
    acronym = models.CharField("sigle", max_length=100, blank=True)
    domaine_ministeriel = models.CharField("domaine ministériel", max_length=40, choices=MINISTRY_CHOICES, blank=True)
    type = models.CharField("type", max_length=40, choices=OrganisationType.choices, blank=True)
    extra = models.JSONField("autres champs", default=dict, blank=True)

    class Meta:
        verbose_name = "organisation"
        verbose_name_plural = "organisations"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Incubator(models.Model):
    ghid = identifier_field()
    title = models.CharField("nom", max_length=300)
    short_description = models.TextField("présentation courte", blank=True)
    description = models.TextField("présentation (Markdown)", blank=True)
    owner = models.ForeignKey(
        Organisation,
        verbose_name="porteur",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incubators",
    )
    contact = models.CharField("contact", max_length=300, blank=True)
    address = models.CharField("adresse", max_length=500, blank=True)
    website = models.CharField("site web", max_length=500, blank=True)
    github = models.CharField("GitHub", max_length=500, blank=True)
    logo = models.CharField("logo", max_length=500, blank=True)
    highlighted_products = models.JSONField("produits mis en avant (identifiants)", default=list, blank=True)
    extra = models.JSONField("autres champs", default=dict, blank=True)

    class Meta:
        verbose_name = "incubateur"
        verbose_name_plural = "incubateurs"
        ordering = ["title"]

    def __str__(self):
        return self.title


class MemberQuerySet(models.QuerySet):
    def active(self, today=None):
        """Members with a mission running today (no end, or an end on or after today)."""
        today = today or timezone.localdate()
        running = Mission.objects.filter(member=models.OuterRef("pk"), start__lte=today).filter(
            Q(end__isnull=True) | Q(end__gte=today)
        )
        return self.filter(models.Exists(running))

    def of_product(self, product, today=None):
        """The product's active team: members with a mission naming it that runs today."""
        today = today or timezone.localdate()
        running = Mission.objects.filter(member=models.OuterRef("pk"), products=product, start__lte=today).filter(
            Q(end__isnull=True) | Q(end__gte=today)
        )
        return self.filter(models.Exists(running))


class Member(models.Model):
    """A member of the community (`content/_authors/<username>.md`)."""

    username = identifier_field()
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="compte",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )
    fullname = models.CharField("nom complet", max_length=300)
    role = models.CharField("rôle", max_length=300, blank=True)
    domaine = models.CharField("domaine", max_length=40, choices=Domaine.choices)
    bio = models.TextField("présentation (Markdown)", blank=True)
    link = models.CharField("lien", max_length=500, blank=True)
    github = models.CharField("GitHub", max_length=200, blank=True)
    avatar = models.CharField("avatar", max_length=500, blank=True)
    competences = models.JSONField("compétences", default=list, blank=True)
    member_type = models.CharField("type de membre", max_length=20, choices=MemberType.choices, blank=True)
    teams = models.ManyToManyField("Team", verbose_name="équipes", blank=True, related_name="members")
    # Created on the platform and not yet validated by its incubator (#14); imports are validated.
    review_state = models.CharField(
        "validation", max_length=20, choices=ReviewState.choices, default=ReviewState.VALIDATED, db_index=True
    )
    extra = models.JSONField("autres champs", default=dict, blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = "membre"
        verbose_name_plural = "membres"
        ordering = ["fullname"]

    def __str__(self):
        return self.fullname


class Mission(models.Model):
    member = models.ForeignKey(Member, verbose_name="membre", on_delete=models.CASCADE, related_name="missions")
    start = models.DateField("début")
    end = models.DateField("fin", null=True, blank=True)
    status = models.CharField("statut", max_length=20, choices=MissionStatus.choices, blank=True)
    employer = models.CharField("employeur", max_length=300, blank=True)
    products = models.ManyToManyField("Product", verbose_name="produits", blank=True, through="MissionProduct")
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "mission"
        verbose_name_plural = "missions"
        ordering = ["member", "order", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="mission_end_after_start"
            )
        ]

    def __str__(self):
        return (
            f"{self.member} (du {date_fr(self.start)} au {date_fr(self.end)})"
            if self.end
            else f"{self.member} (depuis le {date_fr(self.start)})"
        )

    @property
    def is_running(self) -> bool:
        today = timezone.localdate()
        return self.start <= today and (self.end is None or self.end >= today)


class MissionProduct(models.Model):
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE)
    product = models.ForeignKey("Product", on_delete=models.CASCADE, verbose_name="produit")
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "produit d'une mission"
        verbose_name_plural = "produits d'une mission"
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["mission", "product"], name="unique_mission_product")]

    def __str__(self):
        return f"{self.mission} — {self.product}"


class ProductQuerySet(models.QuerySet):
    def with_active_member(self, user, today=None):
        """Products in whose active team this account is: a mission of its member fiche names the product
        and runs today. The one answer to "is this my product?" (the guichet and offers of help use it)."""
        if user is None or not user.is_authenticated:
            return self.none()
        today = today or timezone.localdate()
        # An uncorrelated `pk IN (...)`: the few products of this person's running missions, read from the mission
        # side. A correlated EXISTS made SQLite test it against every product (15 ms at 10,000 products, #19).
        running = (
            MissionProduct.objects.filter(mission__member__user=user, mission__start__lte=today)
            .filter(Q(mission__end__isnull=True) | Q(mission__end__gte=today))
            .values("product_id")
        )
        return self.filter(pk__in=running)

    def with_current_phase(self):
        """Annotate `current_phase`: the name of the phase that started last (None for a product without phases)."""
        return self.annotate(current_phase=Phase.objects.current_name())


class Product(models.Model):
    """A product ("startup d'État", `content/_startups/<ghid>.md`)."""

    ghid = identifier_field()
    name = models.CharField("nom", max_length=300)
    pitch = models.TextField("mission")
    description = models.TextField("description (Markdown)", blank=True)
    contact = models.CharField("contact", max_length=300, blank=True)
    link = models.CharField("site", max_length=500, blank=True)
    repository = models.CharField("code source", max_length=500, blank=True)
    stats = models.BooleanField("page de statistiques", null=True, blank=True)
    stats_url = models.CharField("statistiques", max_length=500, blank=True)
    budget_url = models.CharField("budget", max_length=500, blank=True)
    impact_url = models.CharField("impact", max_length=500, blank=True)
    dashlord_url = models.CharField("DashLord", max_length=500, blank=True)
    accessibility_status = models.CharField("accessibilité", max_length=100, blank=True)
    analyse_risques = models.BooleanField("analyse de risques", null=True, blank=True)
    analyse_risques_url = models.CharField("analyse de risques (lien)", max_length=500, blank=True)
    mon_service_securise = models.BooleanField("MonServiceSécurisé", null=True, blank=True)
    thematiques = models.JSONField("thématiques", default=list, blank=True)
    usertypes = models.JSONField("publics", default=list, blank=True)
    techno = models.JSONField("technologies", default=list, blank=True)
    sponsors = models.ManyToManyField(Organisation, verbose_name="sponsors", blank=True, through="ProductSponsor")
    incubators = models.ManyToManyField(Incubator, verbose_name="incubateurs", blank=True, through="ProductIncubator")
    # Usernames as written in the tree: they may name members outside the registry (a warning, not an error).
    contact_dinum = models.CharField("responsable DINUM (identifiant)", max_length=200, blank=True)
    contact_incubator = models.CharField("contact à l'incubateur (identifiant)", max_length=200, blank=True)
    fast_promotion = models.PositiveSmallIntegerField("promotion FAST", null=True, blank=True)
    fast_amount = models.PositiveIntegerField("montant FAST (€)", null=True, blank=True)
    redirect_from = models.JSONField("anciennes adresses", default=list, blank=True)
    # Created on the platform and not yet validated by its incubator (#14); imports are validated.
    review_state = models.CharField(
        "validation", max_length=20, choices=ReviewState.choices, default=ReviewState.VALIDATED, db_index=True
    )
    extra = models.JSONField("autres champs", default=dict, blank=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        verbose_name = "produit"
        verbose_name_plural = "produits"
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def principal_incubator(self):
        links = [link for link in self.productincubator_set.all() if link.is_principal]
        return links[0].incubator if links else None


class ProductSponsor(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, verbose_name="produit")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "sponsor d'un produit"
        verbose_name_plural = "sponsors d'un produit"
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["product", "organisation"], name="unique_product_sponsor")]

    def __str__(self):
        return f"{self.product} — {self.organisation}"


class ProductIncubator(models.Model):
    """Co-incubation: a product has one principal incubator and may have others."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, verbose_name="produit")
    incubator = models.ForeignKey(Incubator, on_delete=models.PROTECT, verbose_name="incubateur")
    is_principal = models.BooleanField("incubateur principal", default=False)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "incubateur d'un produit"
        verbose_name_plural = "incubateurs d'un produit"
        ordering = ["-is_principal", "order"]
        constraints = [
            models.UniqueConstraint(fields=["product", "incubator"], name="unique_product_incubator"),
            models.UniqueConstraint(
                fields=["product"], condition=Q(is_principal=True), name="one_principal_incubator"
            ),
        ]

    def __str__(self):
        return f"{self.product} — {self.incubator}"


class PhaseQuerySet(models.QuerySet):
    def current_name(self, product: str = "pk") -> models.Subquery:
        """A subquery on the outer query's `product` (a product's pk): the name of its current phase, the one that
        started last."""
        return models.Subquery(
            self.filter(product=models.OuterRef(product)).order_by("-start", "-pk").values("name")[:1]
        )


class Phase(models.Model):
    product = models.ForeignKey(Product, verbose_name="produit", on_delete=models.CASCADE, related_name="phases")
    name = models.CharField("phase", max_length=40, choices=PhaseName.choices)
    start = models.DateField("début")
    end = models.DateField("fin", null=True, blank=True)
    comment = models.TextField("commentaire", blank=True)

    objects = PhaseQuerySet.as_manager()

    class Meta:
        verbose_name = "phase"
        verbose_name_plural = "phases"
        ordering = ["product", "start"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="one_phase_per_name"),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="phase_end_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.product} — {self.get_name_display()}"

    @property
    def is_active_phase(self) -> bool:
        return self.name in ACTIVE_PHASES


class Event(models.Model):
    product = models.ForeignKey(Product, verbose_name="produit", on_delete=models.CASCADE, related_name="events")
    name = models.CharField("événement", max_length=40, choices=EventName.choices)
    date = models.DateField("date")
    comment = models.TextField("commentaire", blank=True)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "événement"
        verbose_name_plural = "événements"
        ordering = ["product", "order", "date"]

    def __str__(self):
        return f"{self.product} — {self.get_name_display()} ({date_fr(self.date)})"


class Team(models.Model):
    ghid = identifier_field()
    name = models.CharField("nom", max_length=300)
    mission = models.TextField("mission", blank=True)
    incubator = models.ForeignKey(Incubator, verbose_name="incubateur", on_delete=models.PROTECT, related_name="teams")
    extra = models.JSONField("autres champs", default=dict, blank=True)

    class Meta:
        verbose_name = "équipe"
        verbose_name_plural = "équipes"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Review(models.Model):
    """A request that an incubator validate a member or a product created on the platform."""

    member = models.OneToOneField(
        Member, verbose_name="membre", null=True, blank=True, on_delete=models.CASCADE, related_name="review"
    )
    product = models.OneToOneField(
        Product,
        verbose_name="produit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="review",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField("demandée le", default=timezone.now)
    decision = models.CharField("décision", max_length=20, choices=ReviewDecision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="décidée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("décidée le", null=True, blank=True)
    reason = models.TextField("motif", blank=True)
    # Undecided after REVIEW_ESCALATION_WORKDAYS: the incubator's team is reminded and Incubator staff may decide.
    escalated_at = models.DateTimeField("relancée le", null=True, blank=True)

    class Meta:
        verbose_name = "demande de validation"
        verbose_name_plural = "demandes de validation"
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False, product__isnull=True)
                | Q(member__isnull=True, product__isnull=False),
                name="review_of_one_member_or_product",
            )
        ]

    def __str__(self):
        return f"Validation de {self.member or self.product}"


class ContentBase(models.Model):
    """One file of the content tree as the last import or sync read it: the base of the three-way merge that keeps
    the platform's newer edits when the tree has diverged (#14)."""

    path = models.CharField("fichier", max_length=500, unique=True)  # relative to `content/`: `_authors/x.md`
    digest = models.CharField("empreinte", max_length=64)
    fields = models.JSONField("champs", default=dict)  # the front matter, and the body under `body`
    read_at = models.DateTimeField("lu le", default=timezone.now)

    class Meta:
        verbose_name = "fichier lu du contenu de beta.gouv.fr"
        verbose_name_plural = "fichiers lus du contenu de beta.gouv.fr"
        ordering = ["path"]

    def __str__(self):
        return self.path
