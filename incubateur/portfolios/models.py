"""Investment committees per product, and the weekly digests sent to portfolio managers.

Both tables were created by the programmes app and keep their names (`db_table`): the models moved, the rows did
not (portfolios/migrations/0001_initial.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone

from incubateur.core.text import date_fr
from incubateur.registry.enums import PhaseName


class CommitteeDecision(models.TextChoices):
    CONTINUE = "poursuite", "Poursuite (6 mois)"
    PROVISIONAL = "provisoire", "Poursuite provisoire (1 à 2 mois)"
    STOP = "arret", "Arrêt"


class CommitteeQuerySet(models.QuerySet):
    def latest_per_product(self):
        later = Committee.objects.filter(product=OuterRef("product"), date__gt=OuterRef("date"))
        return self.filter(~Exists(later))


class Committee(models.Model):
    """A comité d'investissement of a product."""

    product = models.ForeignKey("registry.Product", verbose_name="produit", on_delete=models.PROTECT, related_name="+")
    date = models.DateField("date")
    attendees = models.TextField("participants", blank=True)
    deck_url = models.URLField("support de présentation", max_length=500, blank=True)
    decision = models.CharField("décision", max_length=20, choices=CommitteeDecision.choices)
    budget_requested = models.PositiveBigIntegerField("budget demandé (€)", null=True, blank=True)
    budget_granted = models.PositiveBigIntegerField("budget accordé (€)", null=True, blank=True)
    comment = models.TextField("commentaire", blank=True)
    phase = models.CharField(
        "nouvelle phase", max_length=40, choices=PhaseName.choices, blank=True, help_text="Si le comité en décide."
    )
    next_due = models.DateField("prochain comité avant le", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="enregistré par",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("enregistré le", default=timezone.now)

    objects = CommitteeQuerySet.as_manager()

    class Meta:
        db_table = "programmes_committee"
        verbose_name = "comité d'investissement"
        verbose_name_plural = "comités d'investissement"
        ordering = ["-date", "-pk"]

    def __str__(self):
        return f"Comité du {date_fr(self.date)} — {self.product}"


class DigestSent(models.Model):
    """One weekly digest per person and ISO week: `send_digests` may run at any frequency."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="destinataire", on_delete=models.CASCADE, related_name="+"
    )
    week = models.CharField("semaine ISO", max_length=8)  # "2026-W48"
    items = models.PositiveIntegerField("éléments en retard", default=0)
    sent_at = models.DateTimeField("envoyée le", default=timezone.now)

    class Meta:
        db_table = "programmes_digestsent"
        verbose_name = "synthèse hebdomadaire envoyée"
        verbose_name_plural = "synthèses hebdomadaires envoyées"
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="one_digest_per_week")]

    def __str__(self):
        return f"{self.user} — {self.week}"
