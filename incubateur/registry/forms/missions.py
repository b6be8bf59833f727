"""The forms of a member's missions (#14): add or change one, extend it in one click, end it."""

from django import forms
from django.conf import settings
from django.db.models import Q

from incubateur.registry.enums import MissionStatus, ReviewState
from incubateur.registry.models import Member, Mission, Product
from incubateur.registry.services.missions import EMPLOYER_MAX_LENGTH
from incubateur.ui.forms import BaseForm

DATE_WIDGET = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


def _date_field(label: str, *, required: bool, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        error_messages={"required": f"Indiquez la {label.lower()}.", "invalid": "Saisissez une date valide."},
        **DATE_WIDGET,
    )


class MissionForm(BaseForm):
    start = _date_field("Date de début", required=True)
    end = _date_field("Date de fin", required=False)
    status = forms.ChoiceField(
        label="Statut",
        choices=[("", "Choisir un statut"), *MissionStatus.choices],
        error_messages={"required": "Choisissez un statut."},
    )
    employer = forms.CharField(
        label="Employeur",
        required=False,
        max_length=EMPLOYER_MAX_LENGTH,
        help_text="Il n'est jamais publié : seuls les utilisateurs de l'API munis d'un jeton le voient.",
    )
    products = forms.ModelMultipleChoiceField(
        label="Produits",
        required=False,
        queryset=Product.objects.none(),
        to_field_name="ghid",
        help_text="Maintenez Ctrl (ou Cmd) pour en choisir plusieurs.",
        error_messages={"invalid_choice": "Produit inconnu ou non validé : « %(value)s »."},
    )

    def __init__(self, *args, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["end"].help_text = (
            f"Hors agents publics, au plus {settings.MISSION_MAX_MONTHS_AHEAD} mois après aujourd'hui : la mission "
            "se prolonge ensuite en un clic."
        )
        # Validated products, and those awaiting validation that the member is already on.
        self.fields["products"].queryset = (
            Product.objects.filter(Q(review_state=ReviewState.VALIDATED) | Q(missionproduct__mission__member=member))
            .distinct()
            .only("pk", "ghid", "name", "review_state")
            .order_by("name")
        )

    @staticmethod
    def initial_for(mission: Mission) -> dict:
        return {
            "start": mission.start,
            "end": mission.end,
            "status": mission.status,
            "employer": mission.employer,
            "products": [link.product.ghid for link in mission.missionproduct_set.all()],
        }

    def values(self) -> dict:
        """The service's keyword arguments."""
        data = self.cleaned_data
        return {
            "start": data["start"],
            "end": data["end"],
            "status": data["status"],
            "employer": data["employer"],
            "products": list(data["products"]),
        }


class MissionExtendForm(BaseForm):
    end = forms.DateField(widget=forms.HiddenInput, error_messages={"required": "Indiquez la nouvelle fin."})


class MissionEndForm(BaseForm):
    end = _date_field("Date de fin", required=True, help_text="Aujourd'hui, ou une date avant la fin prévue.")
