from django.urls import path

from incubateur.guichet import views, views_desk

app_name = "guichet"

urlpatterns = [
    # Requesters (any logged-in member): views.py
    path("guichet/", views.home, name="home"),
    path("guichet/nouvelle/<slug:kind>/", views.new, name="new"),
    path("guichet/demandes/", views.mine, name="mine"),
    path("guichet/demandes/<int:pk>/", views.ticket, name="ticket"),
    path("guichet/demandes/<int:pk>/repondre/", views.reply, name="reply"),
    path("guichet/demandes/<int:pk>/statut/", views.status, name="status"),
    path("guichet/demandes/<int:pk>/attribuer/", views.assign, name="assign"),
    path("guichet/demandes/<int:pk>/acces/", views.add_participant, name="add_participant"),
    # Offers of help (the product's team decides, staff propose): views_desk.py
    path("guichet/offres/", views_desk.offers, name="offers"),
    path("guichet/offres/<int:pk>/", views_desk.offer, name="offer"),
    path("guichet/offres/<int:pk>/accepter/", views_desk.offer_accept, name="offer_accept"),
    path("guichet/offres/<int:pk>/refuser/", views_desk.offer_decline, name="offer_decline"),
    path("guichet/offres/<int:pk>/retirer/", views_desk.offer_withdraw, name="offer_withdraw"),
    # Incubator staff: views_desk.py
    path("guichet/equipe/", views_desk.desk, name="desk"),
    path("guichet/equipe/pour-le-compte/", views_desk.new_on_behalf, name="new_on_behalf"),
    path("guichet/equipe/offres/nouvelle/", views_desk.offer_new, name="offer_new"),
    path("guichet/equipe/routage/", views_desk.routing, name="routing"),
    path("guichet/equipe/routage/nouvelle/", views_desk.routing_new, name="routing_new"),
    path("guichet/equipe/routage/<int:pk>/", views_desk.routing_edit, name="routing_edit"),
    path("guichet/equipe/routage/<int:pk>/supprimer/", views_desk.routing_delete, name="routing_delete"),
]
