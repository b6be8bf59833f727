"""Programmes (FAST, consolidation, FINDPE, EIG, AIC…), their calls, applications, reviews and decisions.

The rules of a call (its questions, eligibility and selection criteria, envelope, cap, co-financing share) are
data on the call, not code: they changed every year. They freeze when the call opens (`Call.is_frozen`).
Amounts are whole euros.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incubateur.core.roles import is_member, is_staff
from incubateur.registry.models import Product


class Programme(models.Model):
    slug = models.SlugField("identifiant", unique=True)
    name = models.CharField("nom", max_length=200)
    description = models.TextField("présentation", blank=True)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "programme"
        verbose_name_plural = "programmes"
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class ApplicantType(models.TextChoices):
    PRODUCT = "produit", "une équipe produit"
    ADMINISTRATION = "administration", "une administration"
    PERSON = "personne", "une personne"
    ASSOCIATION = "association", "une association"


class CallQuerySet(models.QuerySet):
    def open(self, now=None):
        now = now or timezone.now()
        return self.filter(opens_at__lte=now, closes_at__gt=now)

    def visible(self):
        """Calls the public sees: announced (with an opening date) or historical."""
        return self.filter(Q(opens_at__isnull=False) | Q(historical=True))


class Call(models.Model):
    """An "appel", "édition" or "promotion" of a programme."""

    programme = models.ForeignKey(Programme, verbose_name="programme", on_delete=models.PROTECT, related_name="calls")
    title = models.CharField("titre", max_length=200)
    number = models.PositiveSmallIntegerField("numéro (promotion, édition)", null=True, blank=True)
    description = models.TextField("présentation", blank=True)
    opens_at = models.DateTimeField("ouverture", null=True, blank=True, help_text="Heure de Paris.")
    closes_at = models.DateTimeField("clôture", null=True, blank=True, help_text="Heure de Paris.")
    applicant_type = models.CharField(
        "qui candidate", max_length=20, choices=ApplicantType.choices, default=ApplicantType.PRODUCT
    )
    envelope = models.PositiveBigIntegerField("enveloppe (€)", null=True, blank=True)
    cap = models.PositiveBigIntegerField("plafond par candidature (€)", null=True, blank=True)
    max_cofinancing_share = models.PositiveSmallIntegerField(
        "part maximale de co-financement (%)", null=True, blank=True, help_text="De 0 à 100."
    )
    results_published_at = models.DateTimeField("résultats publiés le", null=True, blank=True)
    historical = models.BooleanField(
        "édition passée importée", default=False, help_text="Créée depuis l'arborescence de beta.gouv.fr (_fasts/)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="créé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("créé le", default=timezone.now)

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = "appel"
        verbose_name_plural = "appels"
        # NULLs last on both databases (PostgreSQL puts them first in a descending sort, SQLite last).
        ordering = [
            "programme__order",
            "programme__name",
            models.F("number").desc(nulls_last=True),
            models.F("opens_at").desc(nulls_last=True),
            "-pk",
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(opens_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="call_closes_after_it_opens",
            ),
            models.CheckConstraint(
                condition=Q(max_cofinancing_share__isnull=True) | Q(max_cofinancing_share__lte=100),
                name="cofinancing_share_is_a_percentage",
            ),
            models.UniqueConstraint(
                fields=["programme", "number"], condition=Q(number__isnull=False), name="one_call_per_number"
            ),
        ]

    def __str__(self):
        return self.title

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(self.opens_at and self.closes_at and self.opens_at <= now < self.closes_at)

    def is_closed(self, now=None) -> bool:
        return bool(self.closes_at and (now or timezone.now()) >= self.closes_at)

    def is_frozen(self, now=None) -> bool:
        """Its rules (questions, criteria, envelope, cap, share, dates of opening) no longer change once open."""
        return self.historical or bool(self.opens_at and (now or timezone.now()) >= self.opens_at)

    @property
    def results_published(self) -> bool:
        """A past edition imported from beta.gouv.fr had its results published there (its date is unknown:
        `results_published_at` stays empty), as its state says (« résultats publiés »)."""
        return self.historical or self.results_published_at is not None

    def state_label(self, now=None) -> str:
        if self.results_published:
            return "résultats publiés"
        if self.opens_at is None:
            return "en préparation"
        now = now or timezone.now()
        if now < self.opens_at:
            return "à venir"
        if self.is_open(now):
            return "ouvert"
        return "clos"


class QuestionType(models.TextChoices):
    TEXT = "texte", "texte court"
    LONG_TEXT = "texte-long", "texte long"
    NUMBER = "nombre", "nombre"
    MONEY = "montant", "montant (€)"
    DATE = "date", "date"
    CHOICE = "choix", "choix dans une liste"
    URL = "url", "adresse web"
    FILE_LINK = "lien-fichier", "lien vers un fichier"


class Question(models.Model):
    call = models.ForeignKey(Call, verbose_name="appel", on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField("identifiant", max_length=50)
    label = models.CharField("question", max_length=300)
    help_text = models.CharField("aide", max_length=500, blank=True)
    type = models.CharField("type", max_length=20, choices=QuestionType.choices, default=QuestionType.TEXT)
    required = models.BooleanField("obligatoire", default=True)
    choices = models.JSONField("choix possibles", default=list, blank=True)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "question"
        verbose_name_plural = "questions"
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["call", "key"], name="one_question_per_key")]

    def __str__(self):
        return self.label


class EligibilityCheck(models.TextChoices):
    """Automatic checks on the product (evaluated at submission); `manuel` is checked by staff."""

    ACTIVE_PHASE = "phase-active", "le produit est en investigation, construction, accélération ou consolidation"
    PUBLIC_REPOSITORY = "code-public", "le code source est public"
    PUBLIC_STATS = "stats-publiques", "une page de statistiques publique"
    PUBLIC_BUDGET = "budget-public", "un budget public"
    DASHLORD = "dashlord", "le produit est suivi sur DashLord"
    MANUAL = "manuel", "vérifié par l'équipe de l'Incubateur"


class EligibilityCriterion(models.Model):
    call = models.ForeignKey(Call, verbose_name="appel", on_delete=models.CASCADE, related_name="eligibility_criteria")
    label = models.CharField("critère", max_length=300)
    verification = models.CharField("vérification", max_length=20, choices=EligibilityCheck.choices)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "critère d'éligibilité"
        verbose_name_plural = "critères d'éligibilité"
        ordering = ["order", "pk"]

    def __str__(self):
        return self.label


class SelectionCriterion(models.Model):
    call = models.ForeignKey(Call, verbose_name="appel", on_delete=models.CASCADE, related_name="selection_criteria")
    label = models.CharField("critère", max_length=200)
    description = models.CharField("précisions", max_length=500, blank=True)
    weight = models.PositiveSmallIntegerField("poids", default=1)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "critère de sélection"
        verbose_name_plural = "critères de sélection"
        ordering = ["order", "pk"]
        constraints = [models.CheckConstraint(condition=Q(weight__gte=1), name="criterion_weight_positive")]

    def __str__(self):
        return f"{self.label} (poids {self.weight})"


class ApplicationStatus(models.TextChoices):
    DRAFT = "brouillon", "Brouillon"
    SUBMITTED = "deposee", "Déposée"
    INADMISSIBLE = "irrecevable", "Irrecevable"
    UNDER_REVIEW = "en-instruction", "En instruction"
    IN_COMMITTEE = "en-comite", "En comité"
    LAUREATE = "laureate", "Lauréate"
    NOT_SELECTED = "non-retenue", "Non retenue"
    AGREEMENT = "convention", "Convention"
    SUPPORT = "accompagnement", "Accompagnement"
    DONE = "terminee", "Terminée"


# Staff moves an application along these edges (decisions go through `application_decide`).
STAFF_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ApplicationStatus.SUBMITTED: (ApplicationStatus.INADMISSIBLE, ApplicationStatus.UNDER_REVIEW),
    ApplicationStatus.UNDER_REVIEW: (ApplicationStatus.INADMISSIBLE, ApplicationStatus.IN_COMMITTEE),
    ApplicationStatus.IN_COMMITTEE: (ApplicationStatus.UNDER_REVIEW,),
    ApplicationStatus.LAUREATE: (ApplicationStatus.AGREEMENT,),
    ApplicationStatus.AGREEMENT: (ApplicationStatus.SUPPORT,),
    ApplicationStatus.SUPPORT: (ApplicationStatus.DONE,),
}
DECIDABLE = (ApplicationStatus.UNDER_REVIEW, ApplicationStatus.IN_COMMITTEE)
RUNNING = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.IN_COMMITTEE,
    ApplicationStatus.LAUREATE,
    ApplicationStatus.AGREEMENT,
    ApplicationStatus.SUPPORT,
)
DECIDED = (ApplicationStatus.LAUREATE, ApplicationStatus.NOT_SELECTED)
GRANTED = (
    ApplicationStatus.LAUREATE,
    ApplicationStatus.AGREEMENT,
    ApplicationStatus.SUPPORT,
    ApplicationStatus.DONE,
)


class ApplicationQuerySet(models.QuerySet):
    def for_user(self, user):
        """An applicant sees their own and, for a product's application, every member of the product's active team
        sees it (a team applies through any of its members); Incubator staff also see every application once
        submitted (`instructed()`): a draft is its applicants' business. The one scoping of the pages and the API."""
        if not is_member(user):
            return self.none()
        mine = self.filter(Q(applicant=user) | Q(product__in=Product.objects.with_active_member(user).values("pk")))
        if is_staff(user):
            return mine | self.instructed()
        return mine

    def instructed(self):
        """What the Incubator's staff see and instruct: every application but the drafts."""
        return self.exclude(status=ApplicationStatus.DRAFT)

    def running(self):
        return self.filter(status__in=RUNNING)

    def granted(self):
        return self.filter(status__in=GRANTED)


class Application(models.Model):
    call = models.ForeignKey(Call, verbose_name="appel", on_delete=models.PROTECT, related_name="applications")
    product = models.ForeignKey(
        "registry.Product",
        verbose_name="produit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="déposée par",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    applicant_name = models.CharField(
        "candidat", max_length=300, blank=True, help_text="L'administration, l'association ou la personne."
    )
    answers = models.JSONField("réponses", default=dict, blank=True)
    stated_budget = models.PositiveBigIntegerField("budget du projet (€)", null=True, blank=True)
    amount_requested = models.PositiveBigIntegerField("montant demandé (€)", null=True, blank=True)
    status = models.CharField(
        "statut", max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    eligibility = models.JSONField(
        "éligibilité", default=dict, blank=True, help_text="Résultat de chaque critère : {id: true/false/null}."
    )
    amount_granted = models.PositiveBigIntegerField("montant accordé (€)", null=True, blank=True)
    decision_reasons = models.TextField("motifs de la décision", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="décidée par",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("décidée le", null=True, blank=True)
    submitted_at = models.DateTimeField("déposée le", null=True, blank=True)
    created_at = models.DateTimeField("créée le", default=timezone.now)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = "candidature"
        verbose_name_plural = "candidatures"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "product"], condition=Q(product__isnull=False), name="one_application_per_product"
            )
        ]
        indexes = [models.Index(fields=["call", "status"])]

    def __str__(self):
        return f"Candidature n°{self.pk} — {self.display_name}"

    @property
    def display_name(self) -> str:
        if self.product_id:
            return self.product.name
        return self.applicant_name or "candidature"

    @property
    def is_draft(self) -> bool:
        return self.status == ApplicationStatus.DRAFT

    def public_status(self) -> str:
        """The status the applicant sees: a decision (and what follows it) stays "en comité" until the call's
        results are published."""
        if self.status in (*DECIDED, *GRANTED) and not self.call.results_published:
            return ApplicationStatus.IN_COMMITTEE
        return self.status

    def public_status_label(self) -> str:
        return ApplicationStatus(self.public_status()).label

    def next_statuses(self) -> tuple[str, ...]:
        return STAFF_TRANSITIONS.get(self.status, ())


class Review(models.Model):
    """A staff reviewer's scores (1–5 per selection criterion) on one application. Blind: the others' scores are
    shown to a reviewer once they submit theirs. `withdrawn`: the reviewer stepped aside (a conflict)."""

    application = models.ForeignKey(
        Application, verbose_name="candidature", on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="relecteur", on_delete=models.PROTECT, related_name="+"
    )
    scores = models.JSONField("notes", default=dict, blank=True, help_text="{id du critère: note de 1 à 5}")
    comment = models.TextField("commentaire", blank=True)
    submitted_at = models.DateTimeField("remise le", null=True, blank=True)
    withdrawn = models.BooleanField("se retire (conflit d'intérêts)", default=False)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "évaluation"
        verbose_name_plural = "évaluations"
        ordering = ["submitted_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["application", "reviewer"], name="one_review_per_reviewer")]

    def __str__(self):
        return f"Évaluation de {self.reviewer} — candidature n°{self.application_id}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None and not self.withdrawn

    def weighted_score(self, criteria) -> float | None:
        """Σ score × weight / Σ weight over the criteria; None until every criterion is scored."""
        total = weights = 0
        for criterion in criteria:
            score = self.scores.get(str(criterion.pk))
            if score is None:
                return None
            total += int(score) * criterion.weight
            weights += criterion.weight
        return round(total / weights, 2) if weights else None
