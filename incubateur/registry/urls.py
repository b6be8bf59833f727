from django.urls import path

import incubateur.registry.converters  # noqa: F401 (registers <product:…>, <member:…>…)
from incubateur.registry import urls_joining, views
from incubateur.registry.views import missions

app_name = "registry"

# Identifiers are beta.gouv.fr's own file names: one converter per kind (registry/converters.py).
urlpatterns = [
    path("produits/", views.product_list, name="product_list"),
    path("produits/<product:ghid>/", views.product_detail, name="product_detail"),
    path("produits/<product:ghid>/modifier/", views.product_edit, name="product_edit"),
    path("produits/<product:ghid>/phases/", views.product_phases, name="product_phases"),
    path("incubateurs/", views.incubator_list, name="incubator_list"),
    path("incubateurs/<incubator:ghid>/", views.incubator_detail, name="incubator_detail"),
    path("organisations/<organisation:ghid>/", views.organisation_detail, name="organisation_detail"),
    path("membres/<member:username>/", views.member_detail, name="member_detail"),
    path("membres/<member:username>/modifier/", views.member_edit, name="member_edit"),
    # A member's missions (#14): the member themself, their products' teams and incubators, the Incubator.
    path("membres/<member:username>/missions/ajouter/", missions.mission_add, name="mission_add"),
    path("membres/<member:username>/missions/<int:pk>/modifier/", missions.mission_edit, name="mission_edit"),
    path("membres/<member:username>/missions/<int:pk>/prolonger/", missions.mission_extend, name="mission_extend"),
    path("membres/<member:username>/missions/<int:pk>/terminer/", missions.mission_end, name="mission_end"),
    path("membres/<member:username>/missions/<int:pk>/supprimer/", missions.mission_delete, name="mission_delete"),
    # beta.gouv.fr's addresses of a product (its permalink `/startups/<id>.html`, its `redirect_from`): 301 here.
    path("startups/<product:old>", views.product_old_address, name="product_old_address"),
    *urls_joining.urlpatterns,
]
