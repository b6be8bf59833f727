from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incubateur.core.roles import is_staff
from incubateur.core.text import date_fr, datetime_fr


class Visibility(models.TextChoices):
    PUBLIC = "public", "publique"
    INTERNAL = "internal", "interne"
    CONFIDENTIAL = "confidential", "confidentielle"


class JournalEntryQuerySet(models.QuerySet):
    def for_user(self, user):
        """What a user may read of the journal.

        Staff and administrators read public and internal rows. Confidential rows are never listed, not even
        to administrators: they are read only through the object they concern (`about(obj)`), by the people
        that object's app lets see it (a confidential guichet request: its requester and participants).
        """
        if is_staff(user):
            return self.filter(visibility__in=[Visibility.PUBLIC, Visibility.INTERNAL])
        return self.filter(visibility=Visibility.PUBLIC)

    def about(self, obj):
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))


class JournalEntry(models.Model):
    """One action: who did what, on which object, when, and who may read about it."""

    at = models.DateTimeField("date", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField("action", max_length=100, db_index=True)
    message = models.TextField("message")
    visibility = models.CharField("visibilité", max_length=20, choices=Visibility.choices)
    content_type = models.ForeignKey(
        ContentType, verbose_name="type d'objet", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField("identifiant de l'objet", max_length=100, blank=True)
    object_repr = models.CharField("objet", max_length=300, blank=True)
    data = models.JSONField("données", default=dict, blank=True)

    objects = JournalEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "entrée du journal"
        verbose_name_plural = "journal"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"{datetime_fr(self.at)} {self.action}"


class NotificationChannel(models.TextChoices):
    EMAIL = "email", "e-mail"
    MATTERMOST = "mattermost", "Mattermost"
    MATRIX = "matrix", "Matrix (Tchap)"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "à envoyer"
    SENDING = "sending", "envoi en cours"
    SENT = "sent", "envoyée"
    FAILED = "failed", "échec"
    EXPIRED = "expired", "expirée"


class NotificationQuerySet(models.QuerySet):
    def failed(self):
        return self.filter(status=NotificationStatus.FAILED)

    def due(self, now=None):
        """Rows a worker should attempt now: pending and due, or claimed by a worker that died."""
        now = now or timezone.now()
        stale_claim = now - timezone.timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT)
        return self.filter(
            Q(status=NotificationStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=NotificationStatus.SENDING, claimed_at__lt=stale_claim)
        )


class Notification(models.Model):
    """A message to deliver on one channel to one recipient: the outbox row.

    It is written in the same transaction as the business change that causes it, so a rolled-back
    change never notifies and a committed one is never lost. Delivery state moves by conditional
    UPDATEs, so a message is sent at most once per row even when a task runs twice.
    """

    created_at = models.DateTimeField("créée le", default=timezone.now, db_index=True)
    kind = models.CharField("type", max_length=100)
    channel = models.CharField("canal", max_length=20, choices=NotificationChannel.choices)
    recipient = models.CharField(
        "destinataire", max_length=254, help_text="Adresse e-mail, canal Mattermost ou salon Matrix."
    )
    subject = models.CharField("objet", max_length=300, blank=True)
    body = models.TextField("contenu")
    # A secret-bearing message (a login link) is erased once delivered and not sent after it expires.
    sensitive = models.BooleanField("contenu sensible", default=False)
    confidential = models.BooleanField(
        "confidentielle",
        default=False,
        help_text="Concerne une demande confidentielle : ni son destinataire ni son objet ne sont montrés.",
    )
    expires_at = models.DateTimeField("n'est plus à envoyer après", null=True, blank=True)
    # E-mail only: extra headers (Reply-To with a reply token, In-Reply-To/References, Auto-Submitted…), written
    # over the defaults at send time.
    headers = models.JSONField("en-têtes", default=dict, blank=True)

    status = models.CharField(
        "état", max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    next_attempt_at = models.DateTimeField("prochaine tentative", default=timezone.now)
    claimed_at = models.DateTimeField("prise par un worker le", null=True, blank=True)
    sent_at = models.DateTimeField("envoyée le", null=True, blank=True)
    last_error = models.TextField("dernière erreur", blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "notification"
        verbose_name_plural = "notifications"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient} : {self.subject or self.kind}"


class WorkerHeartbeat(models.Model):
    """One row per task worker, touched by its housekeeping task."""

    worker_id = models.CharField("worker", max_length=64, unique=True)
    beat_at = models.DateTimeField("dernier signe de vie", default=timezone.now)

    class Meta:
        verbose_name = "signe de vie d'un worker"
        verbose_name_plural = "signes de vie des workers"

    def __str__(self):
        return f"{self.worker_id} ({date_fr(self.beat_at)} à {timezone.localtime(self.beat_at):%H:%M:%S})"
