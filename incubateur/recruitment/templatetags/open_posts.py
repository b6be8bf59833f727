"""« Postes ouverts » on a product's page and on the Incubator's « Qui fait quoi ».

The registry and the organisation sit below recruitment and cannot read it: their templates load this library
(`{% load open_posts %}{% product_open_posts product %}` / `{% incubator_open_posts %}`), one query each.
"""

from django import template

from incubateur.recruitment import selectors

register = template.Library()


@register.inclusion_tag("recruitment/_open_posts.html", takes_context=True)
def product_open_posts(context, product):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"posts": selectors.open_for_product(user, product), "product": product}


@register.inclusion_tag("recruitment/_open_posts.html", takes_context=True)
def incubator_open_posts(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"posts": selectors.open_for_incubator(user), "product": None}
