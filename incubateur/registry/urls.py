from django.urls import path

from incubateur.registry import views

app_name = "registry"

# Identifiers are beta.gouv.fr's own file names (`ghid`, `username`): matched as any path segment.
urlpatterns = [
    path("produits/", views.product_list, name="product_list"),
    path("produits/<str:ghid>/", views.product_detail, name="product_detail"),
    path("produits/<str:ghid>/modifier/", views.product_edit, name="product_edit"),
    path("produits/<str:ghid>/phases/", views.product_phases, name="product_phases"),
    path("incubateurs/", views.incubator_list, name="incubator_list"),
    path("incubateurs/<str:ghid>/", views.incubator_detail, name="incubator_detail"),
    path("organisations/<str:ghid>/", views.organisation_detail, name="organisation_detail"),
    path("membres/<str:username>/", views.member_detail, name="member_detail"),
    path("membres/<str:username>/modifier/", views.member_edit, name="member_edit"),
]
