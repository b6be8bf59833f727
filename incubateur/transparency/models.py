"""Transparency (#17): the Incubator's public journal, its commitments measured and the programme's public
statistics, all computed from the platform's data.

Figures are computed by the worker into snapshots (one row per key, replaced when recomputed) and served from them:
the pages make a constant number of queries whatever the size of the data.
"""

from django.db import models
from django.utils import timezone


class Snapshot(models.Model):
    """The latest computed figures of one indicator or commitment (`key`), as published (small numbers already
    suppressed), with when they were computed."""

    key = models.CharField("indicateur", max_length=100, unique=True)
    computed_at = models.DateTimeField("calculé le", default=timezone.now)
    payload = models.JSONField("données", default=dict)

    class Meta:
        verbose_name = "instantané d'indicateur"
        verbose_name_plural = "instantanés d'indicateurs"
        ordering = ["key"]

    def __str__(self):
        return self.key
