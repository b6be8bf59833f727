"""The recruitment pages' forms: the list's filters (GET) and a post's form."""

from django import forms
from django.utils import timezone

from incubateur.organisation.models import Pole
from incubateur.recruitment import perms
from incubateur.recruitment.models import Contract, Kind, Workplace
from incubateur.registry.enums import Domaine
from incubateur.registry.models import Product
from incubateur.ui.forms import BaseForm

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FilterForm(BaseForm):
    """The list's filters: every field is optional; an unknown value is ignored."""

    nature = forms.ChoiceField(label="Nature", required=False, choices=[("", "Emplois et missions"), *Kind.choices])
    domaine = forms.ChoiceField(label="Domaine", required=False, choices=[("", "Tous les domaines"), *Domaine.choices])
    pour = forms.ChoiceField(label="Produit ou pôle", required=False)
    junior = forms.BooleanField(label="Ouvert aux profils juniors", required=False)

    def __init__(self, *args, owners: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pour"].choices = [("", "Tous"), *owners]

    def filters(self) -> dict:
        self.is_valid()
        return {key: value for key, value in getattr(self, "cleaned_data", {}).items() if value}


class PostForm(BaseForm):
    """Create or edit a post. The product or pole is chosen once, at creation."""

    pour = forms.ChoiceField(
        label="Pour", help_text="Le produit de votre équipe, ou un pôle de l'Incubateur (équipe de l'Incubateur)."
    )
    title = forms.CharField(label="Intitulé du poste", max_length=200)
    kind = forms.ChoiceField(
        label="Nature",
        choices=Kind.choices,
        widget=forms.RadioSelect,
        help_text="Une mission freelance est une prestation : ce n'est pas une offre d'emploi.",
    )
    contracting_body = forms.CharField(
        label="Structure qui contracte la mission",
        required=False,
        max_length=200,
        help_text="Obligatoire pour une mission (ex. le titulaire du marché de prestations).",
    )
    contract = forms.ChoiceField(
        label="Type de contrat (emploi)", required=False, choices=[("", "—"), *Contract.choices]
    )
    domaines = forms.MultipleChoiceField(
        label="Domaines", required=False, choices=Domaine.choices, widget=forms.CheckboxSelectMultiple
    )
    technos = forms.CharField(
        label="Technologies", required=False, max_length=500, help_text="Séparées par des virgules (ex. Django, Vue)."
    )
    junior = forms.BooleanField(label="Ouvert aux profils juniors", required=False)
    place = forms.CharField(label="Lieu", required=False, max_length=200, help_text="Ex. Paris, Lyon…")
    workplace = forms.ChoiceField(
        label="Organisation du travail", required=False, choices=[("", "—"), *Workplace.choices]
    )
    description = forms.CharField(
        label="Description", widget=forms.Textarea(attrs={"rows": 12}), help_text="En Markdown."
    )
    contacts = forms.CharField(
        label="Contacts", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Une adresse par ligne."
    )
    apply_url = forms.URLField(
        assume_scheme="https",
        label="Lien pour candidater",
        required=False,
        max_length=500,
        help_text="Ex. https://www.welcometothejungle.com/…",
    )
    community_from = forms.DateField(label="Ouvert à la communauté le", widget=DATE_WIDGET)
    public_from = forms.DateField(
        label="Public le", required=False, widget=DATE_WIDGET, help_text="Par défaut, 7 jours après."
    )
    unpublish_on = forms.DateField(
        label="Dépublié le", required=False, widget=DATE_WIDGET, help_text="Par défaut, 2 mois après la publication."
    )

    def __init__(self, *args, user, post=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.post = post
        if post is not None:
            del self.fields["pour"]
        else:
            choices = [
                (f"produit:{p.ghid}", p.name) for p in perms.products_user_may_post_for(user).only("ghid", "name")
            ]
            if perms.can_post_for_pole(user):
                choices += [(f"pole:{pole.slug}", f"Incubateur — {pole.name}") for pole in Pole.objects.all()]
            self.fields["pour"].choices = [("", "—"), *choices]
            self.fields["community_from"].initial = timezone.localdate()

    def clean_technos(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["technos"].split(",") if t.strip()]

    def service_values(self) -> dict:
        data = dict(self.cleaned_data)
        pour = data.pop("pour", None)
        if pour:
            kind, _, key = pour.partition(":")
            if kind == "produit":
                data["product"] = Product.objects.get(ghid=key)
            else:
                data["pole"] = Pole.objects.get(slug=key)
        if self.post is not None:
            data["public_from"] = data["public_from"] or self.post.public_from
            data["unpublish_on"] = data["unpublish_on"] or self.post.unpublish_on
        return data

    @classmethod
    def initial_for(cls, post) -> dict:
        return {
            "title": post.title,
            "kind": post.kind,
            "contracting_body": post.contracting_body,
            "contract": post.contract,
            "domaines": post.domaines,
            "technos": ", ".join(post.technos),
            "junior": post.junior,
            "place": post.place,
            "workplace": post.workplace,
            "description": post.description,
            "contacts": post.contacts,
            "apply_url": post.apply_url,
            "community_from": post.community_from,
            "public_from": post.public_from,
            "unpublish_on": post.unpublish_on,
        }


class CloseForm(BaseForm):
    status = forms.ChoiceField(
        label="Pourquoi fermer l'annonce ?",
        choices=[("pourvu", "Le poste est pourvu"), ("ferme", "L'annonce est fermée (sans recrutement)")],
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(label="Je confirme : l'annonce disparaîtra de toutes les listes et de tous les flux.")
