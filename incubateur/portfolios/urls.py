from django.urls import path

from incubateur.portfolios import views
from incubateur.registry import converters  # noqa: F401 (registers <product:…>, <member:…>…)

app_name = "portfolios"

urlpatterns = [
    # Investment committees of a product
    path("equipe/produits/<product:ghid>/comites/", views.committees, name="committees"),
    path("equipe/produits/<product:ghid>/comites/nouveau/", views.committee_new, name="committee_new"),
    # Portfolio boards
    path("equipe/portefeuilles/", views.boards, name="boards"),
    path("equipe/portefeuilles/export.csv", views.boards_csv, name="boards_csv"),
    path("equipe/portefeuilles/<member:username>/", views.board, name="board"),
    path("equipe/portefeuilles/<member:username>/export.csv", views.board_csv, name="board_csv"),
]
