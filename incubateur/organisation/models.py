from django.conf import settings
from django.db import models
from django.db.models import Prefetch, Q
from django.utils import timezone

from incubateur.core.ministries import MINISTRIES
from incubateur.core.text import fold


class Department(models.Model):
    """The Incubator itself (one row)."""

    name = models.CharField("nom", max_length=200)
    short_description = models.TextField("présentation courte", blank=True)
    description = models.TextField("présentation", blank=True)
    contact_email = models.EmailField("e-mail de contact")
    mattermost_channel = models.CharField("chaîne Mattermost", max_length=100, blank=True)
    mattermost_url = models.URLField("adresse de la chaîne Mattermost", blank=True)
    recruitment = models.TextField("recrutement", blank=True)
    recruitment_url = models.URLField("page des offres", blank=True)
    commitments_intro = models.TextField("engagements : introduction", blank=True)
    commitments_outro = models.TextField("engagements : signaler un manquement", blank=True)
    fallback_pole = models.ForeignKey(
        "Pole",
        verbose_name="pôle de repli",
        help_text="Reçoit ce qu'aucun portefeuille ne couvre (ministères spm, outre-mer, autres).",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    operations_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="responsable des opérations",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "département"
        verbose_name_plural = "départements"

    def __str__(self):
        return self.name


class PoleQuerySet(models.QuerySet):
    def with_current_positions(self):
        current = Position.objects.current().select_related("person", "portfolio").order_by("-is_lead", "order", "pk")
        return self.prefetch_related(Prefetch("positions", queryset=current, to_attr="current_positions"))


class Pole(models.Model):
    slug = models.SlugField("identifiant", unique=True)
    name = models.CharField("nom", max_length=200)
    emoji = models.CharField("émoji", max_length=16, blank=True)
    mission = models.TextField("mission", blank=True)
    note = models.TextField("complément", blank=True)
    order = models.PositiveSmallIntegerField("ordre", default=0)
    guichet_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="référent du guichet",
        help_text="Reçoit les demandes adressées au pôle ; à défaut, la ou le responsable du pôle.",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = PoleQuerySet.as_manager()

    class Meta:
        verbose_name = "pôle"
        verbose_name_plural = "pôles"
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    @property
    def lead(self):
        """The person who leads the pole now (from `with_current_positions()` when prefetched)."""
        positions = getattr(self, "current_positions", None)
        if positions is None:
            positions = self.positions.current().select_related("person").order_by("order", "pk")
        return next((p.person for p in positions if p.is_lead), None)


class PositionQuerySet(models.QuerySet):
    def current(self, today=None):
        today = today or timezone.localdate()
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=today), start_date__lte=today)


class Position(models.Model):
    """A person's role in a pole. Ended, not deleted, when they leave: history stays."""

    pole = models.ForeignKey(Pole, verbose_name="pôle", on_delete=models.PROTECT, related_name="positions")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="personne", on_delete=models.PROTECT, related_name="positions"
    )
    title = models.CharField("rôle", max_length=200)
    is_lead = models.BooleanField("responsable du pôle", default=False)
    portfolio = models.ForeignKey(
        "Portfolio",
        verbose_name="portefeuille",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="positions",
        help_text="Pour un poste de responsable de portefeuille.",
    )
    order = models.PositiveSmallIntegerField("ordre", default=0)
    start_date = models.DateField("début", default=timezone.localdate)
    end_date = models.DateField("fin", null=True, blank=True)

    objects = PositionQuerySet.as_manager()

    class Meta:
        verbose_name = "poste"
        verbose_name_plural = "postes"
        ordering = ["pole__order", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="position_ends_after_it_starts",
            )
        ]

    def __str__(self):
        return f"{self.person} — {self.title} ({self.pole})"

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.start_date <= today and (self.end_date is None or self.end_date >= today)


class Portfolio(models.Model):
    """A ministerial portfolio: the ministries and themes one manager holds."""

    slug = models.SlugField("identifiant", unique=True)
    label = models.CharField("intitulé", max_length=200)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="responsable",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="portfolios",
    )
    ministries = models.JSONField("ministères (codes domaine_ministeriel)", default=list, blank=True)
    themes = models.JSONField("thématiques", default=list, blank=True)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "portefeuille ministériel"
        verbose_name_plural = "portefeuilles ministériels"
        ordering = ["order", "label"]

    def __str__(self):
        return self.label

    @property
    def ministry_labels(self) -> list[str]:
        return [MINISTRIES.get(code, code) for code in self.ministries]

    def covers_theme(self, theme: str) -> bool:
        wanted = fold(theme)
        return any(fold(t) == wanted for t in self.themes)


class ContactChannel(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", "e-mail"
        MATTERMOST = "mattermost", "Mattermost"
        URL = "url", "site web"

    label = models.CharField("libellé", max_length=200)
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    value = models.CharField("valeur", max_length=254)
    url = models.URLField("lien", blank=True)
    pole = models.ForeignKey(Pole, verbose_name="pôle", null=True, blank=True, on_delete=models.CASCADE)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "canal de contact"
        verbose_name_plural = "canaux de contact"
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="unique_contact_channel")]

    def __str__(self):
        return f"{self.label} : {self.value}"

    @property
    def href(self) -> str:
        if self.kind == self.Kind.EMAIL:
            return f"mailto:{self.value}"
        return self.url or self.value


class Reason(models.Model):
    """« Pourquoi faire appel à l'Incubateur ? » — each reason is also a kind of request at the guichet."""

    code = models.SlugField("code", unique=True)
    title = models.CharField("intitulé", max_length=300)
    detail = models.TextField("précisions", blank=True)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "raison de contacter l'Incubateur"
        verbose_name_plural = "raisons de contacter l'Incubateur"
        ordering = ["order", "pk"]

    def __str__(self):
        return self.title


class Commitment(models.Model):
    title = models.CharField("intitulé", max_length=200, unique=True)
    text = models.TextField("texte")
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "engagement envers la communauté"
        verbose_name_plural = "engagements envers la communauté"
        ordering = ["order", "pk"]

    def __str__(self):
        return self.title
