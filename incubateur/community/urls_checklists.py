from django.urls import path

import incubateur.registry.converters  # noqa: F401 (registers <member:…>)
from incubateur.community import views

urlpatterns: list = [
    path("mon-espace/parcours/", views.my_checklist, name="my_checklist"),
    path("parcours/", views.overview, name="overview"),
    path("parcours/<member:username>/", views.member_checklist, name="member_checklist"),
]
