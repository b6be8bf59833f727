"""The form of a comité d'investissement. The business rules (a committee is recorded once held, a product goes
through each phase once) are the service's: its errors come back next to these fields."""

from django import forms
from django.core.validators import URLValidator
from django.utils import timezone

from incubateur.portfolios.models import CommitteeDecision
from incubateur.registry.enums import PhaseName
from incubateur.ui.forms import BaseForm

URL_INVALID = "Saisissez une adresse web valide, par exemple https://exemple.beta.gouv.fr/comite.pdf."


def _euros(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=10**12,
        help_text="En euros, sans décimales",
        error_messages={
            "invalid": "Saisissez un montant en euros, sans décimales ni espaces (par exemple 250000).",
            "min_value": "Le montant ne peut pas être négatif.",
            "max_value": "Ce montant est trop grand.",
        },
    )


class WebAddressField(forms.URLField):
    """Only web addresses (they become links), with one error message (not one per validator)."""

    default_validators = [URLValidator(schemes=["http", "https"], message=URL_INVALID)]


class CommitteeForm(BaseForm):
    date = forms.DateField(
        label="Date du comité",
        help_text="Le comité s'enregistre une fois tenu",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Indiquez la date du comité.", "invalid": "Saisissez une date valide."},
    )
    decision = forms.ChoiceField(
        label="Décision",
        choices=[("", "Choisir la décision"), *CommitteeDecision.choices],
        error_messages={"required": "Choisissez la décision du comité.", "invalid_choice": "Décision inconnue."},
    )
    phase = forms.ChoiceField(
        label="Nouvelle phase",
        help_text="Si le comité décide d'un changement de phase : la phase en cours se termine à la date du comité",
        required=False,
        choices=[("", "Pas de changement de phase"), *PhaseName.choices],
        error_messages={"invalid_choice": "Phase inconnue."},
    )
    budget_requested = _euros("Budget demandé")
    budget_granted = _euros("Budget accordé")
    attendees = forms.CharField(
        label="Participants",
        help_text="Une personne par ligne, avec son rôle (intra, sponsor, directions métier, incubateur…)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    deck_url = WebAddressField(
        label="Support de présentation",
        help_text="Adresse complète du support, par exemple https://exemple.beta.gouv.fr/comite.pdf",
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": URL_INVALID},
    )
    comment = forms.CharField(
        label="Commentaire",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError("Un comité s'enregistre une fois tenu : la date est dans le futur.")
        return date
