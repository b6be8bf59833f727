from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from incubateur.core.pagecache import public_page, valid_until
from incubateur.core.stamps import cached_html
from incubateur.organisation import cache as organisation_cache
from incubateur.programmes import cache as programmes_cache
from incubateur.public import selectors
from incubateur.registry import cache as registry_cache

# The date of the accessibility statement and the audit status it states (RGAA 4.1.2).
ACCESSIBILITY_STATEMENT_DATE = "29 novembre 2026"
ACCESSIBILITY_STATUS = "non conforme"


def _home_fragments() -> tuple[str, ...]:
    """The reasons to contact the Incubator (the organisation's data) and the registry's figures, rendered once per
    version of both."""

    def render_fragments():
        context = {"reasons": selectors.reasons(), "figures": selectors.figures()}
        return (render_to_string(f"public/_home_{part}.html", context) for part in ("reasons", "figures"))

    return cached_html(registry_cache.key(f"fragments:home:{organisation_cache.version()}"), render_fragments)


# In the public page cache under the stamps of what it shows (reasons, figures, calls) and the day (the figures count
# today's missions); the open calls also change by the clock, at the minute a call opens or closes: the entry holds
# until the next such instant (`programmes.cache.next_change`, read at the same `now` as the calls).
@public_page(registry_cache.stamp, organisation_cache.stamp, programmes_cache.stamp)
@login_not_required
@require_safe
def home(request):
    now = timezone.now()
    reasons_html, figures_html = _home_fragments()
    response = render(
        request,
        "public/home.html",
        {"reasons_html": reasons_html, "figures_html": figures_html, "open_calls": selectors.open_calls(now=now)},
    )
    if not request.user.is_authenticated:  # never stored for a logged-in visitor: no need to read it
        valid_until(response, programmes_cache.next_change(now))
    return response


@never_cache
@require_safe
def my_space(request):
    """« Mon espace »: my fiche, products, requests, applications, offers waiting for my team; for staff, the
    requests to handle, those overdue, and my portfolio."""
    return render(request, "public/my_space.html", {"space": selectors.my_space(request.user)})


@public_page()
@login_not_required
@require_safe
def accessibility(request):
    return render(
        request,
        "public/accessibility.html",
        {"statement_date": ACCESSIBILITY_STATEMENT_DATE, "status": ACCESSIBILITY_STATUS},
    )


@public_page()
@login_not_required
@require_safe
def legal(request):
    return render(request, "public/legal.html")


@public_page()
@login_not_required
@require_safe
def privacy(request):
    return render(request, "public/privacy.html")


@public_page()
@login_not_required
@require_safe
def sitemap(request):
    return render(request, "public/sitemap.html")
