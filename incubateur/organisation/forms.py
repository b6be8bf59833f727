from django import forms
from django.contrib.auth import get_user_model

from incubateur.core.ministries import MINISTRY_CHOICES
from incubateur.ui.forms import BaseForm


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.display_name
        return f"{name} ({obj.username})" if obj.username else name


def people():
    return get_user_model().objects.active().exclude(username=None).order_by("first_name", "last_name")


class SearchForm(BaseForm):
    q = forms.CharField(
        label="Rechercher une personne, un rôle, un pôle, un ministère ou une thématique",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Ex. : justice, accessibilité, Maël"}),
    )


class MinistryForm(BaseForm):
    ministere = forms.ChoiceField(
        label="Votre ministère",
        choices=[("", "Sélectionner un ministère")] + MINISTRY_CHOICES,
        required=False,
    )


class PortfolioManagerForm(BaseForm):
    manager = PersonChoiceField(
        label="Responsable du portefeuille",
        queryset=people(),
        required=False,
        empty_label="Personne (portefeuille vacant)",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = people()


class PositionForm(BaseForm):
    person = PersonChoiceField(
        label="Personne", queryset=people(), error_messages={"required": "Choisissez une personne."}
    )
    title = forms.CharField(
        label="Rôle", max_length=200, error_messages={"required": "Indiquez son rôle dans le pôle."}
    )
    is_lead = forms.BooleanField(label="Responsable du pôle", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people()
