import unicodedata

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from incubateur.accounts import services
from incubateur.accounts.forms import LoginForm
from incubateur.core.ratelimit import client_ip

NEXT_MAX_LENGTH = 2000


def local_path(target: str | None) -> str:
    """`target` if it is a path on this site (`/equipe/journal/?page=2`), else "".

    Never a URL name (`redirect("abc")` would try to reverse it), another site (`//evil`, `https://…`, `/\\evil`,
    which browsers read as `//evil`) or anything with a control character or a space.
    """
    target = target or ""
    if not target.startswith("/") or target.startswith(("//", "/\\")) or len(target) > NEXT_MAX_LENGTH:
        return ""
    if any(char.isspace() or unicodedata.category(char)[0] == "C" for char in target):
        return ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=set()):
        return ""
    return target


def _safe_next(request) -> str:
    return local_path(request.POST.get("next") or request.GET.get("next"))


def _go_to(target: str):
    """Redirect to a checked local path, else to the landing page (a URL name, resolved)."""
    return HttpResponseRedirect(target) if target else redirect(settings.LOGIN_REDIRECT_URL)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated:
        return _go_to(_safe_next(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.login_link_request(email=form.cleaned_data["email"], ip=client_ip(request))
        # Same answer whether the address is known, unknown or rate-limited.
        request.session["login_email"] = form.cleaned_data["email"]
        # Where to go once logged in, when the link is opened in this same browser.
        request.session["login_next"] = _safe_next(request)
        return redirect("accounts:login_sent")
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)})


@login_not_required
@never_cache
def login_sent(request):
    return render(request, "accounts/login_sent.html", {"email": request.session.get("login_email", "")})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def login_confirm(request, secret: str):
    if request.method == "POST":
        user = services.login_with_token(request=request, secret=secret)
        if user is not None:
            messages.success(request, "Vous êtes connecté.")
            return _go_to(local_path(request.session.pop("login_next", "")))
    token = services.login_token_peek(secret=secret)
    response = render(
        request,
        "accounts/login_confirm.html",
        {"token": token},
        status=200 if token else 410,
    )
    # The secret is in this page's URL: never send it to another site. Not "no-referrer": with it, browsers
    # send `Origin: null` on the confirmation POST and Django's CSRF check refuses it (seen in Chromium).
    response["Referrer-Policy"] = "same-origin"
    return response


@require_POST
def logout_view(request):
    services.logout_record(user=request.user)
    logout(request)
    messages.info(request, "Vous êtes déconnecté.")
    return redirect("public:home")


@require_http_methods(["GET", "HEAD"])
def account(request):
    """« Mon compte » became « Mon espace » (the public app's `my_space`, which reads every app): the old address
    keeps working."""
    return redirect("public:my_space", permanent=True)
