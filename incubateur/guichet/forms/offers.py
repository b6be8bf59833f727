"""Forms of the offers of help: the list's filter, a new offer (staff), a team's refusal."""

from django import forms
from django.core.exceptions import ValidationError

from incubateur.guichet.forms.fields import MessageField
from incubateur.guichet.models import OfferStatus
from incubateur.guichet.selectors.desk import product_by_ghid
from incubateur.ui.forms import BaseForm


class OfferFilterForm(BaseForm):
    statut = forms.ChoiceField(
        label="Statut", required=False, choices=[("", "Tous les statuts"), *OfferStatus.choices]
    )

    def status(self) -> str:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("statut", "")


class OfferForm(BaseForm):
    product = forms.SlugField(
        label="Produit",
        help_text="Son identifiant, par exemple justice-pour-tous (il figure dans l'adresse de sa fiche)",
        max_length=200,
        error_messages={"required": "Indiquez le produit à qui vous proposez de l'aide."},
    )
    topic = forms.CharField(
        label="Sujet",
        help_text="En quelques mots, l'aide proposée",
        max_length=200,
        error_messages={"required": "Indiquez le sujet de l'aide proposée."},
    )
    message = MessageField(
        label="Message à l'équipe",
        help_text="L'équipe le lit avant d'accepter ou de refuser. Rien ne se passe sans son accord",
        error_messages={"required": "Écrivez votre message à l'équipe."},
    )

    def clean_product(self):
        ghid = self.cleaned_data["product"]
        product = product_by_ghid(ghid)
        if product is None:
            raise ValidationError(f"Aucun produit n'a l'identifiant « {ghid} ».")
        return product


class OfferDeclineForm(BaseForm):
    reason = forms.CharField(
        label="Raison",
        help_text="Elle est transmise à la personne qui a proposé l'aide.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )
