"""The forms of the staff pages: a call, its rules (three formsets), the instruction of an application
(eligibility, status), a review, a decision, and the filter of a call's applications.

Forms check the shape of what is typed; the rules themselves (frozen fields, transitions, amounts) are the
services': their `ValidationError`s land next to the fields they name (`BaseForm.add_service_errors`).
"""

from django import forms
from django.core.exceptions import ValidationError

from incubateur.programmes.models import (
    ApplicationStatus,
    Call,
    EligibilityCheck,
    Programme,
    QuestionType,
)
from incubateur.programmes.services import FROZEN_FIELDS
from incubateur.ui.forms import BaseForm

FROZEN_HELP = "L'appel est ouvert : ce champ fait partie de ses règles, qui ne changent plus."


class EurosField(forms.IntegerField):
    """A whole number of euros, typed as people write it: « 1 000 000 », « 300000 € »."""

    # A text input: a number input refuses the spaces people type between thousands.
    widget = forms.TextInput

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 10**12)
        kwargs.setdefault("error_messages", {"invalid": "Saisissez un montant en euros, sans centimes."})
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {"inputmode": "numeric", "autocomplete": "off"}

    def to_python(self, value):
        if isinstance(value, str):
            for char in (" ", "\u00a0", "\u202f", "€"):
                value = value.replace(char, "")
        return super().to_python(value)


def _plausible_year(value) -> None:
    # A call opens in this century: 01/01/0001 in Paris is before year 1 in UTC, which SQLite cannot even compare.
    if value is not None and not 2000 <= value.year <= 2100:
        raise ValidationError("Saisissez une date entre 2000 et 2100.", code="out_of_range")


def _datetime_field(label: str, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text="Heure de Paris, par exemple 01/03/2026 12:00",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"],
        error_messages={"invalid": "Saisissez une date et une heure valides."},
        validators=[_plausible_year],
    )


class CallForm(BaseForm, forms.ModelForm):
    """A call's presentation and amounts. Once the call is open, FROZEN_FIELDS are shown disabled (the service
    refuses any change to them); a form shown editable and posted after the opening keeps its fields, so the
    service's refusal appears next to each changed field instead of the change being silently dropped."""

    opens_at = _datetime_field("Ouverture")
    closes_at = _datetime_field("Clôture")
    envelope = EurosField(label="Enveloppe (€)", required=False, help_text="Le total que l'appel peut attribuer.")
    cap = EurosField(label="Plafond par candidature (€)", required=False)
    max_cofinancing_share = forms.IntegerField(
        label="Part maximale de co-financement (%)",
        required=False,
        min_value=0,
        max_value=100,
        help_text="De 0 à 100 : le montant accordé ne dépasse pas cette part du budget du projet.",
        error_messages={"invalid": "Saisissez un pourcentage, de 0 à 100."},
    )
    # "1" when the form was shown with the rules editable (see the class's docstring).
    rules_editable = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Call
        fields = [
            "programme",
            "title",
            "number",
            "description",
            "opens_at",
            "closes_at",
            "applicant_type",
            "envelope",
            "cap",
            "max_cofinancing_share",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}
        error_messages = {
            "programme": {"required": "Choisissez le programme."},
            "title": {"required": "Indiquez le titre de l'appel."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.all()
        self.fields["programme"].empty_label = "Choisir un programme"
        self.fields["number"].help_text = "Par exemple 18 pour « FAST 18 » : un numéro par programme."
        call = self.instance
        shown_editable = self.data.get(self.add_prefix("rules_editable")) == "1" if self.is_bound else False
        self.frozen = call.pk is not None and call.is_frozen()
        if self.frozen and not shown_editable:
            for name in FROZEN_FIELDS:
                field = self.fields[name]
                field.disabled = True
                field.help_text = FROZEN_HELP
        self.initial["rules_editable"] = "" if self.frozen else "1"
        # Bound fields keep the help text they were made with (BaseForm's __init__ made them): make them again.
        self._bound_fields_cache.clear()

    def clean(self):
        data = super().clean()
        for name in FROZEN_FIELDS:
            if self.fields[name].disabled:
                # As saved (a disabled date-time field drops the seconds): unchanged for the service.
                data[name] = getattr(self.instance, name)
        opens_at, closes_at = data.get("opens_at"), data.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", "La clôture doit suivre l'ouverture.")
        if bool(opens_at) != bool(closes_at) and not self.errors.get("opens_at") and not self.errors.get("closes_at"):
            self.add_error(
                "closes_at" if opens_at else "opens_at",
                "Indiquez l'ouverture et la clôture, ou aucune des deux tant que l'appel est en préparation.",
            )
        programme, number = data.get("programme"), data.get("number")
        if programme and number is not None:
            taken = Call.objects.filter(programme=programme, number=number).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("number", f"Le programme {programme} a déjà un appel n°{number}.")
        return data


def choices_lines(value) -> str:
    if isinstance(value, list | tuple):
        return "\n".join(str(item) for item in value)
    return value or ""


class ChoicesField(forms.CharField):
    """The choices of a question, one per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return choices_lines(value)

    def has_changed(self, initial, data) -> bool:
        return self.to_python(choices_lines(initial)) != self.to_python(data)

    def to_python(self, value) -> list[str]:
        lines = []
        for line in (super().to_python(value) or "").splitlines():
            line = " ".join(line.split())
            if line and line not in lines:
                lines.append(line)
        return lines


class QuestionForm(BaseForm):
    key = forms.SlugField(
        label="Identifiant",
        max_length=50,
        help_text="Lettres minuscules, chiffres et tirets, par exemple « probleme »",
        error_messages={
            "required": "Indiquez l'identifiant de la question.",
            "invalid": "Lettres, chiffres, tirets et soulignés seulement, sans espace ni accent.",
        },
    )
    label = forms.CharField(
        label="Question", max_length=300, error_messages={"required": "Indiquez la question posée."}
    )
    type = forms.ChoiceField(label="Type de réponse", choices=QuestionType.choices, initial=QuestionType.TEXT)
    required = forms.BooleanField(label="Réponse obligatoire", required=False, initial=True)
    choices = ChoicesField(label="Choix possibles", required=False, help_text="Un par ligne (type « choix »)")
    help_text = forms.CharField(label="Aide", max_length=500, required=False)

    def clean(self):
        data = super().clean()
        if data.get("type") == QuestionType.CHOICE and not data.get("choices"):
            self.add_error("choices", "Indiquez les choix possibles, un par ligne.")
        if data.get("type") != QuestionType.CHOICE and "choices" in data:
            data["choices"] = []
        return data


class EligibilityForm(BaseForm):
    label = forms.CharField(
        label="Critère d'éligibilité", max_length=300, error_messages={"required": "Indiquez le critère."}
    )
    verification = forms.ChoiceField(
        label="Vérification",
        choices=EligibilityCheck.choices,
        initial=EligibilityCheck.MANUAL,
        help_text="Automatique sur la fiche du produit au dépôt, ou par l'équipe de l'Incubateur",
    )


class CriterionForm(BaseForm):
    label = forms.CharField(
        label="Critère de sélection", max_length=200, error_messages={"required": "Indiquez le critère."}
    )
    weight = forms.IntegerField(
        label="Poids",
        min_value=1,
        max_value=100,
        initial=1,
        error_messages={"required": "Indiquez le poids du critère.", "min_value": "Le poids est d'au moins 1."},
    )
    description = forms.CharField(label="Précisions", max_length=500, required=False)


def _formset(form, extra):
    return forms.formset_factory(form, extra=extra, can_delete=True, can_delete_extra=False)


QuestionFormSet = _formset(QuestionForm, 2)
EligibilityFormSet = _formset(EligibilityForm, 2)
CriterionFormSet = _formset(CriterionForm, 2)


def formset_rows(formset) -> list[dict]:
    """The rows to keep, in order: filled in and not marked for deletion."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE"):
            continue
        rows.append({name: value for name, value in data.items() if name != "DELETE"})
    return rows


# The « Modèle FAST »: FAST's four selection pillars (impact, maturity, ambition, support) and its usual
# eligibility checks. Only a pre-fill of the rules page: each call holds its own rules, changed until it opens.
FAST_CRITERIA = [
    {"label": "Impact", "weight": 1, "description": "L'impact mesuré et public, et son potentiel."},
    {"label": "Maturité", "weight": 1, "description": "Des usagers, un produit en ligne, une équipe en place."},
    {"label": "Ambition", "weight": 1, "description": "Le passage à l'échelle visé et ce que le financement change."},
    {
        "label": "Soutien",
        "weight": 1,
        "description": "L'engagement des sponsors, leur stratégie de passage à l'échelle.",
    },
]
FAST_ELIGIBILITY = [
    {"label": "Le produit est en ligne, dans une phase active", "verification": EligibilityCheck.ACTIVE_PHASE},
    {"label": "Le code source est ouvert", "verification": EligibilityCheck.PUBLIC_REPOSITORY},
    {"label": "L'impact est public et chiffré (page de statistiques)", "verification": EligibilityCheck.PUBLIC_STATS},
    {"label": "Le produit est suivi sur DashLord", "verification": EligibilityCheck.DASHLORD},
    {"label": "Le produit respecte les standards de beta.gouv.fr", "verification": EligibilityCheck.MANUAL},
    {"label": "Les sponsors ont une stratégie de passage à l'échelle", "verification": EligibilityCheck.MANUAL},
    {
        "label": "Pas de cahier des charges imposé, ni d'outil interne à faible audience",
        "verification": EligibilityCheck.MANUAL,
    },
]


# --- Instruction of an application ----------------------------------------------------------------------------

VERDICTS = [("oui", "Rempli"), ("non", "Non rempli"), ("a-verifier", "À vérifier")]
VERDICT_VALUES = {"oui": True, "non": False, "a-verifier": None}


def verdict_of(value: bool | None) -> str:
    return {True: "oui", False: "non"}.get(value, "a-verifier")


class EligibilityMarkForm(BaseForm):
    """One criterion's result (the page shows one such form per criterion, prefixed by it; the criterion's id
    travels in the request's unprefixed `criterion`)."""

    value = forms.ChoiceField(
        label="Résultat", choices=VERDICTS, error_messages={"required": "Choisissez le résultat."}
    )

    def __init__(self, *args, criterion, **kwargs):
        kwargs.setdefault("prefix", self.prefix_for(criterion))
        super().__init__(*args, **kwargs)
        self.criterion = criterion
        self.fields["value"].label = f"Résultat pour « {criterion.label} »"
        self._bound_fields_cache.clear()  # made by BaseForm's __init__ with the former label

    @staticmethod
    def prefix_for(criterion) -> str:
        return f"critere-{criterion.pk}"

    @property
    def verdict(self) -> bool | None:
        return VERDICT_VALUES[self.cleaned_data["value"]]

    @property
    def verdict_label(self) -> str:
        return dict(VERDICTS)[self.cleaned_data["value"]].lower()


class StatusForm(BaseForm):
    status = forms.ChoiceField(
        label="Nouveau statut",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez le nouveau statut.",
            "invalid_choice": "Une candidature à ce statut ne peut pas passer à celui-ci.",
        },
    )
    reasons = forms.CharField(
        label="Motifs",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Obligatoires pour une candidature irrecevable : le candidat les lira.",
    )

    def __init__(self, *args, application, **kwargs):
        kwargs.setdefault("prefix", "statut")  # the decision form has its own « reasons »
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s, ApplicationStatus(s).label) for s in application.next_statuses()]


SCORES = [(str(n), str(n)) for n in range(1, 6)]


class ReviewForm(BaseForm):
    """A score from 1 to 5 per selection criterion (`score_<pk>`), and a comment. Blank scores are fine in a
    draft; the service asks for every one when the review is submitted."""

    comment = forms.CharField(
        label="Commentaire",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Lu par les autres relecteurs et en comité, jamais par le candidat",
    )

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        fields = {}
        for criterion in self.criteria:
            label = f"{criterion.label} (poids {criterion.weight})"
            fields[self.score_field(criterion)] = forms.ChoiceField(
                label=label,
                choices=[("", "Pas encore noté"), *SCORES],
                required=False,
                help_text=criterion.description or "De 1 (faible) à 5 (excellent)",
            )
        # The scores first, then the comment.
        self.fields = {**fields, "comment": self.fields["comment"]}

    @staticmethod
    def score_field(criterion) -> str:
        return f"score_{criterion.pk}"

    def scores(self) -> dict[str, str]:
        return {str(c.pk): self.cleaned_data.get(self.score_field(c), "") for c in self.criteria}


class DecisionForm(BaseForm):
    decision = forms.ChoiceField(
        label="Décision",
        widget=forms.RadioSelect,
        choices=[(ApplicationStatus.LAUREATE, "Lauréate"), (ApplicationStatus.NOT_SELECTED, "Non retenue")],
        error_messages={"required": "Choisissez la décision."},
    )
    amount = EurosField(
        label="Montant accordé (€)",
        required=False,
        help_text="Pour une candidature lauréate ; 0 pour un accompagnement sans co-financement",
    )
    reasons = forms.CharField(
        label="Motifs",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Obligatoires si la candidature n'est pas retenue : le candidat les lira, seul, à la publication",
    )
    confirm = forms.BooleanField(
        label="Je confirme cette décision : elle ne pourra plus être modifiée",
        error_messages={"required": "Cochez la case pour confirmer : une décision ne change plus ensuite."},
    )
    confirm_without_review = forms.BooleanField(
        label="Je confirme décider sans évaluation",
        required=False,
        help_text="Aucune évaluation n'est remise pour cette candidature",
    )

    def __init__(self, *args, reviewed: bool = True, **kwargs):
        """`reviewed`: a review of the application is submitted; without one, the decision asks for the second
        confirmation (the service refuses without it)."""
        super().__init__(*args, **kwargs)
        if reviewed:
            del self.fields["confirm_without_review"]

    def clean(self):
        data = super().clean()
        if data.get("decision") == ApplicationStatus.LAUREATE and data.get("amount") is None:
            if not self.errors.get("amount"):
                self.add_error("amount", "Indiquez le montant accordé (0 pour un accompagnement seul).")
        return data


class ApplicationFilterForm(BaseForm):
    statut = forms.ChoiceField(label="Statut", required=False)

    def __init__(self, *args, counts: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Tous les statuts")]
        for value, label in ApplicationStatus.choices:
            if value == ApplicationStatus.DRAFT:
                continue
            choices.append((value, f"{label} ({counts.get(value, 0)})"))
        self.fields["statut"].choices = choices

    def status(self) -> str:
        return self.cleaned_data["statut"] if self.is_valid() else ""
