from django import forms

from incubateur.ui.forms import BaseForm


class LoginForm(BaseForm):
    email = forms.EmailField(
        label="Adresse e-mail",
        help_text="Format attendu : prenom.nom@beta.gouv.fr",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        error_messages={
            "required": "Saisissez votre adresse e-mail.",
            "invalid": "Saisissez une adresse e-mail valide, par exemple prenom.nom@beta.gouv.fr.",
        },
    )
