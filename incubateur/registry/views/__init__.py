"""The registry's pages: public reads of products, incubators, organisations and members, and the edit forms
of a product (its team, its incubators' teams, Incubator staff) and of one's own member fiche."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods, require_safe

from incubateur.core.pagecache import public_page
from incubateur.core.stamps import cached_html
from incubateur.registry import cache, perms, services
from incubateur.registry.enums import ReviewState
from incubateur.registry.forms import (
    PREVIEW,
    MemberForm,
    PhaseAddForm,
    PhaseEndForm,
    ProductFilterForm,
    ProductForm,
)
from incubateur.registry.selectors import pages


def _or_404(value):
    if value is None:
        raise Http404
    return value


def _editable_or_404(obj, can_edit, user):
    """The fiche to edit; a 404 when it does not exist or `user` may not edit it (the two look the same)."""
    if obj is None or not can_edit(user, obj):
        raise Http404
    return obj


def _preview(request, form_class) -> tuple[object, str] | None:
    """The « Aperçu » button: the form as posted and the text to preview (nothing is saved); None otherwise."""
    if request.method != "POST" or PREVIEW not in request.POST:
        return None
    messages.info(request, "Aperçu affiché sous le champ : rien n'est encore enregistré.")
    return form_class.preview(request.POST)


def _say_saved(request, changed: list[str], saved: str) -> None:
    if changed:
        messages.success(request, saved)
    else:
        messages.info(request, "Aucun changement : la fiche est restée telle quelle.")


# --- Products -------------------------------------------------------------------------------------------------


@public_page(cache.stamp)
@login_not_required
@require_safe
def product_list(request):
    unfiltered = set(request.GET) <= {"page"}
    form = ProductFilterForm(None if unfiltered else request.GET, choices=pages.filter_choices())
    filters = form.filters()
    page_obj = pages.products_page(filters, request.GET.get("page"))
    # The filter form with no filter applied is the same for everyone until the registry changes: its rendering
    # (long DSFR selects) is most of the page's cost, so it is rendered once per registry version.
    filters_html = ""
    if unfiltered:
        [filters_html] = cached_html(
            cache.key("fragment:product_filters", daily=False),
            lambda: [render_to_string("registry/_product_filters.html", {"form": form, "filters": filters})],
        )
    return render(
        request,
        "registry/product_list.html",
        {"form": form, "filters": filters, "page_obj": page_obj, "filters_html": filters_html},
    )


@public_page(cache.stamp)
@login_not_required
@require_safe
def product_detail(request, ghid: str):
    page = _or_404(pages.product_page(ghid))
    # A product awaiting its incubator's validation (or refused) is a 404 but for its proposer, the teams of its
    # incubators, staff and administrators, who see it with a badge (#14).
    if not perms.can_see_pending_product(request.user, page.product):
        raise Http404
    can_edit = perms.can_edit_product(request.user, page.product)
    return render(
        request,
        "registry/product_detail.html",
        {
            "page": page,
            "product": page.product,
            "can_edit": can_edit,
            # `perms.can_propose_member` without its second query: the same people, on a validated product.
            "can_propose_member": can_edit and page.product.review_state == ReviewState.VALIDATED,
        },
    )


@require_http_methods(["GET", "POST"])
def product_edit(request, ghid: str):
    product = _editable_or_404(pages.product_for_edit(ghid), perms.can_edit_product, request.user)
    if preview := _preview(request, ProductForm):
        form, text = preview
        return render(request, "registry/product_edit.html", {"product": product, "form": form, "preview": text})
    form = ProductForm(request.POST or None, initial=ProductForm.initial_for(product))
    if request.method == "POST" and form.is_valid():
        changed = services.product_update(product=product, by=request.user, **form.cleaned_data)
        _say_saved(request, changed, f"La fiche du produit « {product.name} » a été mise à jour.")
        return redirect("registry:product_detail", ghid=product.ghid)
    return render(request, "registry/product_edit.html", {"product": product, "form": form})


@require_http_methods(["GET", "POST"])
def product_phases(request, ghid: str):
    product = _editable_or_404(pages.product_for_edit(ghid), perms.can_edit_product, request.user)
    phases = list(product.phases.all())
    current = max(phases, key=lambda phase: (phase.start, phase.pk)) if phases else None
    action = request.POST.get("action") if request.method == "POST" else None
    add_form = PhaseAddForm(request.POST if action == "ajouter" else None, phases=phases, prefix="ajout")
    end_form = PhaseEndForm(request.POST if action == "terminer" else None, phase=current, prefix="fin")
    if action == "ajouter" and add_form.is_valid():
        try:
            phase = services.product_phase_add(product=product, by=request.user, **add_form.cleaned_data)
        except IntegrityError:
            # The same phase added meanwhile (a double submission): the database's unique constraint answers.
            add_form.add_error("name", add_form.duplicate_error(add_form.cleaned_data["name"]))
        else:
            messages.success(request, f"La phase « {phase.get_name_display()} » a été ajoutée.")
            return redirect("registry:product_phases", ghid=product.ghid)
    if action == "terminer" and end_form.is_valid():
        services.product_phase_end(phase=current, by=request.user, end=end_form.cleaned_data["end"])
        messages.success(request, f"La phase « {current.get_name_display()} » est terminée.")
        return redirect("registry:product_phases", ghid=product.ghid)
    for phase in phases:
        phase.badge = pages.phase_badge(phase.name)
    return render(
        request,
        "registry/product_phases.html",
        {
            "product": product,
            "phases": phases,
            "current": current,
            "add_form": add_form,
            "end_form": end_form,
            "can_end": current is not None and current.end is None,
        },
    )


# --- Incubators and organisations -----------------------------------------------------------------------------


@public_page(cache.stamp)
@login_not_required
@require_safe
def incubator_list(request):
    return render(request, "registry/incubator_list.html", {"incubators": pages.incubators()})


@public_page(cache.stamp)
@login_not_required
@require_safe
def incubator_detail(request, ghid: str):
    page = _or_404(pages.incubator_page(ghid))
    return render(request, "registry/incubator_detail.html", {"page": page, "incubator": page.incubator})


@public_page(cache.stamp)
@login_not_required
@require_safe
def organisation_detail(request, ghid: str):
    page = _or_404(pages.organisation_page(ghid))
    return render(request, "registry/organisation_detail.html", {"page": page, "organisation": page.organisation})


# --- Members --------------------------------------------------------------------------------------------------


@public_page(cache.stamp)
@login_not_required
@require_safe
def member_detail(request, username: str):
    page = _or_404(pages.member_page(username))
    return render(
        request,
        "registry/member_detail.html",
        {"page": page, "member": page.member, "can_edit": perms.can_edit_member(request.user, page.member)},
    )


@require_http_methods(["GET", "POST"])
def member_edit(request, username: str):
    member = _editable_or_404(pages.member_for_edit(username), perms.can_edit_member, request.user)
    if preview := _preview(request, MemberForm):
        form, text = preview
        return render(request, "registry/member_edit.html", {"member": member, "form": form, "preview": text})
    form = MemberForm(request.POST or None, initial=MemberForm.initial_for(member))
    if request.method == "POST" and form.is_valid():
        changed = services.member_update(member=member, by=request.user, **form.cleaned_data)
        _say_saved(request, changed, "La fiche a été mise à jour.")
        return redirect("registry:member_detail", username=member.username)
    return render(request, "registry/member_edit.html", {"member": member, "form": form})


# --- beta.gouv.fr's addresses ---------------------------------------------------------------------------------


@login_not_required
@require_safe
def product_old_address(request, old: str):
    """`/startups/<id>.html` (beta.gouv.fr's page of a product) and the old ids its `redirect_from` lists: a
    permanent redirect to the product's page here."""
    ghid = _or_404(pages.product_for_old_address(old))
    return redirect("registry:product_detail", ghid=ghid, permanent=True)
