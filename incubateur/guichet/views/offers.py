"""The offers of help: proposed by the Incubator's staff, decided by the product's team.

Views stay thin: scoped read (404 outside it) → `perms` → `services` → redirect with a message.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from incubateur.core.decorators import staff_required
from incubateur.core.roles import is_staff
from incubateur.guichet import perms, services
from incubateur.guichet.forms.offers import OfferDeclineForm, OfferFilterForm, OfferForm
from incubateur.guichet.selectors import desk as selectors
from incubateur.ui.forms import run_service


@require_safe
def offers(request):
    user = request.user
    staff = is_staff(user)
    team_products = selectors.team_product_ids(user)
    view = request.GET.get("vue", "")
    if not staff:
        view = selectors.OFFERS_MY_TEAMS
    elif view not in selectors.OFFER_VIEWS:
        view = selectors.OFFERS_MINE
    filter_form = OfferFilterForm(request.GET or None)
    status = filter_form.status() if request.GET else ""
    page_obj = selectors.offers_page(
        user, view=view, status=status, team_products=team_products, page_number=request.GET.get("page")
    )
    views = []
    if staff:
        for key, label in selectors.OFFER_VIEWS.items():
            if key == selectors.OFFERS_MY_TEAMS and not team_products:
                continue
            views.append({"key": key, "label": label, "current": key == view})
    return render(
        request,
        "guichet/offers.html",
        {
            "page_obj": page_obj,
            "view": view,
            "views": views,
            "staff": staff,
            "can_offer": perms.can_offer_help(user),
            "filter_form": filter_form,
            "status": status,
        },
    )


def _offer_or_404(request, pk: int):
    offer = selectors.offer_for(request.user, pk)
    if offer is None:
        raise Http404
    return offer


@require_safe
def offer(request, pk: int):
    offer = _offer_or_404(request, pk)
    can_decide = perms.can_decide_offer(request.user, offer)
    can_withdraw = perms.can_withdraw_offer(request.user, offer)
    return render(
        request,
        "guichet/offer.html",
        {
            "offer": offer,
            "can_decide": can_decide,
            "can_withdraw": can_withdraw,
            "confirm_withdraw": can_withdraw and "retirer" in request.GET,
            "decline_form": OfferDeclineForm() if can_decide else None,
            "offered_by_name": offer.offered_by.display_name,
        },
    )


def _decide(request, call):
    """Run a decision on an offer: its result, or None with the service's refusal as messages on the offer's page
    (there is no form to show them on). A `NotAllowed` is a 404 (the middleware)."""
    try:
        return call()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return None


@require_POST
def offer_accept(request, pk: int):
    offer = _offer_or_404(request, pk)
    ticket = _decide(request, lambda: services.offer_accept(offer=offer, member_user=request.user))
    if ticket is None:
        return redirect("guichet:offer", pk=offer.pk)
    messages.success(
        request,
        f"Vous avez accepté l'aide proposée. La demande {ticket.reference} est ouverte pour toute l'équipe de "
        f"{offer.product.name}.",
    )
    return redirect(ticket)


@require_POST
def offer_decline(request, pk: int):
    offer = _offer_or_404(request, pk)
    form = OfferDeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else None
    if reason is None:
        if not perms.can_decide_offer(request.user, offer):
            raise Http404
        for message in form.errors.get("reason", []):
            messages.error(request, f"Raison : {message}")
        return redirect("guichet:offer", pk=offer.pk)
    if _decide(request, lambda: services.offer_decline(offer=offer, member_user=request.user, reason=reason)):
        messages.success(request, "Vous avez refusé l'aide proposée. La personne qui l'a proposée en est informée.")
    return redirect("guichet:offer", pk=offer.pk)


@require_POST
def offer_withdraw(request, pk: int):
    offer = _offer_or_404(request, pk)
    if _decide(request, lambda: services.offer_withdraw(offer=offer, actor=request.user)):
        messages.success(request, "Votre offre d'aide est retirée.")
    return redirect("guichet:offer", pk=offer.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def offer_new(request):
    if not perms.can_offer_help(request.user):
        raise Http404
    initial = {}
    preselected = None
    ghid = request.GET.get("produit", "")
    if ghid:
        preselected = selectors.product_by_ghid(ghid)
        if preselected is not None:
            initial["product"] = preselected.ghid
    form = OfferForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        offer = run_service(form, lambda: services.offer_propose(offered_by=request.user, **form.cleaned_data))
        if offer is not None:
            messages.success(
                request,
                f"Votre offre d'aide est envoyée à l'équipe de {offer.product.name}. "
                "Rien ne se passera sans son accord.",
            )
            return redirect("guichet:offer", pk=offer.pk)
    return render(request, "guichet/offer_new.html", {"form": form, "preselected": preselected})
