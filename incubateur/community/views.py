"""The checklist pages: « Mon parcours » (the logged-in member's own), one member's checklist as the Pôle Animation
sees it, and the Pôle Animation's overview of newcomers and people leaving. Ticking is a POST on the checklist
pages (no form class: two hidden fields checked by the service)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from incubateur.community import checklists, perms, selectors, services
from incubateur.community.models import Checklist
from incubateur.core.text import quantity
from incubateur.registry.enums import Domaine
from incubateur.registry.models import Member

PER_PAGE = 25


def _checklist_asked(request, default: str) -> str:
    asked = request.GET.get("parcours", "")
    return asked if asked in Checklist.values else default


def _page(request, member: Member, *, own: bool):
    current = selectors.current_checklist(member)
    checklist = _checklist_asked(request, current)
    if request.method == "POST":
        return _tick(request, member, own=own)
    progress = selectors.progress(member, checklist)
    for step in progress.steps:
        step.can_tick = perms.can_tick(request.user, member, step.item)
    other = Checklist.OFFBOARDING if checklist == Checklist.ONBOARDING else Checklist.ONBOARDING
    return render(
        request,
        "community/checklist.html",
        {
            "member": member,
            "own": own,
            "checklist": checklist,
            "onboarding": checklist == Checklist.ONBOARDING,
            "is_current": checklist == current,
            "other": other,
            "progress": progress,
            "summary": f"{quantity(progress.done, 'étape')} sur {progress.total}",
            "action": reverse("community:my_checklist")
            if own
            else reverse("community:member_checklist", args=[member.username]),
            "follows": perms.can_follow_checklists(request.user),
        },
    )


def _tick(request, member: Member, *, own: bool):
    checklist = request.POST.get("parcours", "")
    key = request.POST.get("etape", "")
    done = request.POST.get("fait") == "1"
    try:
        changed = services.checklist_tick(member=member, checklist=checklist, item_key=key, by=request.user, done=done)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        checklist = Checklist.ONBOARDING if checklist not in Checklist.values else checklist
    else:
        item = checklists.item(checklist, key)
        if not changed:
            messages.info(request, "Rien n'a changé : l'étape était déjà dans cet état.")
        elif done:
            messages.success(request, f"Étape « {item.label} » marquée comme faite.")
        else:
            messages.success(request, f"Étape « {item.label} » de nouveau à faire.")
    url = reverse("community:my_checklist") if own else reverse("community:member_checklist", args=[member.username])
    return redirect(f"{url}?parcours={checklist}#etape-{key}" if key else f"{url}?parcours={checklist}")


@require_http_methods(["GET", "HEAD", "POST"])
def my_checklist(request):
    member = Member.objects.filter(user=request.user).first()
    if member is None:
        if request.method == "POST":
            raise Http404
        return render(request, "community/checklist.html", {"member": None, "own": True})
    return _page(request, member, own=True)


@require_http_methods(["GET", "HEAD", "POST"])
def member_checklist(request, username: str):
    member = Member.objects.filter(username=username).first()
    if member is None or not perms.can_see_checklist(request.user, member):
        raise Http404
    return _page(request, member, own=member.user_id == request.user.pk)


@require_safe
def overview(request):
    if not perms.can_follow_checklists(request.user):
        raise Http404
    checklist = _checklist_asked(request, Checklist.ONBOARDING)
    domaine = request.GET.get("domaine", "")
    domaine = domaine if domaine in Domaine.values else ""
    query = request.GET.get("q", "").strip()[:100]
    members = selectors.following(checklist)
    if domaine:
        members = members.filter(domaine=domaine)
    if query:
        members = members.filter(Q(fullname__icontains=query) | Q(username__icontains=query))
    page_obj = Paginator(members, PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page_obj.object_list)
    ticks = selectors.ticks_of(rows, checklist)
    items = checklists.items(checklist)
    table = []
    for member in rows:
        progress = selectors.progress(member, checklist, ticks[member.pk])
        done = {step.item.key: step.tick for step in progress.steps}
        cells = [{"item": item, "applies": item.key in done, "tick": done.get(item.key)} for item in items]
        table.append({"member": member, "progress": progress, "cells": cells})
    return render(
        request,
        "community/overview.html",
        {
            "checklist": checklist,
            "onboarding": checklist == Checklist.ONBOARDING,
            "items": items,
            "table": table,
            "page_obj": page_obj,
            "domaine": domaine,
            "domaines": Domaine.choices,
            "query": query,
        },
    )
