from django.urls import path

from incubateur.portfolios import views

app_name = "portfolios"

urlpatterns = [
    # Investment committees of a product
    path("equipe/produits/<slug:ghid>/comites/", views.committees, name="committees"),
    path("equipe/produits/<slug:ghid>/comites/nouveau/", views.committee_new, name="committee_new"),
    # Portfolio boards
    path("equipe/portefeuilles/", views.boards, name="boards"),
    path("equipe/portefeuilles/export.csv", views.boards_csv, name="boards_csv"),
    path("equipe/portefeuilles/<str:username>/", views.board, name="board"),
    path("equipe/portefeuilles/<str:username>/export.csv", views.board_csv, name="board_csv"),
]
