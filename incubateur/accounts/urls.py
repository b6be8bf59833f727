from django.urls import path

from incubateur.accounts import views

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.login_view, name="login"),
    path("connexion/envoye/", views.login_sent, name="login_sent"),
    path("connexion/lien/<str:secret>/", views.login_confirm, name="login_confirm"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("mon-compte/", views.account, name="account"),  # redirects to « Mon espace » (/mon-espace/)
]
