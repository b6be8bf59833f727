"""The guichet's staff pages (the desk, a request recorded on someone's behalf, the routing table) and the offers
of help (proposed by staff, decided by the product's team).

Views stay thin: scoped read (404 outside it) → `perms` → `services` → redirect with a message.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from incubateur.core.decorators import staff_required
from incubateur.core.roles import is_staff
from incubateur.guichet import perms, queries_desk, services
from incubateur.guichet.forms_desk import (
    DeskFilterForm,
    OfferDeclineForm,
    OfferFilterForm,
    OfferForm,
    OnBehalfForm,
    RoutingRuleForm,
    add_service_errors,
)
from incubateur.guichet.models import RoutingRule, Ticket


def _name(user) -> str:
    return user.get_full_name() or user.username or user.email


# --- The desk -------------------------------------------------------------------------------------------------


@staff_required
@require_safe
def desk(request):
    if not perms.can_see_desk(request.user):
        raise Http404
    user = request.user
    poles = queries_desk.poles()
    data = request.GET.copy()
    if not data.get("pole"):  # « Mon pôle » unless another pole is chosen
        mine = queries_desk.pole_of(user)
        if mine is not None:
            data["pole"] = mine.slug
    form = DeskFilterForm(data, poles=poles)
    values = form.values()
    filters = queries_desk.DeskFilters(
        kind=values["type"], status=values["statut"], product=values["produit"], q=values["q"]
    )
    tab = request.GET.get("vue", "")
    if tab not in queries_desk.TABS:
        tab = queries_desk.MINE
    pole = next((p for p in poles if p.slug == values["pole"]), None)
    now = timezone.now()
    scope = queries_desk.desk_scope(user, filters)
    counts = queries_desk.tab_counts(scope, user=user, pole=pole, now=now)
    rows = queries_desk.in_tab(scope, tab, user=user, pole=pole, now=now)
    page_obj = queries_desk.desk_page(rows, tab, request.GET.get("page"))
    return render(
        request,
        "guichet/desk.html",
        {
            "form": form,
            "filters": filters,
            "tab": tab,
            "tab_label": queries_desk.TABS[tab],
            "tabs": queries_desk.tab_links(counts, current=tab, filters=filters, pole=pole),
            "pole": pole,
            "page_obj": page_obj,
            "empty_message": queries_desk.EMPTY[tab],
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def new_on_behalf(request):
    if not perms.can_submit_on_behalf(request.user):
        raise Http404
    form = OnBehalfForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        arguments = form.submission()
        try:
            ticket = services.ticket_submit(recorded_by=request.user, **arguments)
        except ValidationError as error:
            add_service_errors(form, error)
            if "idempotency_key" in getattr(error, "error_dict", {}):
                form.renew_idempotency_key()
        except services.NotAllowed as error:
            form.add_error(None, str(error))
        else:
            requester = _name(arguments["requester"])
            if ticket.replayed:
                messages.info(request, f"Cette demande était déjà enregistrée pour {requester} ({ticket.reference}).")
            else:
                messages.success(
                    request,
                    f"La demande {ticket.reference} est enregistrée pour {requester} ; un e-mail l'en informe.",
                )
            if Ticket.objects.for_user(request.user).filter(pk=ticket.pk).exists():
                return redirect("guichet:ticket", pk=ticket.pk)
            # A confidential request to someone else: even the person who typed it does not read it afterwards.
            messages.info(
                request,
                f"Cette demande confidentielle est transmise à {_name(ticket.assignee)} : seuls cette personne et "
                "le demandeur peuvent la lire.",
            )
            return redirect("guichet:desk")
    return render(
        request,
        "guichet/on_behalf.html",
        {"form": form, "requester_products": form.requester_products() if form.is_bound else []},
    )


# --- Offers of help -------------------------------------------------------------------------------------------


@require_safe
def offers(request):
    user = request.user
    staff = is_staff(user)
    team_products = queries_desk.team_product_ids(user)
    view = request.GET.get("vue", "")
    if not staff:
        view = queries_desk.OFFERS_MY_TEAMS
    elif view not in queries_desk.OFFER_VIEWS:
        view = queries_desk.OFFERS_MINE
    filter_form = OfferFilterForm(request.GET or None)
    status = filter_form.status() if request.GET else ""
    page_obj = queries_desk.offers_page(
        user, view=view, status=status, team_products=team_products, page_number=request.GET.get("page")
    )
    views = []
    if staff:
        for key, label in queries_desk.OFFER_VIEWS.items():
            if key == queries_desk.OFFERS_MY_TEAMS and not team_products:
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
    offer = queries_desk.offer_for(request.user, pk)
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
            "offered_by_name": _name(offer.offered_by),
        },
    )


@require_POST
def offer_accept(request, pk: int):
    offer = _offer_or_404(request, pk)
    try:
        ticket = services.offer_accept(offer=offer, member_user=request.user)
    except services.NotAllowed:
        raise Http404 from None
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("guichet:offer", pk=offer.pk)
    messages.success(
        request,
        f"Vous avez accepté l'aide proposée. La demande {ticket.reference} est ouverte pour toute l'équipe de "
        f"{offer.product.name}.",
    )
    return redirect("guichet:ticket", pk=ticket.pk)


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
    try:
        services.offer_decline(offer=offer, member_user=request.user, reason=reason)
    except services.NotAllowed:
        raise Http404 from None
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("guichet:offer", pk=offer.pk)
    messages.success(request, "Vous avez refusé l'aide proposée. La personne qui l'a proposée en est informée.")
    return redirect("guichet:offer", pk=offer.pk)


@require_POST
def offer_withdraw(request, pk: int):
    offer = _offer_or_404(request, pk)
    try:
        services.offer_withdraw(offer=offer, actor=request.user)
    except services.NotAllowed:
        raise Http404 from None
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("guichet:offer", pk=offer.pk)
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
        preselected = queries_desk.product_by_ghid(ghid)
        if preselected is not None:
            initial["product"] = preselected.ghid
    form = OfferForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.offer_propose(offered_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Votre offre d'aide est envoyée à l'équipe de {offer.product.name}. "
                "Rien ne se passera sans son accord.",
            )
            return redirect("guichet:offer", pk=offer.pk)
    return render(request, "guichet/offer_new.html", {"form": form, "preselected": preselected})


# --- The routing table ----------------------------------------------------------------------------------------


def _routing_allowed(request) -> None:
    if not perms.can_edit_routing(request.user):
        raise Http404


@staff_required
@require_safe
def routing(request):
    _routing_allowed(request)
    return render(request, "guichet/routing.html", {"rows": queries_desk.routing_rows()})


def _routing_form(request, rule: RoutingRule | None):
    label = str(rule) if rule else ""  # before the form changes the instance
    form = RoutingRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        created = rule is None
        try:
            saved = services.routing_rule_save(actor=request.user, rule=form.save(commit=False))
        except ValidationError as error:
            add_service_errors(form, error)
        except IntegrityError:
            # The same rule saved meanwhile by someone else (the database's unique constraint answers).
            form.add_error("kind", "Une règle existe déjà pour ce type de demande, ce sujet et ce portefeuille.")
        else:
            messages.success(request, f"La règle « {saved} » est {'ajoutée' if created else 'modifiée'}.")
            return redirect("guichet:routing")
    return render(request, "guichet/routing_form.html", {"form": form, "rule": rule, "rule_label": label})


@staff_required
@require_http_methods(["GET", "POST"])
def routing_new(request):
    _routing_allowed(request)
    return _routing_form(request, None)


@staff_required
@require_http_methods(["GET", "POST"])
def routing_edit(request, pk: int):
    _routing_allowed(request)
    rule = get_object_or_404(RoutingRule.objects.select_related("portfolio", "pole", "person", "fallback_pole"), pk=pk)
    return _routing_form(request, rule)


@staff_required
@require_http_methods(["GET", "POST"])
def routing_delete(request, pk: int):
    _routing_allowed(request)
    rule = get_object_or_404(RoutingRule.objects.select_related("portfolio"), pk=pk)
    if request.method == "POST":
        label = str(rule)
        services.routing_rule_delete(actor=request.user, rule=rule)
        messages.success(request, f"La règle « {label} » est supprimée.")
        return redirect("guichet:routing")
    return render(request, "guichet/routing_delete.html", {"rule": rule})
