"""Joining (#14): propose a new member or a new product, the validation queue of the incubators' teams, and the
welcome page a newcomer's first link opens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from incubateur.accounts.services import login_token_peek, login_with_token
from incubateur.registry import perms
from incubateur.registry.enums import ReviewDecision
from incubateur.registry.forms.joining import MemberProposeForm, ProductProposeForm, ReviewDecideForm
from incubateur.registry.models import Review
from incubateur.registry.services import joining
from incubateur.ui.forms import run_service

CONFIRM = "confirmer"


@require_http_methods(["GET", "POST"])
def member_propose(request):
    products = perms.products_open_to_proposals(request.user).only("pk", "ghid", "name").order_by("name")
    initial = {}
    if ghid := request.GET.get("produit"):
        initial["product"] = ghid
    form = MemberProposeForm(request.POST or None, initial=initial, products=products)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        product = data.pop("product")
        member = run_service(form, lambda: joining.member_propose(by=request.user, product=product, **data))
        if member is not None:
            messages.success(
                request,
                f"{member.fullname} est ajouté·e à l'équipe de « {product.name} », en attente de validation par "
                "son incubateur. Son compte s'ouvrira à la validation.",
            )
            return redirect("registry:product_detail", ghid=product.ghid)
    return render(request, "registry/joining_member.html", {"form": form, "has_products": products.exists()})


@require_http_methods(["GET", "POST"])
def product_propose(request):
    if not perms.can_propose_product(request.user):
        raise Http404
    form = ProductProposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["sponsors"] = list(data["sponsors"])
        product = run_service(form, lambda: joining.product_propose(by=request.user, **data))
        if product is not None:
            messages.success(
                request,
                f"Le produit « {product.name} » est proposé : il sera public une fois validé par son incubateur.",
            )
            return redirect("registry:product_detail", ghid=product.ghid)
    return render(request, "registry/joining_product.html", {"form": form})


@require_safe
def review_list(request):
    reviews = perms.reviews_for(request.user)
    pending = [review for review in reviews if not review.decision]
    decided = [review for review in reviews if review.decision][:30]
    return render(request, "registry/review_list.html", {"pending": pending, "decided": decided})


@require_http_methods(["GET", "POST"])
def review_detail(request, pk: int):
    review = get_object_or_404(
        Review.objects.select_related("member__user", "product", "requested_by", "decided_by"), pk=pk
    )
    if not perms.can_review(request.user, review):
        raise Http404
    form = ReviewDecideForm(request.POST or None)
    confirming = False
    if request.method == "POST" and not review.decision and form.is_valid():
        decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
        if decision == ReviewDecision.REFUSE and not reason.strip():
            form.add_error("reason", "Indiquez le motif du refus : la personne qui a fait la demande le recevra.")
        elif CONFIRM not in request.POST:
            confirming = True  # the same form again, with a confirmation button: nothing is decided yet
        else:
            done = run_service(
                form, lambda: joining.review_decide(review=review, by=request.user, decision=decision, reason=reason)
            )
            if done is not None:
                what = review.member.fullname if review.member_id else review.product.name
                verb = "validé" if decision == ReviewDecision.VALIDATE else "refusé"
                messages.success(request, f"« {what} » : {verb}. La personne qui a fait la demande est prévenue.")
                return redirect("registry:review_list")
    first_mission = None
    if review.member_id:
        first_mission = review.member.missions.order_by("order", "start", "pk").prefetch_related("products").first()
    return render(
        request,
        "registry/review_detail.html",
        {
            "review": review,
            "form": form,
            "confirming": confirming,
            "first_mission": first_mission,
            "escalation_due": perms.review_escalation_due(review.requested_at),
        },
    )


def _checklist_path() -> str:
    try:
        return reverse("community:my_checklist")
    except NoReverseMatch:
        return reverse("public:my_space")


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def welcome(request, secret: str):
    """The welcome link (`accounts.services.welcome`): a confirmation page, so that mail scanners that open links
    neither use nor burn it; its POST logs in and leads to the onboarding checklist."""
    if request.method == "POST":
        user = login_with_token(request=request, secret=secret)
        if user is not None:
            messages.success(request, "Bienvenue ! Vous êtes connecté·e. Voici votre parcours d'arrivée.")
            return redirect(_checklist_path())
    token = login_token_peek(secret=secret)
    response = render(request, "registry/joining_welcome.html", {"token": token}, status=200 if token else 410)
    response["Referrer-Policy"] = "same-origin"  # the secret is in the URL (see accounts.views.login_confirm)
    return response
