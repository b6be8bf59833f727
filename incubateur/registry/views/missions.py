"""A member's missions (#14): add, change, extend in one click, end, delete one entered by error.

Scoped read → permission (`registry.perms`) → service (`registry.services.missions`, which holds the rules) →
redirect to the member's page. Someone who may not act on a mission gets a 404, as for a mission that does not
exist. An expired member is never locked out: their account still logs in and extends their own missions.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from incubateur.core.text import date_fr
from incubateur.registry import perms
from incubateur.registry.forms.missions import MissionEndForm, MissionExtendForm, MissionForm
from incubateur.registry.models import Member, Mission
from incubateur.registry.services import missions as services
from incubateur.ui.forms import run_service


def _member_or_404(user, username: str) -> Member:
    member = Member.objects.select_related("user").filter(username=username).first()
    if member is None or not perms.can_add_mission(user, member):
        raise Http404
    return member


def _mission_or_404(user, username: str, pk: int, can=perms.can_edit_mission) -> Mission:
    """The member's mission with its products, if `user` may act on it (`can`); a 404 otherwise."""
    mission = (
        Mission.objects.select_related("member__user")
        .prefetch_related("missionproduct_set__product")
        .filter(pk=pk, member__username=username)
        .first()
    )
    if mission is None or not can(user, mission):
        raise Http404
    return mission


def _back(member: Member):
    return redirect("registry:member_detail", username=member.username)


def _products(mission: Mission) -> list:
    return [link.product for link in mission.missionproduct_set.all()]


@require_http_methods(["GET", "POST"])
def mission_add(request, username: str):
    member = _member_or_404(request.user, username)
    form = MissionForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        added = run_service(form, lambda: services.mission_add(member=member, by=request.user, **form.values()))
        if added is not None:
            messages.success(request, "La mission a été ajoutée.")
            return _back(member)
    return render(
        request,
        "registry/mission_form.html",
        {"member": member, "mission": None, "form": form, "latest_end": services.latest_end()},
    )


@require_http_methods(["GET", "POST"])
def mission_edit(request, username: str, pk: int):
    mission = _mission_or_404(request.user, username, pk)
    member = mission.member
    form = MissionForm(request.POST or None, member=member, initial=MissionForm.initial_for(mission))
    if request.method == "POST" and form.is_valid():
        changed = run_service(form, lambda: services.mission_update(mission=mission, by=request.user, **form.values()))
        if changed is not None:
            if changed:
                messages.success(request, "La mission a été mise à jour.")
            else:
                messages.info(request, "Aucun changement : la mission est restée telle quelle.")
            return _back(member)
    return render(
        request,
        "registry/mission_form.html",
        {"member": member, "mission": mission, "form": form, "latest_end": services.latest_end()},
    )


@require_http_methods(["GET", "POST"])
def mission_extend(request, username: str, pk: int):
    """« Prolonger en un clic » (the reminders link here): the proposed new end, one button."""
    mission = _mission_or_404(request.user, username, pk)
    proposal = services.proposed_extension(request.user, mission)
    form = MissionExtendForm(request.POST or None, initial={"end": proposal})
    if request.method == "POST" and form.is_valid():
        end = form.cleaned_data["end"]
        extended = run_service(form, lambda: services.mission_extend(mission=mission, by=request.user, end=end))
        if extended is not None:
            messages.success(request, f"La mission est prolongée jusqu'au {date_fr(end)}.")
            return _back(mission.member)
    return render(
        request,
        "registry/mission_extend.html",
        {
            "member": mission.member,
            "mission": mission,
            "products": _products(mission),
            "proposal": proposal,
            "ended": mission.end is not None and mission.end < timezone.localdate(),
            "form": form,
        },
    )


@require_http_methods(["GET", "POST"])
def mission_end(request, username: str, pk: int):
    mission = _mission_or_404(request.user, username, pk)
    today = timezone.localdate()
    form = MissionEndForm(request.POST or None, initial={"end": min(today, mission.end) if mission.end else today})
    if request.method == "POST" and form.is_valid():
        end = form.cleaned_data["end"]
        ended = run_service(form, lambda: services.mission_end(mission=mission, by=request.user, end=end))
        if ended is not None:
            messages.success(request, f"La mission se termine le {date_fr(end)}.")
            return _back(mission.member)
    return render(
        request,
        "registry/mission_end.html",
        {"member": mission.member, "mission": mission, "products": _products(mission), "form": form},
    )


@require_http_methods(["GET", "POST"])
def mission_delete(request, username: str, pk: int):
    mission = _mission_or_404(request.user, username, pk, can=perms.can_delete_mission)
    if request.method == "POST":
        services.mission_delete(mission=mission, by=request.user)
        messages.success(request, "La mission a été supprimée.")
        return _back(mission.member)
    return render(
        request,
        "registry/mission_delete.html",
        {"member": mission.member, "mission": mission, "products": _products(mission)},
    )
