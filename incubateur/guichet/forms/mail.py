"""Staff triage of the mails held by the intake: a held mail becomes a request (kind, requester, product), or is set
aside. The rules are the services' (`services.mail.mail_qualify`, `ticket_submit`)."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q

from incubateur.accounts.models import normalize_email
from incubateur.guichet.forms.fields import MessageField
from incubateur.guichet.kinds import CONFIDENTIAL_KINDS, Kind, Topic
from incubateur.guichet.selectors.desk import product_by_ghid
from incubateur.ui.forms import BaseForm

# A held mail has been read by staff already: it cannot become a confidential request.
QUALIFY_KINDS = [(value, label) for value, label in Kind.choices if value not in CONFIDENTIAL_KINDS]


class MailQualifyForm(BaseForm):
    service_fields = {"startup": "product"}

    requester = forms.CharField(
        label="Demandeur",
        help_text="Adresse e-mail ou identifiant beta.gouv.fr (prenom.nom) d'un compte actif",
        max_length=254,
        error_messages={"required": "Indiquez qui est le demandeur."},
    )
    kind = forms.ChoiceField(
        label="Type de demande",
        choices=[("", "Choisir un type de demande"), *QUALIFY_KINDS],
        error_messages={"required": "Choisissez le type de demande."},
    )
    topic = forms.ChoiceField(
        label="Sujet",
        help_text="Seulement pour « J'ai besoin du soutien de la DINUM »",
        choices=[("", "Aucun sujet"), *Topic.choices],
        required=False,
    )
    subject = forms.CharField(
        label="Objet", max_length=200, error_messages={"required": "Donnez un objet à la demande."}
    )
    body = MessageField(label="Message", error_messages={"required": "Écrivez le message de la demande."})
    # beta.gouv.fr identifiers have dots, capitals and accents (`rdv.mjd`): not a slug.
    product = forms.CharField(
        label="Produit concerné",
        help_text="Son identifiant, par exemple justice-pour-tous : un produit de l'équipe active du demandeur",
        required=False,
        max_length=200,
    )

    def clean_requester(self):
        value = self.cleaned_data["requester"].strip()
        users = get_user_model().objects.filter(is_active=True)
        user = users.filter(Q(email=normalize_email(value)) | Q(username=value)).first()
        if user is None:
            raise ValidationError(
                f"Aucun compte actif n'a l'adresse ou l'identifiant « {value} ». Créez d'abord le compte de la "
                "personne, ou écartez ce message."
            )
        return user

    def clean_product(self):
        ghid = self.cleaned_data["product"].strip()
        if not ghid:
            return None
        product = product_by_ghid(ghid)
        if product is None:
            raise ValidationError(f"Aucun produit n'a l'identifiant « {ghid} ».")
        return product
