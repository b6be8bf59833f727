from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from incubateur.core.pagecache import public_page

# The date of the accessibility statement and the audit status it states (RGAA 4.1.2).
ACCESSIBILITY_STATEMENT_DATE = "29 novembre 2026"
ACCESSIBILITY_STATUS = "non conforme"


@public_page()
@login_not_required
@require_safe
def home(request):
    return render(request, "public/home.html")


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
