from django.urls import path

from incubateur.accounts import views

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.login_view, name="login"),
    path("connexion/envoye/", views.login_sent, name="login_sent"),
    path("connexion/lien/<str:secret>/", views.login_confirm, name="login_confirm"),
    path("deconnexion/", views.logout_view, name="logout"),
    # ProConnect (#15): 404 unless configured. The two return addresses are registered with ProConnect as they are.
    path("connexion/proconnect/", views.proconnect_login_view, name="proconnect_login"),
    path("connexion/proconnect/retour/", views.proconnect_callback, name="proconnect_callback"),
    path("deconnexion/proconnect/", views.proconnect_logout_callback, name="proconnect_logout_callback"),
    path("mon-compte/", views.account, name="account"),  # redirects to « Mon espace » (/mon-espace/)
]
