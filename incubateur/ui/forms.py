from django import forms
from dsfr.forms import DsfrBaseForm


class BaseForm(DsfrBaseForm):
    """Every form of the project: DSFR rendering, optional fields marked (not required ones, as DSFR now asks).

    django-dsfr 3.x warns on every render about this transition (settings.DSFR_MARK_OPTIONAL_FIELDS); we take
    the new behaviour and skip the warning.
    """

    def get_context(self) -> dict:
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context
