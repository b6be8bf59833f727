"""Forms of the desk: its filters, a request recorded on someone's behalf. They check the shape of the input; the
rules (a product of the requester's team, a recipient for a confidential kind…) are the services', whose errors the
views put back on these forms' fields."""

import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q

from incubateur.accounts.models import normalize_email
from incubateur.core.ministries import MINISTRY_CHOICES
from incubateur.guichet.forms.attachments import AttachmentsField
from incubateur.guichet.forms.fields import MessageField, PersonChoiceField, staff_people
from incubateur.guichet.kinds import CONFIDENTIAL_KINDS, KIND_INFO, Kind, Topic
from incubateur.guichet.models import Channel, Status
from incubateur.guichet.selectors.desk import product_by_ghid
from incubateur.registry.models import Product
from incubateur.ui.forms import BaseForm

# --- The desk -------------------------------------------------------------------------------------------------


class DeskFilterForm(BaseForm):
    """The desk's filters, a GET form: every field is optional; an invalid one is reported and ignored."""

    q = forms.CharField(
        label="Rechercher",
        help_text="Dans l'objet, le message et le nom du produit",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    type = forms.ChoiceField(label="Type de demande", required=False, choices=[("", "Tous les types"), *Kind.choices])
    statut = forms.ChoiceField(label="Statut", required=False, choices=[("", "Tous les statuts"), *Status.choices])
    produit = forms.SlugField(
        label="Produit", help_text="Son identifiant, par exemple justice-pour-tous", required=False, max_length=200
    )
    pole = forms.ChoiceField(label="Pôle", required=False)

    def __init__(self, *args, poles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pole"].choices = [("", "Choisir un pôle"), *((pole.slug, pole.name) for pole in poles)]

    def values(self) -> dict[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: (data.get(name) or "").strip() for name in self.fields}


# --- A request recorded on someone's behalf -------------------------------------------------------------------

ON_BEHALF_CHANNELS = [(c.value, c.label) for c in (Channel.PHONE, Channel.EMAIL, Channel.MEETING)]


class OnBehalfForm(BaseForm):
    service_fields = {"startup": "product"}  # idempotency_key: a hidden field, so above the form

    requester = forms.CharField(
        label="Demandeur",
        help_text="Adresse e-mail ou identifiant beta.gouv.fr (prenom.nom) d'un compte actif",
        max_length=254,
        error_messages={"required": "Indiquez pour qui vous enregistrez cette demande."},
    )
    channel = forms.ChoiceField(
        label="Demande reçue par",
        choices=ON_BEHALF_CHANNELS,
        widget=forms.RadioSelect,
        error_messages={"required": "Indiquez comment la demande vous est parvenue."},
    )
    kind = forms.ChoiceField(
        label="Type de demande",
        choices=[("", "Choisir un type de demande"), *Kind.choices],
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
    body = MessageField(
        label="Message",
        help_text="Ce que la personne demande, avec ses mots autant que possible",
        error_messages={"required": "Écrivez le message de la demande."},
    )
    product = forms.SlugField(
        label="Produit concerné",
        help_text="Son identifiant, par exemple justice-pour-tous : un produit de l'équipe active du demandeur",
        required=False,
        max_length=200,
    )
    ministry = forms.ChoiceField(
        label="Ministère concerné",
        help_text="Pour un nouveau partenariat avec une administration",
        choices=[("", "Aucun ministère"), *MINISTRY_CHOICES],
        required=False,
    )
    confidential = forms.BooleanField(
        label="Demande confidentielle",
        help_text="Seuls le demandeur et la personne destinataire pourront la lire",
        required=False,
    )
    recipient = PersonChoiceField(
        label="Destinataire",
        help_text="Pour une demande confidentielle : la personne de l'Incubateur que le demandeur a choisie",
        queryset=staff_people(),
        required=False,
        empty_label="Choisir une personne",
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    pieces_jointes = AttachmentsField()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", uuid.uuid4().hex)
        kwargs["initial"].setdefault("channel", Channel.PHONE)
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = staff_people()

    def clean_requester(self):
        value = self.cleaned_data["requester"].strip()
        users = get_user_model().objects.filter(is_active=True)
        user = users.filter(Q(email=normalize_email(value)) | Q(username=value)).first()
        if user is None:
            raise ValidationError(
                f"Aucun compte actif n'a l'adresse ou l'identifiant « {value} ». Vérifiez l'orthographe : "
                "la personne doit avoir un compte sur la plateforme."
            )
        return user

    def clean_product(self):
        ghid = self.cleaned_data["product"]
        if not ghid:
            return None
        product = product_by_ghid(ghid)
        if product is None:
            raise ValidationError(f"Aucun produit n'a l'identifiant « {ghid} ».")
        return product

    def clean(self):
        data = super().clean()
        kind, recipient = data.get("kind"), data.get("recipient")
        if kind and not KIND_INFO[Kind(kind)].confidential and recipient is not None and not data.get("confidential"):
            self.add_error(
                "recipient",
                "Ce type de demande est attribué automatiquement : ne choisissez une personne que pour une demande "
                "confidentielle.",
            )
        return data

    def add_service_errors(self, error: ValidationError, rename: dict[str, str] | None = None) -> None:
        super().add_service_errors(error, rename)
        if "idempotency_key" in getattr(error, "error_dict", {}):
            self.renew_idempotency_key()

    def renew_idempotency_key(self) -> None:
        """A new key for the next submission (the one sent already served for another request)."""
        self.data = self.data.copy()
        self.data["idempotency_key"] = uuid.uuid4().hex

    def requester_products(self) -> list:
        """The requester's products, shown as a hint once the requester is known (a re-displayed form)."""
        requester = getattr(self, "cleaned_data", {}).get("requester")
        if requester is None:
            return []
        return list(Product.objects.with_active_member(requester).only("ghid", "name").order_by("name"))

    def submission(self) -> dict:
        """The keyword arguments of `services.ticket_submit` (without `recorded_by`)."""
        data = self.cleaned_data
        kind = data["kind"]
        return {
            "requester": data["requester"],
            "kind": kind,
            "topic": data["topic"],
            "subject": data["subject"],
            "body": data["body"],
            "product": data["product"],
            "ministry": data["ministry"],
            "recipient": data["recipient"],
            "confidential": data["confidential"] or kind in CONFIDENTIAL_KINDS,
            "channel": data["channel"],
            "idempotency_key": data["idempotency_key"],
            "attachments": data.get("pieces_jointes") or [],
        }
