"""beta.gouv.fr's public JSON API, version 2.7 (drop-in): /api/v2.7/*.json."""

from django.urls import path  # noqa: F401

app_name = "api-v2.7"

urlpatterns: list = []
