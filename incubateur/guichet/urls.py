from django.urls import path

from incubateur.guichet import views

app_name = "guichet"

urlpatterns = [
    # Requesters (any logged-in member)
    path("guichet/", views.home, name="home"),
    path("guichet/nouvelle/<slug:kind>/", views.new, name="new"),
    path("guichet/demandes/", views.mine, name="mine"),
    path("guichet/demandes/<int:pk>/", views.ticket, name="ticket"),
    path("guichet/demandes/<int:pk>/repondre/", views.reply, name="reply"),
    path("guichet/demandes/<int:pk>/statut/", views.status, name="status"),
    path("guichet/demandes/<int:pk>/attribuer/", views.assign, name="assign"),
    path("guichet/demandes/<int:pk>/acces/", views.add_participant, name="add_participant"),
    path("guichet/offres/", views.offers, name="offers"),
    path("guichet/offres/<int:pk>/", views.offer, name="offer"),
    path("guichet/offres/<int:pk>/accepter/", views.offer_accept, name="offer_accept"),
    path("guichet/offres/<int:pk>/refuser/", views.offer_decline, name="offer_decline"),
    path("guichet/offres/<int:pk>/retirer/", views.offer_withdraw, name="offer_withdraw"),
    # Incubator staff
    path("guichet/equipe/", views.desk, name="desk"),
    path("guichet/equipe/pour-le-compte/", views.new_on_behalf, name="new_on_behalf"),
    path("guichet/equipe/offres/nouvelle/", views.offer_new, name="offer_new"),
    path("guichet/equipe/routage/", views.routing, name="routing"),
    path("guichet/equipe/routage/nouvelle/", views.routing_new, name="routing_new"),
    path("guichet/equipe/routage/<int:pk>/", views.routing_edit, name="routing_edit"),
    path("guichet/equipe/routage/<int:pk>/supprimer/", views.routing_delete, name="routing_delete"),
]
