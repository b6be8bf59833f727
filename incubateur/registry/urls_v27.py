"""beta.gouv.fr's public files (drop-in): /api/v2.7/*.json and startups.csv (`urlpatterns`), /api/v3/startups/<id>.json
(`v3_urlpatterns`) and /compteur_smiirl.json (`counter_urlpatterns`), each mounted by config/urls.py."""

from django.urls import path

import incubateur.registry.converters  # noqa: F401 (registers <product:…>)
from incubateur.registry.api import v27

app_name = "api-v2.7"

urlpatterns = [
    path("authors.json", v27.authors, name="authors"),
    path("startups.json", v27.startups, name="startups"),
    path("startups.csv", v27.startups_csv_file, name="startups_csv"),
    path("startups_details.json", v27.startups_details, name="startups_details"),
    path("incubators.json", v27.incubators, name="incubators"),
    path("organisations.json", v27.organisations, name="organisations"),
    path("sponsors.json", v27.sponsors, name="sponsors"),
]

# Mounted at /api/v3/ (namespace "api-v3"): a product id may hold dots (`rdv.mjd.json`).
v3_urlpatterns = [
    path("startups/<product:ghid>.json", v27.startup_v3, name="startup"),
]

# Mounted at the root (namespace "betagouv-files").
counter_urlpatterns = [
    path("compteur_smiirl.json", v27.compteur_smiirl, name="compteur_smiirl"),
]
