"""The routing table (Incubator staff): its rows, who receives each kind of request today, and their changes.

Views stay thin: `perms` → `services` → redirect with a message.
"""

from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from incubateur.core.decorators import staff_required
from incubateur.guichet import perms, services
from incubateur.guichet.forms.routing import RoutingRuleForm
from incubateur.guichet.models import RoutingRule
from incubateur.guichet.selectors import desk as selectors
from incubateur.ui.forms import run_service


def _routing_allowed(request) -> None:
    if not perms.can_edit_routing(request.user):
        raise Http404


@staff_required
@require_safe
def routing(request):
    _routing_allowed(request)
    return render(request, "guichet/routing.html", {"rows": selectors.routing_rows()})


def _routing_form(request, rule: RoutingRule | None):
    label = str(rule) if rule else ""  # before the form changes the instance
    form = RoutingRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        created = rule is None
        try:
            saved = run_service(
                form, lambda: services.routing_rule_save(actor=request.user, rule=form.save(commit=False))
            )
        except IntegrityError:
            # The same rule saved meanwhile by someone else (the database's unique constraint answers).
            form.add_error("kind", "Une règle existe déjà pour ce type de demande, ce sujet et ce portefeuille.")
            saved = None
        if saved is not None:
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
