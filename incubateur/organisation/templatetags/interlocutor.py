"""« Votre interlocuteur à l'Incubateur » on the registry's product and incubator pages.

The registry sits below the organisation and cannot read it: its templates load this library
(`{% load interlocutor %}{% product_interlocutor page %}`), which reads the organisation with `selectors.interlocutor`
(`contact_for`, the guichet's routing answer) from what the registry page already holds.
"""

from django import template

from incubateur.organisation import selectors
from incubateur.registry.models import Incubator, Organisation

register = template.Library()


def product_perimeter(page) -> tuple[list[str], list[str]]:
    """The product's themes and ministries, as `registry.selectors.perimeters` reads them (its sponsors' in order,
    then its principal incubator owner's), from a loaded `ProductPage`: no query when the owner is one of the
    sponsors or was loaded with the incubator, one otherwise. tests/organisation/test_person.py checks that both
    agree."""
    ministries = [sponsor.domaine_ministeriel for sponsor in page.sponsors if sponsor.domaine_ministeriel]
    principal = next((link.incubator for link in page.incubators if link.is_principal), None)
    if principal is not None and principal.owner_id is not None:
        if Incubator._meta.get_field("owner").is_cached(principal):
            code = principal.owner.domaine_ministeriel
        else:
            owner = next((sponsor for sponsor in page.sponsors if sponsor.pk == principal.owner_id), None)
            if owner is not None:
                code = owner.domaine_ministeriel
            else:
                code = (
                    Organisation.objects.filter(pk=principal.owner_id)
                    .values_list("domaine_ministeriel", flat=True)
                    .first()
                )
        if code:
            ministries.append(code)
    themes = [theme for theme in (page.product.thematiques or []) if isinstance(theme, str)]
    return themes, list(dict.fromkeys(ministries))


@register.inclusion_tag("organisation/_interlocutor.html")
def product_interlocutor(page):
    themes, ministries = product_perimeter(page)
    found = selectors.interlocutor(ministries=ministries, themes=themes, contact_dinum=page.product.contact_dinum)
    return {"interlocutor": found, "product": page.product}


@register.inclusion_tag("organisation/_interlocutor.html")
def incubator_interlocutor(incubator):
    owner = incubator.owner
    ministries = [owner.domaine_ministeriel] if owner is not None and owner.domaine_ministeriel else []
    return {"interlocutor": selectors.interlocutor(ministries=ministries), "incubator": incubator}
