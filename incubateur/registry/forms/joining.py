"""The forms of joining (#14): a new member on a product's team, a new product, a decision on either."""

from django import forms
from django.utils import timezone

from incubateur.registry.enums import Domaine, MissionStatus, PhaseName, ReviewDecision
from incubateur.registry.forms.missions import DATE_WIDGET
from incubateur.registry.models import Incubator, Organisation, Product
from incubateur.ui.forms import BaseForm


def _required(label: str) -> dict:
    return {"required": f"Indiquez {label}."}


class MemberProposeForm(BaseForm):
    product = forms.ModelChoiceField(
        label="Produit",
        queryset=Product.objects.none(),
        to_field_name="ghid",
        empty_label="Choisir un produit",
        help_text="La première mission de la personne sera sur ce produit.",
        error_messages={"required": "Choisissez le produit.", "invalid_choice": "Produit inconnu ou non validé."},
    )
    first_name = forms.CharField(label="Prénom", max_length=150, error_messages=_required("le prénom"))
    last_name = forms.CharField(label="Nom", max_length=150, error_messages=_required("le nom"))
    email = forms.EmailField(
        label="Adresse e-mail",
        help_text="Le message de bienvenue y sera envoyé après la validation. Format attendu : nom@domaine.fr",
        error_messages={**_required("l'adresse e-mail"), "invalid": "Saisissez une adresse e-mail valide."},
    )
    domaine = forms.ChoiceField(
        label="Domaine",
        choices=[("", "Choisir un domaine"), *Domaine.choices],
        error_messages={"required": "Choisissez un domaine."},
    )
    role = forms.CharField(
        label="Rôle",
        max_length=300,
        help_text="Par exemple : Développeuse, Coach…",
        error_messages=_required("le rôle"),
    )
    start = forms.DateField(
        label="Début de la mission",
        error_messages={"required": "Indiquez la date de début.", "invalid": "Saisissez une date valide."},
        **DATE_WIDGET,
    )
    end = forms.DateField(
        label="Fin de la mission",
        required=False,
        help_text="Hors agents publics, au plus 6 mois après aujourd'hui : la mission se prolonge ensuite en un clic.",
        error_messages={"invalid": "Saisissez une date valide."},
        **DATE_WIDGET,
    )
    status = forms.ChoiceField(
        label="Statut",
        choices=[("", "Choisir un statut"), *MissionStatus.choices],
        error_messages={"required": "Choisissez un statut."},
    )
    employer = forms.CharField(
        label="Employeur",
        required=False,
        max_length=300,
        help_text="Il n'est jamais publié : seuls les utilisateurs de l'API munis d'un jeton le voient.",
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["start"].initial = timezone.localdate()


class ProductProposeForm(BaseForm):
    name = forms.CharField(label="Nom du produit", max_length=300, error_messages=_required("le nom du produit"))
    pitch = forms.CharField(
        label="Mission",
        help_text="En une ou deux phrases : le problème public que le produit résout, et pour qui.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_required("la mission du produit"),
    )
    incubator = forms.ModelChoiceField(
        label="Incubateur",
        queryset=Incubator.objects.order_by("title"),
        to_field_name="ghid",
        empty_label="Choisir un incubateur",
        help_text="Une personne d'une équipe de cet incubateur validera le produit.",
        error_messages={"required": "Choisissez l'incubateur.", "invalid_choice": "Incubateur inconnu."},
    )
    sponsors = forms.ModelMultipleChoiceField(
        label="Sponsors",
        required=False,
        queryset=Organisation.objects.order_by("name"),
        to_field_name="ghid",
        help_text="Les administrations qui portent le produit. Maintenez Ctrl (ou Cmd) pour en choisir plusieurs.",
        error_messages={"invalid_choice": "Organisation inconnue : « %(value)s »."},
    )
    phase = forms.ChoiceField(
        label="Première phase",
        choices=PhaseName.choices,
        initial=PhaseName.INVESTIGATION,
        error_messages={"required": "Choisissez la phase."},
    )
    phase_start = forms.DateField(
        label="Début de la phase",
        error_messages={"required": "Indiquez la date de début.", "invalid": "Saisissez une date valide."},
        **DATE_WIDGET,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phase_start"].initial = timezone.localdate()


class ReviewDecideForm(BaseForm):
    decision = forms.ChoiceField(
        label="Décision",
        choices=[(ReviewDecision.VALIDATE, "Valider"), (ReviewDecision.REFUSE, "Refuser")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez : valider ou refuser."},
    )
    reason = forms.CharField(
        label="Motif du refus",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Obligatoire pour un refus : la personne qui a fait la demande le reçoit.",
    )
