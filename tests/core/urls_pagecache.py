from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import path

from config.urls import urlpatterns
from incubateur.core.pagecache import public_page


@public_page()
@login_not_required
def with_a_form(request):
    return HttpResponse(f'<form method="post"><input name="csrfmiddlewaretoken" value="{get_token(request)}"></form>')


urlpatterns = [*urlpatterns, path("_test/form", with_a_form)]


@public_page()
@login_not_required
def with_a_nonce(request):
    return HttpResponse(f'<script nonce="{request.csp_nonce}" src="/static/x.js"></script>')


urlpatterns.append(path("_test/nonce", with_a_nonce))
