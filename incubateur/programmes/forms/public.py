"""The applicant's forms: choosing who applies, and the application form built from the call's questions.

The application form is lenient on purpose: a draft may be incomplete or hold an answer still being typed. The
call's rules (`rules.clean_answers`) judge the answers when the application is submitted, and the service's
errors are put back next to their fields (`BaseForm.add_service_errors`).
"""

from django import forms
from django.utils.html import escape

from incubateur.programmes import rules
from incubateur.programmes.models import ApplicantType, Call, Question, QuestionType
from incubateur.ui.forms import BaseForm

# Hard limit of one answer in a draft (the call's rules say less for short texts, at submission).
ANSWER_MAX_LENGTH = 20000
TEXT_MAX_LENGTH = 300


class ProductApplyForm(BaseForm):
    product = forms.ChoiceField(
        label="Le produit qui candidate",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez le produit pour lequel vous candidatez.",
            "invalid_choice": "Choisissez un des produits de votre équipe.",
        },
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = {str(product.pk): product for product in products}
        self.fields["product"].choices = [(pk, product.name) for pk, product in self.products.items()]

    def chosen(self):
        return self.products[self.cleaned_data["product"]]


APPLICANT_LABELS = {
    ApplicantType.ADMINISTRATION: ("Le nom de l'administration", "Par exemple : Direction générale des Finances"),
    ApplicantType.ASSOCIATION: ("Le nom de l'association", ""),
    ApplicantType.PERSON: ("Votre nom", "Prénom et nom, tels qu'ils figureront sur votre candidature"),
}


class NameApplyForm(BaseForm):
    applicant_name = forms.CharField(
        max_length=300, error_messages={"required": "Indiquez qui candidate."}, widget=forms.TextInput()
    )

    def __init__(self, *args, call: Call, **kwargs):
        super().__init__(*args, **kwargs)
        label, help_text = APPLICANT_LABELS.get(call.applicant_type, ("Qui candidate", ""))
        self.fields["applicant_name"].label = label
        self.fields["applicant_name"].help_text = help_text


class AnswerField(forms.CharField):
    """One answer of a draft: kept as typed. `required` says what submission will ask (the label is not marked
    « optionnel »), not what a draft needs."""

    def validate(self, value):
        if value in self.empty_values:
            return
        super().validate(value)


class MoneyField(AnswerField):
    """Whole euros, typed « 120 000 », « 120000 € »…; cleans to an int or None."""

    def to_python(self, value):
        text = super().to_python(value)
        return rules.clean_answer(Question(key="montant", type=QuestionType.MONEY), text)


def answer_field_name(key: str) -> str:
    return f"reponse_{key}"


def _answer_field(question: Question) -> AnswerField:
    help_text = question.help_text
    attrs: dict[str, str] = {}
    max_length = ANSWER_MAX_LENGTH
    widget: forms.Widget
    kind = question.type
    if kind == QuestionType.TEXT:
        widget, max_length = forms.TextInput(), TEXT_MAX_LENGTH
    elif kind == QuestionType.LONG_TEXT:
        widget = forms.Textarea(attrs={"rows": 8})
    elif kind == QuestionType.NUMBER:
        widget = forms.TextInput(attrs={"inputmode": "decimal"})
    elif kind == QuestionType.MONEY:
        widget = forms.TextInput(attrs={"inputmode": "numeric"})
        help_text = " — ".join(filter(None, [help_text, "En euros, sans centimes"]))
    elif kind == QuestionType.DATE:
        widget = forms.DateInput(attrs={"type": "date"})
        help_text = " — ".join(filter(None, [help_text, "Au format JJ/MM/AAAA"]))
    elif kind == QuestionType.CHOICE:
        choices = [("", "Sélectionner une réponse"), *((str(c), str(c)) for c in question.choices)]
        widget = forms.Select(choices=choices)
    else:  # URL, FILE_LINK
        widget = forms.URLInput()
        example = "https://…" if kind == QuestionType.URL else "un document partagé, https://…"
        help_text = " — ".join(filter(None, [help_text, f"Adresse complète : {example}"]))
    widget.attrs.update(attrs)
    return AnswerField(
        label=question.label,
        # django-dsfr prints help texts unescaped: a question's help is staff's text, escaped here.
        help_text=escape(help_text),
        required=question.required,
        max_length=max_length,
        widget=widget,
        strip=False,
    )


class ApplicationForm(BaseForm):
    """A draft: one field per question of the call (by type), the project's budget, the amount requested, and the
    version read (a save over someone else's is refused)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    stated_budget = MoneyField(
        label="Budget total du projet (€)",
        help_text="En euros, sans centimes : le co-financement demandé en est une part",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    amount_requested = MoneyField(
        label="Montant demandé (€)",
        help_text="En euros, sans centimes",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, call: Call, questions: list[Question], **kwargs):
        self.questions = questions
        self.service_fields = {question.key: answer_field_name(question.key) for question in questions}
        super().__init__(*args, **kwargs)
        for question in questions:
            self.fields[answer_field_name(question.key)] = _answer_field(question)
        if call.max_cofinancing_share is not None:
            self.fields["stated_budget"].required = True
        self.order_fields([answer_field_name(q.key) for q in questions] + ["stated_budget", "amount_requested"])
        # Fields added after BaseForm's __init__ get their DSFR classes here.
        from dsfr.utils import dsfr_input_class_attr

        for visible in self.visible_fields():
            dsfr_input_class_attr(visible)

    @classmethod
    def initial_for(cls, application) -> dict:
        initial = {
            answer_field_name(key): "" if value is None else str(value) for key, value in application.answers.items()
        }
        initial["version"] = application.version
        initial["stated_budget"] = application.stated_budget
        initial["amount_requested"] = application.amount_requested
        return initial

    def answer_fields(self):
        return [self[answer_field_name(question.key)] for question in self.questions]

    def budget_fields(self):
        return [self["stated_budget"], self["amount_requested"]]

    def draft(self) -> dict:
        """The keyword arguments of `services.application_save_draft`."""
        data = self.cleaned_data
        return {
            "answers": {question.key: data.get(answer_field_name(question.key)) or "" for question in self.questions},
            "stated_budget": data.get("stated_budget"),
            "amount_requested": data.get("amount_requested"),
            "version": data["version"],
        }

    def error_list(self) -> list[tuple[str, str, str]]:
        """(field id, label, message) of every error, in the form's order, for the error summary."""
        items = [("", "", message) for message in self.non_field_errors()]
        for name, field in self.fields.items():
            if name in self.errors and not field.widget.is_hidden:
                bound = self[name]
                items.extend((bound.id_for_label, str(field.label), message) for message in self.errors[name])
        if "version" in self.errors:
            items.append(("", "", "Le formulaire est incomplet : rechargez la page."))
        return items
