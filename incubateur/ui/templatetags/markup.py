"""`{% load markup %}`: imported Markdown shown as beta.gouv.fr shows it, sanitised (`incubateur.core.markup`).

- `{{ text|markdown }}`: blocks (paragraphs, lists, tables…); the text's highest heading becomes an `<h2>`;
  `{{ text|markdown:3 }}` for a text under an `<h2>` of the page (its headings start at `<h3>`);
- `{{ text|markdown_inline }}`: a one-line text (emphasis, links, spans), to put inside a `<p>`;
- `{{ text|markdown_excerpt:160 }}`: plain text, cut at a word, for cards and lists.
"""

from django import template
from django.utils.safestring import SafeString

from incubateur.core import markup

register = template.Library()


@register.filter(is_safe=True)
def markdown(text, top: int = 2) -> SafeString:
    return markup.render_markdown(text, top=int(top))


@register.filter(is_safe=True)
def markdown_inline(text) -> SafeString:
    return markup.render_markdown_inline(text)


@register.filter
def markdown_excerpt(text, length: int = 200) -> str:
    return markup.markdown_excerpt(text, int(length))
