"""The recruitment pages: the list, a post, « Mes annonces » (create, edit, close, prolong), the Atom feed and
beta.gouv.fr's jobs.json. Scoped read → permission → service → redirect."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from incubateur.core import published
from incubateur.core.markup import render_markdown
from incubateur.core.pagecache import public_page
from incubateur.core.roles import is_member
from incubateur.recruitment import cache as recruitment_cache
from incubateur.recruitment import perms, selectors, services
from incubateur.recruitment.forms import CloseForm, FilterForm, PostForm
from incubateur.recruitment.models import JobPost
from incubateur.ui.forms import run_service

PER_PAGE = 20


def _visible_or_404(request, pk: int) -> JobPost:
    post = JobPost.objects.visible_to(request.user).select_related("product", "pole").filter(pk=pk).first()
    if post is None:
        raise Http404
    return post


def _editable_or_404(request, pk: int) -> JobPost:
    post = JobPost.objects.editable_by(request.user).select_related("product", "pole").filter(pk=pk).first()
    if post is None:
        raise Http404
    return post


# Cached whole for anonymous visitors (core/pagecache.py) under the stamps of the public posts (cache.py): a post's
# write, a product's or a pole's (their names); the worker's transitions bump the registry's and the organisation's.
# Posts open and close by their dates: the cache's key holds the day.
@public_page(*recruitment_cache.STAMPS)
@login_not_required
@require_safe
def post_list(request):
    posts = selectors.listed(request.user)
    form = FilterForm(request.GET or None, owners=selectors.owners(posts))
    filters = form.filters()
    page = Paginator(selectors.filtered(posts, filters), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "recruitment/list.html",
        {
            "page_obj": page,
            "form": form,
            "filters": filters,
            "member": is_member(request.user),
            "can_post": perms.can_post(request.user),
        },
    )


@public_page(*recruitment_cache.STAMPS)  # as the list: a post's page shows its dates, product and pole
@login_not_required
@require_safe
def post_detail(request, pk: int):
    post = _visible_or_404(request, pk)
    today = timezone.localdate()
    return render(
        request,
        "recruitment/detail.html",
        {
            "post": post,
            "gone": post.is_gone(today),
            "draft": post.status == "brouillon",
            "community_only": post.is_open(today) and not post.is_public(today),
            "scheduled": post.status != "brouillon" and not post.is_gone(today) and post.community_from > today,
            "can_edit": perms.can_edit_post(request.user, post),
        },
    )


@require_safe
def mine(request):
    posts = Paginator(selectors.mine(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "recruitment/mine.html", {"page_obj": posts, "can_post": perms.can_post(request.user)})


@require_http_methods(["GET", "POST"])
def post_create(request):
    if not perms.can_post(request.user):
        raise Http404
    form = PostForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        draft = "brouillon" in request.POST
        post = run_service(
            form,
            lambda: services.post_create(by=request.user, draft=draft, **form.service_values()),
            rename={"product": "pour", "pole": "pour"},
        )
        if post is not None:
            messages.success(
                request,
                "Brouillon enregistré."
                if draft
                else f"Annonce enregistrée : ouverte à la communauté le "
                f"{post.community_from:%d/%m/%Y}, publique le {post.public_from:%d/%m/%Y}.",
            )
            return redirect("recruitment:detail", pk=post.pk)
    return render(request, "recruitment/form.html", {"form": form, "post": None})


@require_http_methods(["GET", "POST"])
def post_edit(request, pk: int):
    post = _editable_or_404(request, pk)
    if post.is_gone():
        messages.info(request, "Ce poste n'est plus ouvert : l'annonce ne se modifie plus.")
        return redirect("recruitment:detail", pk=post.pk)
    form = PostForm(request.POST or None, user=request.user, post=post, initial=PostForm.initial_for(post))
    if request.method == "POST" and form.is_valid():
        publish = "publier" in request.POST
        changed = run_service(
            form, lambda: services.post_update(post=post, by=request.user, publish=publish, **form.service_values())
        )
        if changed is not None:
            messages.success(request, "L'annonce a été mise à jour." if changed else "Aucun changement.")
            return redirect("recruitment:detail", pk=post.pk)
    return render(request, "recruitment/form.html", {"form": form, "post": post})


@require_http_methods(["GET", "POST"])
def post_close(request, pk: int):
    post = _editable_or_404(request, pk)
    if post.is_gone():
        messages.info(request, "Ce poste n'est déjà plus ouvert.")
        return redirect("recruitment:detail", pk=post.pk)
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        closed = run_service(
            form, lambda: services.post_close(post=post, by=request.user, status=form.cleaned_data["status"])
        )
        if closed is not None:
            messages.success(request, f"L'annonce « {post.title} » est fermée.")
            return redirect("recruitment:mine")
    return render(request, "recruitment/close.html", {"form": form, "post": post})


@require_POST
def post_prolong(request, pk: int):
    post = _editable_or_404(request, pk)
    try:
        post = services.post_prolong(post=post, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"L'annonce « {post.title} » est prolongée jusqu'au {post.unpublish_on:%d/%m/%Y}.")
    return redirect("recruitment:mine")


# --- Feeds ----------------------------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.BASE_URL.rstrip("/") + path


@login_not_required
@require_safe
def feed(request):
    """Atom 1.0: public posts only, whoever asks (a feed reader has no session). Published like a file (cache.py)."""
    return published.serve(request, build=_feed_bytes, path=recruitment_cache.FEED)


def _feed_bytes() -> bytes:
    posts = list(selectors.listed(None)[:50])
    atom = Atom1Feed(
        title="Recrutement — Incubateur de services numériques",
        link=_absolute(reverse("recruitment:list")),
        description="Les postes et missions ouverts au sein de l'Incubateur et des produits de beta.gouv.fr.",
        feed_url=_absolute(reverse("recruitment:feed")),
        language="fr",
        feed_guid=_absolute(reverse("recruitment:feed")),
    )
    for post in posts:
        url = _absolute(reverse("recruitment:detail", args=[post.pk]))
        kind = "Mission freelance" if post.is_mission else "Emploi"
        atom.add_item(
            title=f"{post.title} ({post.owner_name})",
            link=url,
            unique_id=url,
            description=str(render_markdown(post.description)),
            pubdate=post.published_at or post.announced_at or post.created_at,
            updateddate=max(filter(None, [post.updated_at, post.published_at, post.announced_at])),
            categories=[kind, *post.domaine_labels],
        )
    return atom.writeString("utf-8").encode()


@login_not_required
@require_safe
def jobs_json(request):
    """beta.gouv.fr's /api/v2.6/jobs.json: the open public posts, in the shape it published until 2024. Published
    like a file (cache.py)."""
    return published.serve(request, build=_jobs_json_bytes, path=recruitment_cache.JOBS_JSON)


def _jobs_json_bytes() -> bytes:
    posts = selectors.listed(None).select_related("author")
    rows = []
    for post in posts:
        path = reverse("recruitment:detail", args=[post.pk])
        rows.append(
            {
                "id": path,
                "domaines": post.domaines,
                "title": post.title,
                "url": _absolute(path),
                "published": timezone.localtime(post.published_at or post.announced_at or post.created_at).isoformat(),
                "startup": post.product.ghid if post.product_id else None,
                "updated": timezone.localtime(post.updated_at).isoformat(),
                "author": post.product.name if post.product_id else "Incubateur de services numériques",
                "technos": ", ".join(post.technos),
                "content": post.description,
                "contacts": post.contact_lines,
            }
        )
    return json.dumps(rows, ensure_ascii=False, cls=DjangoJSONEncoder).encode()
