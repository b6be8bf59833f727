"""Joining: a new member or product, proposed by the community and validated by its incubator (#14)."""

from django.urls import path

from incubateur.registry.views import joining

# Not under `membres/` or `produits/`: any segment there is an identifier.
urlpatterns: list = [
    path("nouveau-membre/", joining.member_propose, name="member_propose"),
    path("nouveau-produit/", joining.product_propose, name="product_propose"),
    path("validations/", joining.review_list, name="review_list"),
    path("validations/<int:pk>/", joining.review_detail, name="review_detail"),
    # The welcome e-mail's link (a newcomer's first login link, `accounts.services.welcome`).
    path("bienvenue/<str:secret>/", joining.welcome, name="welcome"),
]
