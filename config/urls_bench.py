"""The URLconf of `config.settings.bench`: production's routes plus the benchmark floor, `/_perf/hello`."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

from config.urls import *  # noqa: F403
from config.urls import urlpatterns


@login_not_required
def hello(request):
    """The benchmark floor: the same middleware stack, no template, no query."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [*urlpatterns, path("_perf/hello", hello, name="perf_hello")]
