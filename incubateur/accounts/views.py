import secrets
import unicodedata

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incubateur.accounts import proconnect, services
from incubateur.accounts.forms import LoginForm
from incubateur.accounts.services.proconnect import (
    ProConnectRefused,
    proconnect_failed,
    proconnect_login,
    proconnect_start_allowed,
)
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


# The login page as an anonymous visitor first sees it is the same for all but its CSRF token: rendered once per
# process and day (a deployment restarts processes: templates may have changed), the token put in per request.
CSRF_SENTINEL = "csrfsentinel0" + secrets.token_hex(16)
_login_pages: dict[str, str] = {}


def _plain_login_page(request) -> bool:
    """A GET with nothing of the visitor's in the page: no query (`next`), no session (hence no user, no flash
    message stored there), no flash message cookie, and no demo notice (which reads the database)."""
    return (
        request.method == "GET"
        and not request.GET
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not settings.DEMO_DATA_NOTICE
    )


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    _login_pages.clear()  # tests: what the page shows depends on settings (ProConnect's button)


def _login_page_once(request) -> str:
    """Rendered with the first such request: by `_plain_login_page`, nothing of its visitor's goes in."""
    day = f"{timezone.localdate():%Y%m%d}"  # a page that showed a date would change at midnight
    page = _login_pages.get(day)
    if page is None:
        context = {"form": LoginForm(), "next": "", "proconnect": proconnect.configured(), "csrf_token": CSRF_SENTINEL}
        page = render_to_string("accounts/login.html", context, request=request)
        _login_pages.clear()
        _login_pages[day] = page
    return page


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
    if _plain_login_page(request):
        response = HttpResponse(_login_page_once(request).replace(CSRF_SENTINEL, get_token(request)))
    else:
        response = render(
            request,
            "accounts/login.html",
            {"form": form, "next": _safe_next(request), "proconnect": proconnect.configured()},
        )
    if proconnect.configured():
        # The button posts to our route, which redirects to ProConnect: allowed by this page's `form-action`.
        response._csp_update = {"form-action": "/".join(settings.PROCONNECT_ISSUER.split("/")[:3])}
    return response


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
    id_token = request.session.get(proconnect.SESSION_ID_TOKEN)
    services.logout_record(user=request.user)
    logout(request)
    if id_token and proconnect.configured():
        # Logged in with ProConnect: its session ends too, else the next press of the button would log in again
        # without asking. ProConnect sends the browser back to `proconnect_logout_callback`.
        url = proconnect.end_session_url(request, id_token=id_token)
        if url:
            return HttpResponseRedirect(url)
    messages.info(request, "Vous êtes déconnecté.")
    return redirect("public:home")


@require_http_methods(["GET", "HEAD"])
def account(request):
    """« Mon compte » became « Mon espace » (the public app's `my_space`, which reads every app): the old address
    keeps working."""
    return redirect("public:my_space", permanent=True)


# --- ProConnect (#15) --------------------------------------------------------------------------------------------

# What the refusal page says, by `ProConnectError.reason` (proconnect.py): a title and a sentence.
PROCONNECT_REFUSALS = {
    "state": (
        "Cette connexion ProConnect a expiré",
        "Le retour de ProConnect ne correspond à aucune connexion en cours dans ce navigateur : elle a déjà servi, "
        "elle a expiré ou elle a été commencée ailleurs.",
    ),
    "denied": (
        "La connexion ProConnect n'a pas abouti",
        "ProConnect n'a pas confirmé votre identité (connexion annulée ou refusée).",
    ),
    "unavailable": (
        "ProConnect ne répond pas",
        "Le service ProConnect n'a pas pu être joint. Réessayez dans quelques minutes ou utilisez le lien par e-mail.",
    ),
    "token": (
        "La connexion ProConnect n'a pas abouti",
        "ProConnect n'a pas confirmé la connexion (le code reçu avait sans doute expiré) : recommencez.",
    ),
    "userinfo": (
        "La connexion ProConnect n'a pas abouti",
        "ProConnect n'a pas transmis les informations de votre compte : recommencez dans quelques minutes.",
    ),
    "email_missing": (
        "La connexion ProConnect n'a pas abouti",
        "ProConnect n'a pas transmis d'adresse e-mail : sans elle, votre compte ne peut pas être retrouvé.",
    ),
    "nonce": (
        "La connexion ProConnect a été refusée",
        "La réponse de ProConnect ne correspond pas à cette connexion (nonce différent) : elle a été ignorée.",
    ),
    "id_token_expired": (
        "La connexion ProConnect a expiré",
        "L'attestation d'identité envoyée par ProConnect a expiré avant d'arriver : recommencez la connexion.",
    ),
    "userinfo_expired": (
        "La connexion ProConnect a expiré",
        "Les informations envoyées par ProConnect ont expiré avant d'arriver : recommencez la connexion.",
    ),
}
PROCONNECT_REFUSAL_DEFAULT = (
    "La connexion ProConnect a été refusée",
    "La réponse reçue de ProConnect n'a pas passé nos vérifications de sécurité (signature, émetteur ou "
    "destinataire) : elle a été ignorée et personne n'a été connecté.",
)
RATE_LIMITED = (
    "Trop de tentatives de connexion",
    "Trop de connexions ont été demandées depuis votre adresse. Patientez quelques minutes avant de réessayer.",
)


def _proconnect_or_404() -> None:
    if not proconnect.configured():
        raise Http404("ProConnect n'est pas configuré.")


def _join_url() -> str:
    """The explanation of how to join (#14: a teammate proposes a new member), when that page exists."""
    try:
        return reverse("registry:member_propose")
    except NoReverseMatch:
        return ""


def _proconnect_refusal(request, *, reason: str, status: int, email: str = ""):
    title, text = (
        RATE_LIMITED if reason == "rate_limited" else PROCONNECT_REFUSALS.get(reason, PROCONNECT_REFUSAL_DEFAULT)
    )
    return render(
        request,
        "accounts/proconnect_refused.html",
        {"reason": reason, "title": title, "text": text, "email": email, "join_url": _join_url()},
        status=status,
    )


@login_not_required
@never_cache
@require_POST
def proconnect_login_view(request):
    """The ProConnect button: a new state and nonce, then off to ProConnect."""
    _proconnect_or_404()
    if request.user.is_authenticated:
        return _go_to(_safe_next(request))
    if not proconnect_start_allowed(ip=client_ip(request)):
        return _proconnect_refusal(request, reason="rate_limited", status=429)
    try:
        url = proconnect.authorization_url(request, next_path=_safe_next(request))
    except proconnect.ProConnectError:
        return _proconnect_refusal(request, reason="unavailable", status=503)
    return HttpResponseRedirect(url)


@login_not_required
@never_cache
@require_GET
def proconnect_callback(request):
    """ProConnect's return (the registered `redirect_uri`): check, exchange the code, find the account."""
    _proconnect_or_404()
    entry = proconnect.take_state(request, request.GET.get("state", ""))
    if entry is None:
        return _proconnect_refusal(request, reason="state", status=400)
    code = request.GET.get("code", "")
    if request.GET.get("error") or not code:
        return _proconnect_refusal(request, reason="denied", status=400)
    ip = client_ip(request)
    try:
        identity = proconnect.ProConnectBackend().exchange(
            code=code, nonce=entry.get("nonce") or "", iss=request.GET.get("iss")
        )
    except proconnect.ProConnectError as error:
        proconnect_failed(reason=error.reason, ip=ip)
        return _proconnect_refusal(request, reason=error.reason, status=503 if error.reason == "unavailable" else 400)
    try:
        proconnect_login(request=request, identity=identity, ip=ip)
    except ProConnectRefused as refusal:
        return _proconnect_refusal(request, reason=refusal.reason, status=403, email=refusal.email)
    messages.success(request, "Vous êtes connecté.")
    return _go_to(local_path(entry.get("next")))


@login_not_required
@never_cache
@require_GET
def proconnect_logout_callback(request):
    """ProConnect's return after logout (the registered `post_logout_redirect_uri`)."""
    _proconnect_or_404()
    if proconnect.take_logout_state(request, request.GET.get("state", "")):
        messages.info(request, "Vous êtes déconnecté, de la plateforme et de ProConnect.")
    return redirect("public:home")
