from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.core.exceptions import ValidationError
from dsfr.forms import DsfrBaseForm

from incubateur.core.errors import Stale

T = TypeVar("T")


class BaseForm(DsfrBaseForm):
    """Every form of the project: DSFR rendering, optional fields marked (not required ones, as DSFR now asks).

    django-dsfr 3.x warns on every render about this transition (settings.DSFR_MARK_OPTIONAL_FIELDS); we take
    the new behaviour and skip the warning.

    `service_fields` maps a service's error key to this form's field, when they differ.
    """

    service_fields: dict[str, str] = {}

    def get_context(self) -> dict:
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context

    def add_service_errors(self, error: ValidationError, rename: dict[str, str] | None = None) -> None:
        """Put a service's `ValidationError` on the form: a message about a visible field next to it, the rest
        (plain messages, unknown keys, hidden fields) above the form."""
        rename = {**self.service_fields, **(rename or {})}
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for key, messages in error.message_dict.items():
            name = rename.get(key, key)
            visible = name in self.fields and not self.fields[name].widget.is_hidden
            for message in messages:
                self.add_error(name if visible else None, message)


def run_service(form: BaseForm, call: Callable[[], T], rename: dict[str, str] | None = None) -> T | None:
    """Run a service for a page's form: its result, or None with the refusal on the form (`ValidationError` on
    the fields, `Stale` above the form). `NotAllowed` goes up: the middleware answers 404."""
    try:
        return call()
    except ValidationError as exc:
        form.add_service_errors(exc, rename)
    except Stale as exc:
        form.add_error(None, str(exc))
    return None
