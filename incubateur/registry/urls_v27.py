"""beta.gouv.fr's public JSON API, version 2.7 (drop-in): /api/v2.7/*.json."""

from django.urls import path

from incubateur.registry.api import v27

app_name = "api-v2.7"

urlpatterns = [
    path("authors.json", v27.authors, name="authors"),
    path("startups.json", v27.startups, name="startups"),
    path("incubators.json", v27.incubators, name="incubators"),
    path("organisations.json", v27.organisations, name="organisations"),
    path("sponsors.json", v27.sponsors, name="sponsors"),
]
