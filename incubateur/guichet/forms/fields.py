"""Fields shared by the guichet's forms: a choice among the Incubator's staff."""

from django import forms
from django.contrib.auth import get_user_model

from incubateur.guichet.selectors.requester import StaffChoice


class StaffChoiceField(forms.ChoiceField):
    """A choice among the Incubator's current staff ("Prénom Nom — rôle, pôle", read in one query by
    `selectors.requester.current_staff()` and given with `set_staff`); cleans to the account, or None."""

    def __init__(self, *, empty_label: str = "Sélectionner une personne", **kwargs):
        self.empty_label = empty_label
        self.accounts: dict[str, object] = {}
        super().__init__(choices=[("", empty_label)], **kwargs)

    def set_staff(self, staff: list[StaffChoice]) -> None:
        self.accounts = {str(choice.user.pk): choice.user for choice in staff}
        self.choices = [("", self.empty_label)] + [(str(choice.user.pk), choice.label) for choice in staff]

    def clean(self, value):
        value = super().clean(value)
        return self.accounts.get(value) if value else None


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.email
        return f"{name} ({obj.username})" if obj.username else name


def staff_people():
    return get_user_model().objects.filter(is_active=True, is_incubator_staff=True).order_by("first_name", "last_name")
