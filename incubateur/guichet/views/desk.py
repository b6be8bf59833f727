"""The staff desk (à traiter, par pôle, non attribuées, en retard) and a request recorded on someone's behalf.

Views stay thin: scoped read (404 outside it) → `perms` → `services` → redirect with a message.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from incubateur.core.decorators import staff_required
from incubateur.core.errors import NotAllowed
from incubateur.guichet import perms, services
from incubateur.guichet.forms.desk import DeskFilterForm, OnBehalfForm
from incubateur.guichet.models import Ticket
from incubateur.guichet.routing import pole_of
from incubateur.guichet.selectors import desk as selectors
from incubateur.ui.forms import run_service


@staff_required
@require_safe
def desk(request):
    user = request.user
    poles = selectors.poles()
    data = request.GET.copy()
    if not data.get("pole"):  # « Mon pôle » unless another pole is chosen
        mine = pole_of(user)
        if mine is not None:
            data["pole"] = mine.slug
    form = DeskFilterForm(data, poles=poles)
    values = form.values()
    filters = selectors.DeskFilters(
        kind=values["type"], status=values["statut"], product=values["produit"], q=values["q"]
    )
    tab = request.GET.get("vue", "")
    if tab not in selectors.TABS:
        tab = selectors.MINE
    pole = next((p for p in poles if p.slug == values["pole"]), None)
    now = timezone.now()
    scope = selectors.desk_scope(user, filters)
    counts = selectors.tab_counts(scope, user=user, pole=pole, now=now)
    rows = selectors.in_tab(scope, tab, user=user, pole=pole, now=now)
    page_obj = selectors.desk_page(rows, tab, request.GET.get("curseur"))
    # The pagination's links keep the tab and the filters; only the cursor changes.
    kept = {key: value for key, value in request.GET.items() if key not in ("curseur", "page")}
    return render(
        request,
        "guichet/desk.html",
        {
            "form": form,
            "filters": filters,
            "tab": tab,
            "tab_label": selectors.TABS[tab],
            "tabs": selectors.tab_links(counts, current=tab, filters=filters, pole=pole),
            "tab_count": counts[tab],
            "tab_count_label": selectors.count_label(counts[tab]),
            "pole": pole,
            "page_obj": page_obj,
            "first_url": "?" + urlencode(kept),
            "next_url": "?" + urlencode({**kept, "curseur": page_obj.next_cursor}) if page_obj.has_next else None,
            "previous_url": (
                "?" + urlencode({**kept, "curseur": page_obj.previous_cursor}) if page_obj.has_previous else None
            ),
            "empty_message": selectors.EMPTY[tab],
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def new_on_behalf(request):
    if not perms.can_submit_on_behalf(request.user):
        raise Http404
    form = OnBehalfForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        arguments = form.submission()
        try:
            ticket = run_service(form, lambda: services.ticket_submit(recorded_by=request.user, **arguments))
        except NotAllowed as error:
            # Not a 404 here: the requester typed in the form may be the one refused (an inactive account).
            form.add_error(None, str(error))
            ticket = None
        if ticket is not None:
            requester = arguments["requester"].display_name
            if ticket.replayed:
                messages.info(request, f"Cette demande était déjà enregistrée pour {requester} ({ticket.reference}).")
            else:
                messages.success(
                    request,
                    f"La demande {ticket.reference} est enregistrée pour {requester} ; un e-mail l'en informe.",
                )
            if Ticket.objects.for_user(request.user).filter(pk=ticket.pk).exists():
                return redirect(ticket)
            # A confidential request to someone else: even the person who typed it does not read it afterwards.
            messages.info(
                request,
                f"Cette demande confidentielle est transmise à {ticket.assignee.display_name} : seuls cette personne "
                "et le demandeur peuvent la lire.",
            )
            return redirect("guichet:desk")
    return render(
        request,
        "guichet/on_behalf.html",
        {"form": form, "requester_products": form.requester_products() if form.is_bound else []},
    )
