"""The attachments field of the guichet's forms (a new request, a reply or a note, a request recorded on someone's
behalf): several files, the DSFR upload component, the limits said beside it and checked before the service
checks them again (`services.attachments.check`)."""

from django import forms
from django.core.exceptions import ValidationError

from incubateur.guichet.services.attachments import FIELD, accept_attribute, check, limits_help


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True
    group_class = "fr-upload-group"  # the DSFR snippet's wrapper (dsfr/form_field_snippets/input_snippet.html)

    def __init__(self, attrs=None):
        super().__init__({"class": "fr-upload", "multiple": True, **(attrs or {})})


class AttachmentsField(forms.FileField):
    """Cleans to a list of uploaded files (empty when none); every broken limit is said beside the field."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Pièces jointes")
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def __deepcopy__(self, memo):
        # Each form gets its copy: the limits as the settings say them now.
        field = super().__deepcopy__(memo)
        field.help_text = limits_help()
        field.widget.attrs["accept"] = accept_attribute()
        return field

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        files = [super(AttachmentsField, self).clean(f, initial) for f in files]
        errors = check(files)
        if errors:
            raise ValidationError(errors)
        return files


def attachments_field(**kwargs) -> AttachmentsField:
    return AttachmentsField(**kwargs)


__all__ = ["FIELD", "AttachmentsField", "attachments_field"]
