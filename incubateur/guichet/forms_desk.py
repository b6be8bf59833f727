"""Forms of the staff pages: the desk's filters, a request recorded on someone's behalf, offers of help, the
routing table. They check the shape of the input; the rules (a product of the requester's team, a recipient for a
confidential kind…) are the services', whose errors the views put back on these forms' fields."""

import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q

from incubateur.accounts.models import normalize_email
from incubateur.core.ministries import MINISTRY_CHOICES
from incubateur.guichet.kinds import CONFIDENTIAL_KINDS, KIND_INFO, Kind, Topic
from incubateur.guichet.models import Channel, OfferStatus, RoutingRule, Status
from incubateur.guichet.queries_desk import product_by_ghid
from incubateur.ui.forms import BaseForm

# Where a service's error key is not the form's field name (None: above the form).
SERVICE_FIELDS = {"startup": "product", "idempotency_key": None}


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's `ValidationError` (field → messages) on the form's fields, the rest above the form."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for key, messages in error.message_dict.items():
        field = SERVICE_FIELDS.get(key, key)
        for message in messages:
            form.add_error(
                field if field in form.fields and not form.fields[field].widget.is_hidden else None, message
            )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.email
        return f"{name} ({obj.username})" if obj.username else name


def staff_people():
    return get_user_model().objects.filter(is_active=True, is_incubator_staff=True).order_by("first_name", "last_name")


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
    body = forms.CharField(
        label="Message",
        help_text="Ce que la personne demande, avec ses mots autant que possible",
        widget=forms.Textarea(attrs={"rows": 8}),
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

    def renew_idempotency_key(self) -> None:
        """A new key for the next submission (the one sent already served for another request)."""
        self.data = self.data.copy()
        self.data["idempotency_key"] = uuid.uuid4().hex

    def requester_products(self) -> list:
        """The requester's products, shown as a hint once the requester is known (a re-displayed form)."""
        requester = getattr(self, "cleaned_data", {}).get("requester")
        if requester is None:
            return []
        from incubateur.registry.models import Product

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
        }


# --- Offers of help -------------------------------------------------------------------------------------------


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
    message = forms.CharField(
        label="Message à l'équipe",
        help_text="L'équipe le lit avant d'accepter ou de refuser. Rien ne se passe sans son accord.",
        widget=forms.Textarea(attrs={"rows": 8}),
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


# --- The routing table ----------------------------------------------------------------------------------------


class RoutingRuleForm(BaseForm, forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ["kind", "topic", "portfolio", "target", "pole", "person", "copy_portfolio_manager", "fallback_pole"]
        error_messages = {
            "kind": {"required": "Choisissez le type de demande."},
            "target": {"required": "Choisissez à qui attribuer ces demandes."},
        }
        help_texts = {
            "topic": "Seulement pour « J'ai besoin du soutien de la DINUM ». Vide : tous les sujets.",
            "portfolio": "Vide : tous les portefeuilles (une règle propre à un portefeuille passe avant).",
            "pole": "Pour « un pôle » : ses demandes vont à son référent du guichet, à défaut à son responsable.",
            "fallback_pole": "Reçoit la demande quand personne n'est trouvé (aucun portefeuille, poste vacant). "
            "Vide : le pôle de repli du département.",
        }

    person = PersonChoiceField(
        label="Personne",
        help_text="Pour « une personne » : un membre de l'équipe de l'Incubateur.",
        queryset=staff_people(),
        required=False,
        empty_label="Aucune",
    )

    field_order = Meta.fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Choisir un type de demande"), *Kind.choices]
        self.fields["topic"].choices = [("", "Tous les sujets"), *Topic.choices]
        self.fields["target"].choices = [("", "Choisir à qui attribuer"), *RoutingRule.Target.choices]
        self.fields["portfolio"].empty_label = "Tous les portefeuilles"
        self.fields["pole"].empty_label = "Aucun"
        self.fields["fallback_pole"].empty_label = "Le pôle de repli du département"

    def clean(self):
        data = super().clean()
        Target = RoutingRule.Target
        kind, topic, target = data.get("kind"), data.get("topic"), data.get("target")
        if kind and topic and not KIND_INFO[Kind(kind)].needs_topic:
            self.add_error("topic", "Ce type de demande n'a pas de sujet : laissez « Tous les sujets ».")
        if kind and target:
            confidential = kind in CONFIDENTIAL_KINDS
            if confidential and target != Target.CHOSEN:
                self.add_error(
                    "target",
                    "Une demande confidentielle va toujours à la personne que le demandeur choisit : choisissez "
                    f"« {Target.CHOSEN.label} ».",
                )
            elif not confidential and target == Target.CHOSEN:
                self.add_error(
                    "target", "Seules les demandes confidentielles vont à une personne choisie par le demandeur."
                )
        if target == Target.POLE and not data.get("pole"):
            self.add_error("pole", "Choisissez le pôle qui reçoit ces demandes.")
        if target != Target.POLE and data.get("pole"):
            self.add_error("pole", "Un pôle ne se choisit que pour « un pôle » : laissez ce champ vide.")
        if target == Target.PERSON and not data.get("person"):
            self.add_error("person", "Choisissez la personne qui reçoit ces demandes.")
        if target != Target.PERSON and data.get("person"):
            self.add_error("person", "Une personne ne se choisit que pour « une personne » : laissez ce champ vide.")
        if kind and "kind" not in self.errors and "topic" not in self.errors:
            same = RoutingRule.objects.filter(kind=kind, topic=topic or "", portfolio=data.get("portfolio"))
            if self.instance.pk:
                same = same.exclude(pk=self.instance.pk)
            if same.exists():
                scope = f"le portefeuille {data['portfolio']}" if data.get("portfolio") else "tous les portefeuilles"
                self.add_error(
                    "kind",
                    "Une règle existe déjà pour ce type de demande, "
                    + (f"le sujet « {Topic(topic).label} »" if topic else "tous les sujets")
                    + f" et {scope} : modifiez-la plutôt que d'en ajouter une autre.",
                )
        return data
