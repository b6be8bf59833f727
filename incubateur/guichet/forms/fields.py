"""Fields shared by the guichet's forms: a choice among the Incubator's staff, a message of capped length."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from incubateur.guichet.models import MESSAGE_MAX_HELP, message_too_long
from incubateur.guichet.selectors.requester import StaffChoice


class MessageField(forms.CharField):
    """A message typed in a textarea, at most `models.MESSAGE_MAX` characters (a line break counts once): the limit
    is said in the help text and a longer message is refused beside the field, before the service refuses it too.
    No `maxlength` attribute: the browser would cut a pasted text without a word."""

    def __init__(self, *, help_text: str = "", rows: int = 8, **kwargs):
        help_text = f"{help_text} ({MESSAGE_MAX_HELP})" if help_text else MESSAGE_MAX_HELP.capitalize()
        super().__init__(help_text=help_text, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)

    def validate(self, value):
        super().validate(value)
        if too_long := message_too_long(value):
            raise ValidationError(too_long, code="max_length")


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
