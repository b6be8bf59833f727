from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods, require_safe

from incubateur.core.decorators import staff_required
from incubateur.core.ministries import MINISTRIES
from incubateur.core.pagecache import public_page
from incubateur.core.stamps import cached_html
from incubateur.organisation import cache, selectors, services
from incubateur.organisation.forms import MinistryForm, PortfolioManagerForm, PositionForm, SearchForm
from incubateur.organisation.models import Pole, Portfolio, Position
from incubateur.registry import cache as registry_cache


def _cached_fragments() -> tuple[str, ...]:
    """The request-independent parts of the page, rendered once per organisation version:
    the intro, the search forms as they are with no query, and the body."""

    def render():
        context = {"directory": selectors.directory(), "search_form": SearchForm(), "ministry_form": MinistryForm()}
        return (
            render_to_string(f"organisation/_directory_{part}.html", context) for part in ("intro", "search", "body")
        )

    return cached_html(cache.key("fragments:who_does_what"), render)


@public_page(cache.stamp)
@login_not_required
@require_safe
def who_does_what(request):
    search_form = SearchForm(request.GET or None)
    ministry_form = MinistryForm(request.GET or None)
    hits = None
    if search_form.is_valid() and search_form.cleaned_data["q"]:
        hits = selectors.search(search_form.cleaned_data["q"])
    contact = None
    ministry = ""
    if ministry_form.is_valid() and ministry_form.cleaned_data["ministere"]:
        ministry = ministry_form.cleaned_data["ministere"]
        contact = selectors.contact_for(ministries=[ministry])
    intro_html, search_html, body_html = _cached_fragments()
    return render(
        request,
        "organisation/who_does_what.html",
        {
            "intro_html": intro_html,
            "search_html": "" if request.GET else search_html,
            "body_html": body_html,
            "contact_email": selectors.department_contact_email() if contact and not contact.person else "",
            "search_form": search_form,
            "ministry_form": ministry_form,
            "hits": hits,
            "query": search_form.cleaned_data.get("q", "") if search_form.is_valid() else "",
            "contact": contact,
            "ministry_label": MINISTRIES.get(ministry, ""),
        },
    )


@public_page(cache.stamp, registry_cache.stamp)
@login_not_required
@require_safe
def person(request, username: str):
    """A person of *Qui fait quoi*: their roles, poles and portfolios, how to reach them, the way to the guichet."""
    page = selectors.person_page(username)
    if page is None:
        raise Http404
    return render(request, "organisation/person.html", {"page": page, "person": page.person})


@staff_required
@require_safe
def manage(request):
    return render(request, "organisation/manage.html", {"directory": selectors.directory()})


@staff_required
@require_http_methods(["GET", "POST"])
def portfolio_edit(request, slug: str):
    portfolio = get_object_or_404(Portfolio.objects.select_related("manager"), slug=slug)
    form = PortfolioManagerForm(request.POST or None, initial={"manager": portfolio.manager})
    if request.method == "POST" and form.is_valid():
        services.portfolio_set_manager(portfolio=portfolio, manager=form.cleaned_data["manager"], by=request.user)
        messages.success(request, f"Le portefeuille « {portfolio.label} » a été mis à jour.")
        return redirect("organisation:manage")
    return render(request, "organisation/portfolio_edit.html", {"portfolio": portfolio, "form": form})


@staff_required
@require_http_methods(["GET", "POST"])
def position_add(request, slug: str):
    pole = get_object_or_404(Pole, slug=slug)
    form = PositionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.position_add(pole=pole, by=request.user, **form.cleaned_data)
        messages.success(request, f"{form.cleaned_data['person']} a rejoint {pole.name}.")
        return redirect("organisation:manage")
    return render(request, "organisation/position_add.html", {"pole": pole, "form": form})


@staff_required
@require_http_methods(["GET", "POST"])
def position_end(request, pk: int):
    position = get_object_or_404(
        Position.objects.current().filter(portfolio__isnull=True).select_related("pole", "person"), pk=pk
    )
    if request.method == "POST":
        services.position_end(position=position, by=request.user)
        messages.success(request, f"{position.person} a quitté {position.pole.name}.")
        return redirect("organisation:manage")
    return render(request, "organisation/position_end.html", {"position": position})
