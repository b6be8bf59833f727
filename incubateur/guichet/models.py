"""The guichet: requests to the Incubator, their messages, who may read a confidential one, offers of help,
and the routing table (data staff edit).

Who may see what is said once, in `TicketQuerySet.for_user()` and `OfferQuerySet.for_user()`: every page,
list, count, search, export and API answer starts from them.
"""

import secrets

from django.conf import settings
from django.core.files.storage import default_storage, storages
from django.core.signals import setting_changed
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject, empty

from incubateur.core.ministries import MINISTRY_CHOICES
from incubateur.core.roles import is_member, is_staff
from incubateur.core.text import datetime_fr, number_fr
from incubateur.guichet.converters import LENGTH as REFERENCE_LENGTH
from incubateur.guichet.converters import is_reference, new_reference
from incubateur.guichet.kinds import Kind, Topic
from incubateur.registry.models import Product

# A message (a request's text, a reply or an internal note, an offer of help, a refusal's reason) is at most this many
# characters: more than any real message needs, few enough for an e-mail and a page to stay readable. The forms say it
# beside the field and refuse more; the services refuse it too, so the API answers a 400 on the field.
MESSAGE_MAX = 10_000
MESSAGE_MAX_HELP = f"{number_fr(MESSAGE_MAX)} caractères au plus"


def message_length(text: str) -> int:
    """Characters as typed: a line break counts once, whether the browser sent it as CR LF or LF."""
    return len((text or "").replace("\r\n", "\n"))


def message_too_long(text: str) -> str | None:
    """The sentence refusing `text` when it is over `MESSAGE_MAX`, else None."""
    length = message_length(text)
    if length <= MESSAGE_MAX:
        return None
    return (
        f"Ce message fait {number_fr(length)} caractères : {number_fr(MESSAGE_MAX)} au plus. Raccourcissez-le, "
        "ou mettez le détail dans un document partagé et donnez-en le lien."
    )


class Status(models.TextChoices):
    NEW = "nouveau", "Nouvelle"
    IN_PROGRESS = "pris-en-charge", "Prise en charge"
    WAITING = "en-attente-demandeur", "En attente de votre réponse"
    RESOLVED = "resolu", "Résolue"
    CLOSED = "clos", "Close"


OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING)

# What the people who handle a request may do, from each status.
HANDLER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED),
    Status.IN_PROGRESS: (Status.WAITING, Status.RESOLVED),
    Status.WAITING: (Status.IN_PROGRESS, Status.RESOLVED),
    Status.RESOLVED: (Status.IN_PROGRESS, Status.CLOSED),
    Status.CLOSED: (),
}
# What the requester may do: say it is settled, or reopen it.
REQUESTER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.RESOLVED,),
    Status.IN_PROGRESS: (Status.RESOLVED,),
    Status.WAITING: (Status.RESOLVED,),
    Status.RESOLVED: (Status.IN_PROGRESS,),
    Status.CLOSED: (Status.IN_PROGRESS,),
}


class Channel(models.TextChoices):
    WEB = "web", "formulaire du guichet"
    API = "api", "API"
    PHONE = "telephone", "téléphone"
    EMAIL = "email", "e-mail"
    MEETING = "rencontre", "de vive voix"
    OFFER = "offre", "offre d'aide acceptée"


class RoutingRule(models.Model):
    """One row of the routing table: kind × topic × portfolio → who receives the request.

    The most specific row wins: topic and portfolio, then topic, then portfolio, then the kind alone.
    """

    class Target(models.TextChoices):
        PORTFOLIO_MANAGER = "portefeuille", "la ou le responsable du portefeuille concerné"
        POLE = "pole", "un pôle (son référent du guichet, à défaut sa ou son responsable)"
        PERSON = "personne", "une personne"
        OPERATIONS_LEAD = "operations", "la ou le responsable des opérations (PMO)"
        CHOSEN = "choix", "la personne que le demandeur choisit"

    kind = models.CharField("type de demande", max_length=40, choices=Kind.choices)
    topic = models.CharField("sujet", max_length=40, choices=Topic.choices, blank=True, help_text="Vide : tous.")
    portfolio = models.ForeignKey(
        "organisation.Portfolio",
        verbose_name="portefeuille",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Vide : tous les portefeuilles.",
    )
    target = models.CharField("attribuer à", max_length=20, choices=Target.choices)
    pole = models.ForeignKey(
        "organisation.Pole", verbose_name="pôle", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="personne",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    copy_portfolio_manager = models.BooleanField("responsable du portefeuille en copie", default=False)
    fallback_pole = models.ForeignKey(
        "organisation.Pole",
        verbose_name="pôle de repli",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Reçoit la demande quand personne n'est trouvé (aucun portefeuille, poste vacant).",
    )
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "règle de routage"
        verbose_name_plural = "règles de routage"
        ordering = ["kind", "topic", "portfolio__order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "topic"],
                condition=Q(portfolio__isnull=True),
                name="one_rule_per_kind_topic",
                violation_error_message="Une règle existe déjà pour ce type de demande et ce sujet.",
            ),
            models.UniqueConstraint(
                fields=["kind", "topic", "portfolio"],
                condition=Q(portfolio__isnull=False),
                name="one_rule_per_kind_topic_portfolio",
                violation_error_message="Une règle existe déjà pour ce type de demande, ce sujet et ce portefeuille.",
            ),
            models.CheckConstraint(
                condition=~Q(target="pole") | Q(pole__isnull=False),
                name="pole_rule_names_a_pole",
                violation_error_message="Choisissez le pôle qui reçoit ces demandes.",
            ),
            models.CheckConstraint(
                condition=~Q(target="personne") | Q(person__isnull=False),
                name="person_rule_names_a_person",
                violation_error_message="Choisissez la personne qui reçoit ces demandes.",
            ),
        ]

    def __str__(self):
        parts = [self.get_kind_display()]
        if self.topic:
            parts.append(self.get_topic_display())
        if self.portfolio_id:
            parts.append(f"portefeuille {self.portfolio}")
        return " · ".join(parts)


class TicketQuerySet(models.QuerySet):
    def for_user(self, user):
        """The requests this account may see.

        - its own requests, and the requests a team it is in accepted as an offer of help (not confidential);
        - Incubator staff and administrators: every request that is not confidential;
        - a confidential request: only its requester and its participants (the chosen recipient and the people
          they added). Nobody else, administrators included.
        """
        if not is_member(user):
            return self.none()
        participant = Exists(Participant.objects.filter(ticket=OuterRef("pk"), user=user))
        if is_staff(user):
            # Every request that is not confidential: the team's are among them, and their subquery (a scan of the
            # products) would cost every staff list its time at scale (#19).
            return self.filter(Q(requester=user) | Q(confidential=True) & participant | Q(confidential=False))
        team = Q(team_owned=True, product__in=Product.objects.with_active_member(user).values("pk"))
        return self.filter(Q(requester=user) | Q(confidential=True) & participant | Q(confidential=False) & team)

    def named(self, reference: str):
        """The request of this reference (as people read and type it: case does not matter); none for a text that
        is not a reference (an id, or anything else: the database never sees it)."""
        if not is_reference(reference):
            return self.none()
        return self.filter(reference=reference.upper())

    def for_page(self):
        """What the request page shows besides the request (one query)."""
        return self.select_related("product", "assignee", "requester", "recorded_by", "pole")

    def requester_side(self, user):
        """The requests the user asked, and the requests their product teams own (an accepted offer of help): not
        every request a member of the Incubator can see. Narrows; the scope is still `for_user`."""
        team = Q(team_owned=True, product__in=Product.objects.with_active_member(user).values("pk"))
        return self.filter(Q(requester=user) | team)

    # The conditions as Q objects too: the desk counts its tabs with them in one query.
    @staticmethod
    def open_q() -> Q:
        return Q(status__in=OPEN_STATUSES)

    @classmethod
    def overdue_q(cls, now=None) -> Q:
        return cls.open_q() & Q(first_response_at__isnull=True, first_response_due__lt=now or timezone.now())

    def open(self):
        return self.filter(self.open_q())

    def unanswered(self):
        return self.open().filter(first_response_at__isnull=True)

    def overdue(self, now=None):
        return self.filter(self.overdue_q(now))

    def search(self, query: str):
        """Words found in the subject, the body or the product's name (all words, any case)."""
        for word in query.split():
            self = self.filter(Q(subject__icontains=word) | Q(body__icontains=word) | Q(product__name__icontains=word))
        return self


class Ticket(models.Model):
    """A request to the Incubator ("demande"). It is named to people by its `reference` (random, see
    `converters`), never by its sequential primary key."""

    reference = models.CharField(
        "référence",
        max_length=REFERENCE_LENGTH,
        unique=True,
        default=new_reference,
        editable=False,
        help_text="Tirée au hasard à la création (ex. G-7K3Q-M2XR) : c'est elle qui nomme la demande, partout.",
    )
    kind = models.CharField("type de demande", max_length=40, choices=Kind.choices)
    topic = models.CharField("sujet", max_length=40, choices=Topic.choices, blank=True)
    subject = models.CharField("objet", max_length=200)
    body = models.TextField("message")
    product = models.ForeignKey(
        "registry.Product",
        verbose_name="produit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ministry = models.CharField("ministère", max_length=40, choices=MINISTRY_CHOICES, blank=True)
    confidential = models.BooleanField("confidentielle", default=False)
    team_owned = models.BooleanField(
        "partagée avec l'équipe du produit",
        default=False,
        help_text="Une offre d'aide acceptée : toute l'équipe active du produit suit la demande.",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="demandeur", on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="enregistrée par",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Rempli quand un membre de l'Incubateur a saisi la demande pour le compte du demandeur.",
    )
    channel = models.CharField("reçue par", max_length=20, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField("statut", max_length=30, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="attribuée à",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    pole = models.ForeignKey(
        "organisation.Pole", verbose_name="pôle", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    portfolio = models.ForeignKey(
        "organisation.Portfolio",
        verbose_name="portefeuille",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    copied = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="en copie", blank=True, related_name="+")
    routing_reason = models.CharField("raison de l'attribution", max_length=500)
    created_at = models.DateTimeField("créée le", default=timezone.now)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    first_response_due = models.DateTimeField("première réponse attendue avant")
    first_response_at = models.DateTimeField("première réponse le", null=True, blank=True)
    resolved_at = models.DateTimeField("résolue le", null=True, blank=True)
    closed_at = models.DateTimeField("close le", null=True, blank=True)
    reminder_sent_at = models.DateTimeField("rappel envoyé le", null=True, blank=True)
    escalated_at = models.DateTimeField("retard signalé le", null=True, blank=True)
    # Optimistic locking: every change of status or assignment checks and bumps it.
    version = models.PositiveIntegerField("version", default=1)
    idempotency_key = models.CharField("clé d'idempotence", max_length=100, null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = "demande"
        verbose_name_plural = "demandes"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="one_ticket_per_idempotency_key",
            )
        ]
        indexes = [
            # The desk and the API list the newest first: without it, 100,000 requests are sorted per page.
            models.Index(fields=["-created_at", "-id"], name="guichet_ticket_newest"),
            models.Index(fields=["status", "first_response_due"]),
            # The desk's work queues (#19), most urgent first: « À traiter » and « Non attribuées » (an assignee, or
            # none, and an open status), « Par pôle ». Each reads its open rows by index and sorts only those.
            # `confidential` and `requester` close each one: `for_user`'s test of a row is then read in the index
            # too, and the tabs' bounded counts never visit the table (at 100,000 requests, 1,000 scattered row
            # reads per tab: 18 ms a desk, against 1 ms).
            models.Index(
                fields=["assignee", "status", "first_response_due", "id", "confidential", "requester"],
                name="guichet_ticket_assignee_q",
            ),
            models.Index(
                fields=["pole", "status", "first_response_due", "id", "confidential", "requester"],
                name="guichet_ticket_pole_q",
            ),
            # « En retard »: open, never answered (IS NULL is an equality for the index), due before now.
            models.Index(
                fields=["status", "first_response_at", "first_response_due", "id", "confidential", "requester"],
                name="guichet_ticket_overdue_q",
            ),
            models.Index(fields=["requester", "-created_at"]),
        ]

    def __str__(self):
        # Never the subject: this string lands in the journal and the admin, confidential requests included.
        return f"Demande {self.reference}"

    def get_absolute_url(self):
        return reverse("guichet:ticket", args=[self.reference])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now=None) -> bool:
        return self.is_open and self.first_response_at is None and (now or timezone.now()) > self.first_response_due

    def next_statuses(self, *, handler: bool, requester: bool) -> list[str]:
        allowed: list[str] = []
        if handler:
            allowed += HANDLER_TRANSITIONS[self.status]
        if requester:
            allowed += [s for s in REQUESTER_TRANSITIONS[self.status] if s not in allowed]
        return allowed

    def can_be_reopened(self) -> bool:
        return self.status in (Status.RESOLVED, Status.CLOSED)


class Participant(models.Model):
    """Who may read a confidential request besides its requester: the chosen recipient, and the people they
    add (the requester is told who)."""

    ticket = models.ForeignKey(Ticket, verbose_name="demande", on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="personne", on_delete=models.PROTECT)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="accès donné par",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField("accès donné le", default=timezone.now)

    class Meta:
        verbose_name = "personne ayant accès"
        verbose_name_plural = "personnes ayant accès"
        ordering = ["added_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="one_participation")]

    def __str__(self):
        return f"{self.user} — {self.ticket}"


class Read(models.Model):
    """A read of a confidential request by someone other than its requester ("qui a consulté ma demande")."""

    ticket = models.ForeignKey(Ticket, verbose_name="demande", on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="personne", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("consultée le", default=timezone.now)

    class Meta:
        verbose_name = "consultation"
        verbose_name_plural = "consultations"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.user} — {self.ticket} — {datetime_fr(self.at)}"


class MessageQuerySet(models.QuerySet):
    def visible(self, *, include_internal: bool):
        """Replies for everyone who sees the request; internal notes too with `include_internal`, which is
        `perms.can_write_internal_note(user, ticket)`: the people who handle the request, never its requester."""
        return self if include_internal else self.filter(internal=False)


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, verbose_name="demande", on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="auteur", null=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField("message")
    internal = models.BooleanField("note interne", default=False)
    created_at = models.DateTimeField("envoyé le", default=timezone.now)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = "message"
        verbose_name_plural = "messages"
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Message n°{self.pk} — {self.ticket}"


class OfferStatus(models.TextChoices):
    PENDING = "proposee", "Proposée"
    ACCEPTED = "acceptee", "Acceptée"
    DECLINED = "refusee", "Refusée"
    WITHDRAWN = "retiree", "Retirée"


class OfferQuerySet(models.QuerySet):
    def for_user(self, user):
        """Incubator staff see every offer; a member sees the offers made to the products whose active team
        they are in."""
        if not is_member(user):
            return self.none()
        if is_staff(user):
            return self
        return self.filter(product__in=Product.objects.with_active_member(user).values("pk"))

    def pending(self):
        return self.filter(status=OfferStatus.PENDING)


class Offer(models.Model):
    """An offer of help to a product team. Until the team accepts it, nothing else happens."""

    product = models.ForeignKey("registry.Product", verbose_name="produit", on_delete=models.CASCADE, related_name="+")
    topic = models.CharField("sujet", max_length=200)
    message = models.TextField("message")
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="proposée par", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("statut", max_length=20, choices=OfferStatus.choices, default=OfferStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="décision de",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("décidée le", null=True, blank=True)
    decline_reason = models.TextField("raison du refus", blank=True)
    ticket = models.OneToOneField(
        Ticket, verbose_name="demande", null=True, blank=True, on_delete=models.SET_NULL, related_name="offer"
    )
    created_at = models.DateTimeField("proposée le", default=timezone.now)

    objects = OfferQuerySet.as_manager()

    class Meta:
        verbose_name = "offre d'aide"
        verbose_name_plural = "offres d'aide"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Offre d'aide n°{self.pk} — {self.product}"

    @property
    def is_pending(self) -> bool:
        return self.status == OfferStatus.PENDING


# --- Attachments (#18) -----------------------------------------------------------------------------------------------


class _AttachmentStorage(LazyObject):
    """The storage of attachments: `STORAGES["guichet"]` (the default storage when the project names none), looked
    up when first used and again after a test changes `STORAGES` (django-storages plugs S3 here, see README)."""

    def _setup(self):
        self._wrapped = storages[ATTACHMENT_STORAGE] if ATTACHMENT_STORAGE in settings.STORAGES else default_storage


ATTACHMENT_STORAGE = "guichet"
_attachment_storage = _AttachmentStorage()


def attachment_storage():
    return _attachment_storage


@receiver(setting_changed)
def _attachment_storage_changed(*, setting, **kwargs):
    if setting in ("STORAGES", "MEDIA_ROOT"):
        _attachment_storage._wrapped = empty


def file_size_fr(size: int) -> str:
    """« 12 octets », « 340 ko », « 2,5 Mo »."""
    if size < 1024:
        return f"{number_fr(size)} octet{'s' if size > 1 else ''}"
    if size < 1024 * 1024:
        return f"{number_fr(round(size / 1024))} ko"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0").replace(".", ",") + " Mo"


def attachment_upload_to(instance, filename: str) -> str:
    """A random name, never the name the person gave (it is kept, sanitised, in `name`, for display only): nobody
    can guess a file's path, and no name ever reaches the filesystem or the storage."""
    now = timezone.now()
    return f"guichet/{now:%Y/%m}/{secrets.token_urlsafe(24)}"


class AttachmentQuerySet(models.QuerySet):
    def for_user(self, user):
        """The attachments this account may download: those of the requests it sees (`Ticket.objects.for_user`:
        a confidential request's only for its requester and participants); an internal note's only for who may
        read internal notes (`perms.can_write_internal_note`: the people who handle the request, never its
        requester)."""
        if not is_member(user):
            return self.none()
        participant = Exists(Participant.objects.filter(ticket=OuterRef("ticket"), user=user))
        handles = Q(ticket__confidential=True) & participant
        if is_staff(user):
            handles |= Q(ticket__confidential=False)
        notes = handles & ~Q(ticket__requester=user)
        # The request's scope as a correlated EXISTS on its primary key, not `ticket__in` (a list of every request
        # the account sees, built in full by SQLite on every read of an attachment: 100 ms at 100,000, #19).
        visible = Exists(Ticket.objects.for_user(user).filter(pk=OuterRef("ticket")))
        return self.filter(visible).filter(
            Q(message__isnull=True) | Q(message__internal=False) | Q(message__internal=True) & notes
        )


class Attachment(models.Model):
    """A file attached to a request (`message` empty) or to one of its messages, from the web forms or a mail.

    The file lives in the attachments' storage under a random name; it is served only by `guichet:attachment`,
    which applies `Attachment.objects.for_user` (never a public URL)."""

    ticket = models.ForeignKey(Ticket, verbose_name="demande", on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message,
        verbose_name="message",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
        help_text="Vide : jointe à la demande elle-même.",
    )
    file = models.FileField("fichier", upload_to=attachment_upload_to, storage=attachment_storage, max_length=200)
    name = models.CharField(
        "nom", max_length=200, help_text="Le nom donné par la personne, nettoyé : affiché seulement."
    )
    content_type = models.CharField("type", max_length=120, help_text="Reconnu d'après le contenu du fichier.")
    size = models.PositiveBigIntegerField("taille (octets)")
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    source = models.CharField(
        "reçue par", max_length=10, choices=[("web", "formulaire"), ("mail", "e-mail")], default="web"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="déposée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("déposée le", default=timezone.now)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = "pièce jointe"
        verbose_name_plural = "pièces jointes"
        ordering = ["created_at", "pk"]

    def __str__(self):
        # Never the name: it may say what a confidential request is about.
        return f"Pièce jointe n°{self.pk} — {self.ticket}"

    def get_absolute_url(self):
        return reverse("guichet:attachment", args=[self.pk])

    @property
    def size_label(self) -> str:
        return file_size_fr(self.size)

    @property
    def type_label(self) -> str:
        """« PDF », « PNG », « DOCX »: the name's extension (checked against the content when stored)."""
        stem, dot, extension = self.name.rpartition(".")
        return extension.upper() if dot and stem else "Fichier"


# --- Mail intake (#18) ---------------------------------------------------------------------------------------------


class InboundMailOutcome(models.TextChoices):
    TICKET = "demande", "demande créée"
    REPLY = "reponse", "réponse ajoutée"
    NOTE = "note", "note interne ajoutée"
    HELD = "a-trier", "à trier"
    IGNORED = "ignore", "ignoré (automatique, rebond, boucle)"
    RATE_LIMITED = "trop-de-messages", "refusé : trop de messages"
    REFUSED = "refuse", "refusé : trop volumineux"
    QUALIFIED = "qualifie", "trié : demande créée"
    DISMISSED = "ecarte", "trié : écarté"


class InboundMailQuerySet(models.QuerySet):
    def for_user(self, user):
        """The received mails this account may triage: Incubator staff see those that concern no request (a new
        request from an unverified sender) and those about a request they may see (`Ticket.objects.for_user`): a
        mail about a confidential request stays with its requester and participants."""
        if not is_staff(user):
            return self.none()
        return self.filter(Q(ticket__isnull=True) | Q(ticket__in=Ticket.objects.for_user(user).values("pk")))

    def held(self):
        return self.filter(outcome=InboundMailOutcome.HELD)


class InboundMail(models.Model):
    """One mail received (IMAP or pipe), recorded in the transaction of what it caused: its SHA-256 is unique, so a
    message read twice (a crash before the commit, a second fetch, a second mailbox) is processed once."""

    sha256 = models.CharField("empreinte SHA-256", max_length=64, unique=True)
    rfc_message_id = models.CharField("Message-ID", max_length=500, blank=True, db_index=True)
    received_at = models.DateTimeField("reçu le", default=timezone.now, db_index=True)
    source = models.CharField("reçu par", max_length=300, help_text="La boîte IMAP (sans mot de passe) ou « stdin ».")
    sender = models.EmailField("expéditeur", max_length=254, blank=True)
    verified = models.BooleanField("expéditeur vérifié", default=False)
    subject = models.CharField("objet", max_length=300, blank=True)
    outcome = models.CharField("suite donnée", max_length=20, choices=InboundMailOutcome.choices)
    reason = models.CharField("raison", max_length=500, blank=True)
    ticket = models.ForeignKey(
        Ticket, verbose_name="demande", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(
        Message, verbose_name="message", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    raw = models.BinaryField("message d'origine")
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="trié par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField("trié le", null=True, blank=True)

    objects = InboundMailQuerySet.as_manager()

    class Meta:
        verbose_name = "e-mail reçu"
        verbose_name_plural = "e-mails reçus"
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["outcome", "-received_at"], name="guichet_inboundmail_outcome")]

    def __str__(self):
        # Never the subject: it may say what a confidential request is about.
        return f"E-mail reçu n°{self.pk}"
