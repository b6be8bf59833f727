"""French as it is written, in templates (a builtin library: no `{% load %}` needed; `{% load french %}` works too).

- `{{ day|date_fr }}` → « 1er mai 2026 »; `{{ moment|datetime_fr }}` → « 1er mai 2026 à 14:05 » (Paris time);
  `{{ day|month_fr }}` → « mai 2026 ». One format for the whole site: use these, not `|date:"…"`.
- `{{ name|de }}` → « d’Antoine », « d’Hélène », « de Paul » (the rule is in `core/text.py`).
- `produit{{ n|pluriel }}`, `{{ n|pluriel:"al,aux" }}`: Django's `pluralize` made French (0 and 1 are singular).
- `{% nombre n "lauréat" %}` → « 0 lauréat », « 2 lauréats »; `{% nombre n "journal" "journaux" %}`.

The same functions serve Python texts (e-mails, notifications, Mattermost): `incubateur.core.text`.
"""

from django import template

from incubateur.core import text

register = template.Library()


@register.filter
def date_fr(value):
    return text.date_fr(value)


@register.filter
def datetime_fr(value):
    return text.datetime_fr(value)


@register.filter
def month_fr(value):
    return text.month_fr(value)


@register.filter(is_safe=True)
def de(value):
    return text.de(value)


@register.filter(is_safe=False)
def pluriel(value, arg="s"):
    """`pluralize` with French grammar: « ,s » by default; one argument is the plural suffix, two are
    « singular suffix,plural suffix »."""
    if "," in arg:
        singular, _, plural_suffix = arg.partition(",")
    else:
        singular, plural_suffix = "", arg
    return plural_suffix if text.is_plural(value) else singular


@register.simple_tag
def nombre(value, singular, plural_form=None):
    """« 2 lauréats »: the number and the word agreeing with it."""
    return text.quantity(value, singular, plural_form)
