"""Reads of job posts for the pages, the feeds and the API (scoping is the QuerySet's: `JobPost.objects…`)."""

from django.db.models import F
from django.utils import timezone

from incubateur.core.roles import is_member
from incubateur.organisation.models import Pole
from incubateur.recruitment.models import JobPost
from incubateur.registry.models import Product


def listed(user, today=None):
    """The posts listed to `user`: public ones; for a member, those in the community window too."""
    today = today or timezone.localdate()
    posts = JobPost.objects.open_for_community(today) if is_member(user) else JobPost.objects.open_public(today)
    return posts.select_related("product", "pole").order_by("-community_from", "-pk")


def filtered(posts, filters: dict):
    if filters.get("nature"):
        posts = posts.filter(kind=filters["nature"])
    if filters.get("junior"):
        posts = posts.filter(junior=True)
    if filters.get("pour"):
        kind, _, key = filters["pour"].partition(":")
        posts = posts.filter(product__ghid=key) if kind == "produit" else posts.filter(pole__slug=key)
    if filters.get("domaine"):
        # JSON containment is not on SQLite: the few open posts are matched in Python, the page's rows refetched.
        ids = [pk for pk, domaines in posts.values_list("pk", "domaines") if filters["domaine"] in (domaines or [])]
        posts = posts.filter(pk__in=ids)
    return posts


def owners(posts) -> list[tuple[str, str]]:
    """The filter's choices: the products and poles that have posts in `posts`."""
    products = Product.objects.filter(pk__in=posts.filter(product__isnull=False).values("product")).only(
        "ghid", "name"
    )
    poles = Pole.objects.filter(pk__in=posts.filter(pole__isnull=False).values("pole"))
    return [(f"produit:{p.ghid}", p.name) for p in products] + [
        (f"pole:{pole.slug}", f"Incubateur — {pole.name}") for pole in poles
    ]


def open_for_product(user, product, today=None):
    return list(listed(user, today).filter(product=product))


def open_for_incubator(user, today=None):
    return list(listed(user, today).filter(pole__isnull=False))


def mine(user):
    """What « Mes annonces » lists: the posts `user` may edit, the open and draft ones first."""
    return (
        JobPost.objects.editable_by(user)
        .select_related("product", "pole")
        .order_by(F("closed_at").asc(nulls_first=True), "-community_from", "-pk")
    )
