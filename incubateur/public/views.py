from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

# The date of the accessibility statement and the audit status it states (RGAA 4.1.2).
ACCESSIBILITY_STATEMENT_DATE = "29 novembre 2026"
ACCESSIBILITY_STATUS = "non conforme"


@login_not_required
@require_safe
def home(request):
    return render(request, "public/home.html")


@login_not_required
@require_safe
def accessibility(request):
    return render(
        request,
        "public/accessibility.html",
        {"statement_date": ACCESSIBILITY_STATEMENT_DATE, "status": ACCESSIBILITY_STATUS},
    )


@login_not_required
@require_safe
def legal(request):
    return render(request, "public/legal.html")


@login_not_required
@require_safe
def privacy(request):
    return render(request, "public/privacy.html")


@login_not_required
@require_safe
def sitemap(request):
    return render(request, "public/sitemap.html")
