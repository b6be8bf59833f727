"""Who may do what with job posts: one function per decision, used by the pages, the API and the feeds."""

from django.utils import timezone

from incubateur.core.roles import is_member, is_staff
from incubateur.organisation.models import Pole
from incubateur.recruitment.models import JobPost
from incubateur.registry.models import Product


def can_post_for_pole(user, pole: Pole | None = None) -> bool:
    """Incubator staff (and administrators) post the Incubator's own positions, for any of its poles."""
    return is_staff(user)


def can_post_for_product(user, product: Product) -> bool:
    """The product's active members (a mission naming it runs today) post for it; staff may too."""
    if not is_member(user):
        return False
    if is_staff(user):
        return True
    return Product.objects.filter(pk=product.pk).with_active_member(user).exists()


def products_user_may_post_for(user):
    """The products `user` may post for (the create form's choices)."""
    if not is_member(user):
        return Product.objects.none()
    if is_staff(user):
        return Product.objects.all()
    return Product.objects.with_active_member(user)


def can_post(user) -> bool:
    """Whether `user` may post at all (the « Publier une annonce » button)."""
    return is_staff(user) or (is_member(user) and products_user_may_post_for(user).exists())


def can_edit_post(user, post: JobPost) -> bool:
    """Its author, the product's active members, the members of a team of one of the product's incubators, Incubator
    staff and administrators edit, close and prolong a post (a pole's post: staff and its author)."""
    return JobPost.objects.filter(pk=post.pk).editable_by(user).exists()


def can_see_post(user, post: JobPost) -> bool:
    """Public posts: everyone; in the community window: members; drafts: those who may edit; closed or expired
    posts that were open once: everyone (their page says « Ce poste n'est plus ouvert »)."""
    return JobPost.objects.filter(pk=post.pk).visible_to(user).exists()


def can_see_in_lists(user, post: JobPost) -> bool:
    """Whether the post is listed to `user` (lists, feeds, API lists): open, and public unless `user` is a member."""
    today = timezone.localdate()
    return post.is_public(today) or (is_member(user) and post.is_open(today))
