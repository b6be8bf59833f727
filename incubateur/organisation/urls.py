from django.urls import path

from incubateur.organisation import views
from incubateur.registry import converters  # noqa: F401 (registers <member:…>)

app_name = "organisation"

urlpatterns = [
    path("qui-fait-quoi/", views.who_does_what, name="who_does_what"),
    path("qui-fait-quoi/<member:username>/", views.person, name="person"),
    path("equipe/organisation/", views.manage, name="manage"),
    path("equipe/organisation/portefeuilles/<slug:slug>/", views.portfolio_edit, name="portfolio_edit"),
    path("equipe/organisation/poles/<slug:slug>/ajouter/", views.position_add, name="position_add"),
    path("equipe/organisation/postes/<int:pk>/terminer/", views.position_end, name="position_end"),
]
