"""The community's own lifecycle around the registry (#14): the onboarding and offboarding checklists (some items
are the Pôle Animation's, hence an app above the organisation), the reminders before a mission ends and the
monthly summary to each incubator's team.

Joining (a new member or product, validated by its incubator) is the registry's (`registry.Review`).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from incubateur.core.text import date_fr


class Checklist(models.TextChoices):
    ONBOARDING = "arrivee", "arrivée"
    OFFBOARDING = "depart", "départ"


class ChecklistTick(models.Model):
    """An item of a member's onboarding or offboarding checklist, ticked (the items are data: `data/*.yaml`)."""

    member = models.ForeignKey(
        "registry.Member", verbose_name="membre", on_delete=models.CASCADE, related_name="checklist_ticks"
    )
    checklist = models.CharField("parcours", max_length=20, choices=Checklist.choices)
    item = models.CharField("étape", max_length=100)
    done_at = models.DateTimeField("faite le", default=timezone.now)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="cochée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "étape cochée"
        verbose_name_plural = "étapes cochées"
        ordering = ["member", "checklist", "done_at"]
        constraints = [
            models.UniqueConstraint(fields=["member", "checklist", "item"], name="one_tick_per_checklist_item")
        ]

    def __str__(self):
        return f"{self.member} — {self.get_checklist_display()} : {self.item}"


class ReminderKind(models.TextChoices):
    BEFORE_30 = "j-30", "30 jours avant la fin de mission"
    BEFORE_15 = "j-15", "15 jours avant la fin de mission"
    BEFORE_2 = "j-2", "2 jours avant la fin de mission"
    AFTER_1 = "j+1", "lendemain de la fin de mission (départ)"
    AFTER_30 = "j+30", "30 jours après la fin de mission (sortie des équipes)"


class Reminder(models.Model):
    """One reminder or departure step, for the end of a member's last running mission: each is sent once (the
    unique constraint is the guarantee, even with two workers). A mission extended has a new end: new reminders."""

    member = models.ForeignKey("registry.Member", verbose_name="membre", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("étape", max_length=10, choices=ReminderKind.choices)
    end = models.DateField("fin de mission")
    sent_at = models.DateTimeField("envoyée le", default=timezone.now)

    class Meta:
        verbose_name = "rappel de fin de mission"
        verbose_name_plural = "rappels de fin de mission"
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["member", "kind", "end"], name="one_reminder_per_end")]

    def __str__(self):
        return f"{self.member} — {self.get_kind_display()} (fin le {date_fr(self.end)})"


class IncubatorDigest(models.Model):
    """The monthly summary sent to an incubator's team (products not updated for 6 months, missions ending): once
    per incubator and month."""

    incubator = models.ForeignKey(
        "registry.Incubator", verbose_name="incubateur", on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField("mois")
    sent_at = models.DateTimeField("envoyé le", default=timezone.now)

    class Meta:
        verbose_name = "synthèse mensuelle d'un incubateur"
        verbose_name_plural = "synthèses mensuelles des incubateurs"
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["incubator", "month"], name="one_digest_per_month")]

    def __str__(self):
        return f"{self.incubator} — {self.month:%m/%Y}"
