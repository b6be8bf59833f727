import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from incubateur.core.ministries import MINISTRY_CHOICES
from incubateur.core.text import date_fr, fold
from incubateur.registry.enums import PhaseName
from incubateur.registry.models import Phase, Product
from incubateur.registry.selectors.pages import FilterChoices, ProductFilters
from incubateur.ui.forms import BaseForm

URL_MAX_LENGTH = 500
GITHUB_USERNAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
GITHUB_PROFILE = re.compile(r"^(?:https?://)?(?:www\.)?github\.com/([^/?#]+)/?$", re.IGNORECASE)


class CommaSeparatedField(forms.CharField):
    """A list of short texts typed as « a, b, c »: stored as a JSON list, without blanks or duplicates."""

    item_max_length = 100

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        items: list[str] = []
        seen: set[str] = set()
        for item in (super().to_python(value) or "").split(","):
            item = " ".join(item.split())
            if item and fold(item) not in seen:
                seen.add(fold(item))
                items.append(item)
        return items

    def validate(self, value):
        super().validate(value)
        too_long = [item for item in value if len(item) > self.item_max_length]
        if too_long:
            raise ValidationError(
                f"Chaque élément fait au plus {self.item_max_length} caractères "
                f"(« {too_long[0][:30]}… » est trop long)."
            )


class MultilineField(forms.CharField):
    """A textarea's text with the line ends the content tree uses (browsers send « \r\n »)."""

    widget = forms.Textarea

    def to_python(self, value) -> str:
        return super().to_python(value).replace("\r\n", "\n").replace("\r", "\n")


MARKDOWN_HELP = (
    "Mise en forme Markdown : **gras**, [lien](https://…), listes (« - » en début de ligne), titres (« ## »). "
    "Une ligne vide sépare deux paragraphes ; « Aperçu » montre le rendu sans rien enregistrer"
)
PREVIEW = "apercu"  # the name of the submit button that shows a preview instead of saving


class MarkdownPreviewMixin:
    """An edit form with one Markdown field (`markdown_field`) and an « Aperçu » button: `preview(data)` is the
    form as posted, unbound (a preview saves nothing and judges nothing yet), and the text to preview."""

    markdown_field: str

    @classmethod
    def preview(cls, data, **kwargs) -> tuple["BaseForm", str]:
        initial = {name: data.get(name, "") for name in cls.base_fields}
        text = MultilineField().to_python(initial[cls.markdown_field])
        initial[cls.markdown_field] = text
        return cls(initial=initial, **kwargs), text


URL_INVALID = "Saisissez une adresse web valide, par exemple https://exemple.beta.gouv.fr."


def url_field(label: str, **kwargs) -> forms.URLField:
    return forms.URLField(
        label=label,
        required=False,
        max_length=URL_MAX_LENGTH,
        assume_scheme="https",
        help_text="Adresse complète, par exemple https://exemple.beta.gouv.fr",
        # Only web addresses: they become links on public pages.
        validators=[URLValidator(schemes=["http", "https"], message=URL_INVALID)],
        error_messages={"invalid": URL_INVALID},
        **kwargs,
    )


class ProductFilterForm(BaseForm):
    """The products list's filters, a GET form: every field is optional."""

    q = forms.CharField(
        label="Rechercher un produit",
        help_text="Dans le nom et la mission, sans tenir compte des accents ni des majuscules",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    # Choices are set per request in __init__ (incubators and themes come from the registry).
    phase = forms.ChoiceField(label="Phase actuelle", required=False)
    incubateur = forms.ChoiceField(label="Incubateur", required=False)
    ministere = forms.ChoiceField(label="Ministère d'un sponsor", required=False)
    thematique = forms.ChoiceField(label="Thématique", required=False)

    def __init__(self, *args, choices: FilterChoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = [("", "Toutes les phases"), *PhaseName.choices]
        self.fields["incubateur"].choices = [("", "Tous les incubateurs"), *choices.incubators]
        self.fields["ministere"].choices = [("", "Tous les ministères"), *MINISTRY_CHOICES]
        self.fields["thematique"].choices = [("", "Toutes les thématiques")] + [(t, t) for t in choices.thematiques]

    def filters(self) -> ProductFilters:
        """The valid filters (an invalid one is reported on its field and ignored)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return ProductFilters(
            q=data.get("q", "").strip(),
            phase=data.get("phase", ""),
            incubator=data.get("incubateur", ""),
            ministry=data.get("ministere", ""),
            thematique=data.get("thematique", ""),
        )


class ProductForm(MarkdownPreviewMixin, BaseForm):
    markdown_field = "description"

    pitch = MultilineField(
        label="Mission",
        help_text="Une ou deux phrases : le problème que le produit résout, et pour qui",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Indiquez la mission du produit."},
    )
    description = MultilineField(
        label="Description",
        help_text=MARKDOWN_HELP,
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    contact = forms.CharField(
        label="Contact", help_text="L'adresse e-mail de l'équipe", required=False, max_length=300
    )
    link = url_field("Site du service")
    repository = url_field("Code source")
    stats_url = url_field("Page de statistiques")
    budget_url = url_field("Page du budget")
    impact_url = url_field("Page d'impact")
    thematiques = CommaSeparatedField(label="Thématiques", help_text="Séparées par des virgules", required=False)
    usertypes = CommaSeparatedField(label="Publics", help_text="Séparés par des virgules", required=False)
    techno = CommaSeparatedField(label="Technologies", help_text="Séparées par des virgules", required=False)

    @classmethod
    def initial_for(cls, product: Product) -> dict:
        return {name: getattr(product, name) for name in cls.base_fields}


class MemberForm(MarkdownPreviewMixin, BaseForm):
    markdown_field = "bio"

    role = forms.CharField(
        label="Rôle",
        help_text="Par exemple : développeuse, coach, chargé de déploiement",
        max_length=300,
        error_messages={"required": "Indiquez votre rôle."},
    )
    bio = MultilineField(
        label="Présentation",
        help_text=MARKDOWN_HELP,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    link = url_field("Lien personnel")
    github = forms.CharField(
        label="Identifiant GitHub", help_text="Par exemple : camille-martin", required=False, max_length=200
    )
    competences = CommaSeparatedField(label="Compétences", help_text="Séparées par des virgules", required=False)

    @classmethod
    def initial_for(cls, member) -> dict:
        return {name: getattr(member, name) for name in cls.base_fields}

    def clean_github(self) -> str:
        value = self.cleaned_data["github"].strip().lstrip("@")
        if match := GITHUB_PROFILE.match(value):
            value = match.group(1)
        if value and not GITHUB_USERNAME.match(value):
            raise ValidationError(
                "Saisissez un identifiant GitHub : lettres, chiffres et tirets, 39 caractères au plus."
            )
        return value


class PhaseAddForm(BaseForm):
    name = forms.ChoiceField(
        label="Phase",
        choices=[("", "Choisir une phase"), *PhaseName.choices],
        error_messages={"required": "Choisissez une phase."},
    )
    start = forms.DateField(
        label="Date de début",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Indiquez la date de début.", "invalid": "Saisissez une date valide."},
    )
    comment = MultilineField(label="Commentaire", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, phases: list[Phase], **kwargs):
        super().__init__(*args, **kwargs)
        self.existing = {phase.name for phase in phases}

    @staticmethod
    def duplicate_error(name: str) -> str:
        return f"Ce produit a déjà une phase « {PhaseName(name).label} » : une phase n'apparaît qu'une fois."

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if name in self.existing:
            raise ValidationError(self.duplicate_error(name))
        return name


class PhaseEndForm(BaseForm):
    end = forms.DateField(
        label="Date de fin",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Indiquez la date de fin.", "invalid": "Saisissez une date valide."},
    )

    def __init__(self, *args, phase: Phase | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.phase = phase

    def clean_end(self):
        end = self.cleaned_data["end"]
        if self.phase is not None and end < self.phase.start:
            raise ValidationError(
                f"La date de fin ne peut pas précéder le début de la phase ({date_fr(self.phase.start)})."
            )
        return end

    def clean(self):
        if self.phase is None or self.phase.end is not None:
            raise ValidationError("Ce produit n'a pas de phase en cours à terminer.")
        return super().clean()
