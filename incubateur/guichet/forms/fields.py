"""Fields shared by the guichet's forms: a choice among the Incubator's staff, a message of capped length."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

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


class Select(forms.Select):
    """Django's `Select`, written in Python: the same HTML as its templates (`select.html`, one `select_option.html`
    and one `attrs.html` per option), without rendering a template per option. The request page lists every
    member of the staff and every pole: through the templates, half the time of its forms (#19)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in group_choices:
                parts.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>\n',
                        option["value"],
                        _attrs(option["attrs"]),
                        option["label"],
                    )
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")  # the renderer strips the template's last line break
        return mark_safe("".join(parts))  # every piece above is escaped by format_html


def _attrs(attrs: dict) -> SafeString:
    """`django/forms/widgets/attrs.html`: ` name="value"`, ` name` for True, nothing for False (escaped)."""
    return mark_safe(
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
            for name, value in attrs.items()
            if value is not False
        )
    )


class StaffChoiceField(forms.ChoiceField):
    """A choice among the Incubator's current staff ("Prénom Nom — rôle, pôle", read in one query by
    `selectors.requester.current_staff()` and given with `set_staff`); cleans to the account, or None."""

    widget = Select

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
