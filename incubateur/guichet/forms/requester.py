"""Forms of the requester pages and of the request page. They check the shape of what is typed; the rules (who may,
which product, which recipient) are the services' (their ValidationError lands on the fields here)."""

import uuid

from django import forms
from django.core.exceptions import ValidationError

from incubateur.core.ministries import MINISTRY_CHOICES
from incubateur.guichet.forms.attachments import AttachmentsField
from incubateur.guichet.forms.fields import MessageField, Select, StaffChoiceField
from incubateur.guichet.kinds import Kind, Topic, info
from incubateur.guichet.models import Status, Ticket
from incubateur.guichet.selectors.requester import StaffChoice, current_staff, poles
from incubateur.guichet.services import SUBJECT_MAX
from incubateur.registry.models import Product
from incubateur.ui.forms import BaseForm


class TicketForm(BaseForm):
    """A new request of one kind: only the fields this kind asks for."""

    service_fields = {"startup": "product"}

    topic = forms.ChoiceField(
        label="Sujet",
        choices=Topic.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Précisez le sujet de votre demande."},
    )
    subject = forms.CharField(
        label="Objet",
        max_length=SUBJECT_MAX,
        help_text="Une phrase qui résume votre demande",
        error_messages={"required": "Donnez un objet à votre demande."},
    )
    body = MessageField(
        label="Votre message",
        help_text="Le contexte, ce que vous avez déjà essayé, ce que vous attendez de l'Incubateur",
        error_messages={"required": "Écrivez votre message."},
    )
    product = forms.ModelChoiceField(
        label="Produit concerné",
        queryset=None,
        required=False,
        empty_label="Aucun produit en particulier",
        help_text="Parmi les produits dont vous faites partie de l'équipe : il oriente votre demande",
    )
    ministry = forms.ChoiceField(
        label="Ministère de l'administration partenaire",
        choices=[("", "Sélectionner un ministère")] + MINISTRY_CHOICES,
        required=False,
        help_text="Votre demande ira à la personne qui suit ce ministère à l'Incubateur",
    )
    confidential = forms.BooleanField(
        label="Rendre cette demande confidentielle",
        required=False,
        help_text="Seule la personne que vous choisissez ci-dessous la lira (et celles à qui elle donnerait accès : "
        "vous en seriez informé·e)",
    )
    recipient = StaffChoiceField(
        label="Personne de l'Incubateur à qui vous adressez votre demande",
        required=False,
        error_messages={"required": "Choisissez la personne de l'Incubateur à qui vous adressez cette demande."},
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    pieces_jointes = AttachmentsField()

    def __init__(self, *args, kind: str, user, product_ghid: str = "", recipient_username: str = "", **kwargs):
        """`product_ghid` and `recipient_username` come from the page's address (`?produit=`, `?destinataire=`: a
        product's or a person's "Faire une demande"): they only pre-fill what this person may choose anyway, and
        are ignored otherwise (see `prefilled_product`, `product_outside`, `prefilled_recipient`)."""
        self.kind = Kind(kind)
        self.kind_info = info(kind)
        initial = {"idempotency_key": str(uuid.uuid4()), **kwargs.pop("initial", {})}
        super().__init__(*args, initial=initial, **kwargs)
        if not self.kind_info.needs_topic:
            del self.fields["topic"]
        # Evaluated once, in the query `.exists()` would cost: the pre-filled product is looked up in it.
        mine = Product.objects.with_active_member(user).order_by("name")
        products = list(mine)
        self.prefilled_product = None  # the product of `?produit=`, offered by this form and selected
        self.product_outside = None  # the product of `?produit=` when this person may not file on it
        if self.kind_info.asks_product and products:
            field = self.fields["product"]
            field.queryset = mine
            if self.kind == Kind.DOUTE_PRODUIT:
                field.help_text = "Votre demande ira à la personne qui suit le portefeuille de ce produit"
        else:
            del self.fields["product"]
        if product_ghid and self.kind_info.asks_product:
            self.prefilled_product = next((product for product in products if product.ghid == product_ghid), None)
            if self.prefilled_product is not None:
                self.initial["product"] = self.prefilled_product.pk
            elif _plausible(product_ghid):
                self.product_outside = Product.objects.filter(ghid=product_ghid).only("ghid", "name").first()
        if not self.kind_info.asks_ministry:
            del self.fields["ministry"]
        recipient = self.fields["recipient"]
        staff = [choice for choice in current_staff() if choice.user.pk != user.pk]
        recipient.set_staff(staff)
        # The person of `?destinataire=`: one of the staff this form offers (never the requester), else nobody.
        self.prefilled_recipient = next(
            (choice.user for choice in staff if recipient_username and choice.user.username == recipient_username),
            None,
        )
        if self.kind_info.confidential and self.prefilled_recipient is not None:
            # Only where the recipient decides who reads the request: elsewhere routing does (the page says to
            # whom), and a pre-filled recipient without « confidentielle » ticked would only be an error.
            self.initial["recipient"] = str(self.prefilled_recipient.pk)
        if self.kind_info.confidential:
            del self.fields["confidential"]
            recipient.required = True
            recipient.help_text = (
                "Elle seule lira votre demande (et les personnes à qui elle donnerait accès : vous en seriez "
                "informé·e)"
            )
        else:
            recipient.help_text = "Seulement si vous rendez la demande confidentielle"
        # The context first (who reads it, what it is about), then the message.
        self.order_fields(
            ["recipient", "topic", "product", "ministry", "subject", "body", "pieces_jointes"]
            if self.kind_info.confidential
            else ["topic", "product", "ministry", "subject", "body", "pieces_jointes", "confidential", "recipient"]
        )

    def clean(self):
        data = super().clean()
        if "confidential" in self.fields:
            if data.get("confidential") and not data.get("recipient") and "recipient" not in self.errors:
                self.add_error(
                    "recipient", "Choisissez la personne de l'Incubateur qui lira votre demande confidentielle."
                )
            if data.get("recipient") and not data.get("confidential"):
                self.add_error(
                    "recipient",
                    "Choisir une personne rend la demande confidentielle : cochez « Rendre cette demande "
                    "confidentielle », ou laissez ce choix vide.",
                )
        return data

    def add_service_errors(self, error: ValidationError, rename: dict[str, str] | None = None) -> None:
        if hasattr(error, "error_dict") and "idempotency_key" in error.error_dict:
            # This rendering of the form already sent another request (edited after going back): say so, and give
            # the form a fresh key so that sending it again makes a new request.
            del error.error_dict["idempotency_key"]
            self.data = self.data.copy()
            self.data[self.add_prefix("idempotency_key")] = str(uuid.uuid4())
            self.add_error(
                None,
                "Ce formulaire a déjà servi à envoyer une demande (retrouvez-la dans « Mes demandes »). Pour envoyer "
                "celle-ci comme une nouvelle demande, validez à nouveau le formulaire.",
            )
            if not error.error_dict:
                return
        super().add_service_errors(error, rename)

    def submission(self) -> dict:
        """The service's keyword arguments."""
        data = self.cleaned_data
        return {
            "kind": self.kind.value,
            "topic": data.get("topic", ""),
            "subject": data["subject"],
            "body": data["body"],
            "product": data.get("product"),
            "ministry": data.get("ministry", ""),
            "recipient": data.get("recipient"),
            "confidential": self.kind_info.confidential or bool(data.get("confidential")),
            "idempotency_key": data.get("idempotency_key") or None,
            "attachments": data.get("pieces_jointes") or [],
        }


# --- The request page ------------------------------------------------------------------------------------------


def _plausible(identifier: str) -> bool:
    """Worth a look-up: an identifier of the registry's length, without a NUL (PostgreSQL refuses it)."""
    return len(identifier) <= 200 and "\x00" not in identifier


class ReplyForm(BaseForm):
    body = MessageField(
        label="Votre message",
        rows=6,
        error_messages={"required": "Écrivez votre message."},
    )
    internal = forms.BooleanField(
        label="Note interne",
        required=False,
        help_text="Invisible pour le demandeur et jamais envoyée par e-mail : seules les personnes qui traitent la "
        "demande la lisent",
    )
    pieces_jointes = AttachmentsField()

    def __init__(self, *args, can_write_note: bool, **kwargs):
        super().__init__(*args, prefix="reponse", **kwargs)
        if not can_write_note:
            del self.fields["internal"]


class VersionedForm(BaseForm):
    """A change of the request's state: carries the version the page showed (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def is_stale(self, ticket: Ticket) -> bool:
        """The request changed since this form was shown (checked again, atomically, by the service)."""
        version = getattr(self, "cleaned_data", {}).get("version")
        return version is not None and version != ticket.version


STATUS_ACTIONS = {
    Status.IN_PROGRESS: "Prise en charge",
    Status.WAITING: "En attente d'une réponse du demandeur",
    Status.RESOLVED: "Résolue",
    Status.CLOSED: "Close",
}


class StatusForm(VersionedForm):
    status = forms.ChoiceField(label="Nouveau statut", error_messages={"required": "Choisissez un statut."})

    def __init__(self, *args, ticket: Ticket, statuses: list[str], requester: bool, **kwargs):
        super().__init__(*args, prefix="statut", initial={"version": ticket.version}, **kwargs)
        reopen = ticket.can_be_reopened()
        labels = []
        for status in statuses:
            if reopen and status == Status.IN_PROGRESS:
                label = "Rouvrir la demande"
            elif requester and status == Status.RESOLVED:
                label = "Ma demande est résolue"
            else:
                label = STATUS_ACTIONS.get(status, Status(status).label)
            labels.append((status, label))
        self.fields["status"].choices = [("", "Sélectionner un statut")] + labels


class AssignForm(VersionedForm):
    assignee = StaffChoiceField(label="Une personne", required=False)
    pole = forms.ModelChoiceField(
        label="Ou un pôle",
        queryset=None,
        required=False,
        widget=Select,
        empty_label="Sélectionner un pôle",
        help_text="Son référent du guichet, à défaut sa ou son responsable, recevra la demande",
    )

    def __init__(self, *args, ticket: Ticket, staff: list[StaffChoice], **kwargs):
        super().__init__(*args, prefix="attribution", initial={"version": ticket.version}, **kwargs)
        self.fields["assignee"].set_staff(staff)
        self.fields["pole"].queryset = poles()


class ParticipantForm(BaseForm):
    user = StaffChoiceField(
        label="Personne",
        help_text="Elle pourra lire la demande et y répondre ; la personne qui l'a faite en sera informée",
        error_messages={"required": "Choisissez une personne."},
    )

    def __init__(self, *args, staff: list[StaffChoice], **kwargs):
        super().__init__(*args, prefix="acces", **kwargs)
        self.fields["user"].set_staff(staff)
