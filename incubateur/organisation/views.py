from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from incubateur.core.decorators import staff_required
from incubateur.core.ministries import MINISTRIES
from incubateur.organisation import selectors, services
from incubateur.organisation.forms import MinistryForm, PortfolioManagerForm, PositionForm, SearchForm
from incubateur.organisation.models import Pole, Portfolio, Position


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
    return render(
        request,
        "organisation/who_does_what.html",
        {
            "directory": selectors.directory(),
            "search_form": search_form,
            "ministry_form": ministry_form,
            "hits": hits,
            "query": search_form.cleaned_data.get("q", "") if search_form.is_valid() else "",
            "contact": contact,
            "ministry_label": MINISTRIES.get(ministry, ""),
        },
    )


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
