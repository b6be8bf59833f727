from django.urls import path

from incubateur.guichet import converters  # noqa: F401 (registers <ticket:…>)
from incubateur.guichet.views import desk, mail, offers, requester, routing

app_name = "guichet"

urlpatterns = [
    # Requesters (any logged-in member): views/requester.py
    path("guichet/", requester.home, name="home"),
    path("guichet/nouvelle/<slug:kind>/", requester.new, name="new"),
    path("guichet/demandes/", requester.mine, name="mine"),
    # A request by its reference (converters.py), never its sequential id; an old address by id (e-mails sent
    # before #13) redirects to it only for those who may see the request (else a 404).
    path("guichet/demandes/<ticket:reference>/", requester.ticket, name="ticket"),
    path("guichet/demandes/<ticket:reference>/repondre/", requester.reply, name="reply"),
    path("guichet/demandes/<ticket:reference>/statut/", requester.status, name="status"),
    path("guichet/demandes/<ticket:reference>/attribuer/", requester.assign, name="assign"),
    path("guichet/demandes/<ticket:reference>/acces/", requester.add_participant, name="add_participant"),
    path("guichet/demandes/<int:pk>/", requester.ticket_by_id, name="ticket_by_id"),
    path("guichet/pieces-jointes/<int:pk>/", requester.attachment, name="attachment"),
    # Offers of help (the product's team decides, staff propose): views/offers.py
    path("guichet/offres/", offers.offers, name="offers"),
    path("guichet/offres/<int:pk>/", offers.offer, name="offer"),
    path("guichet/offres/<int:pk>/accepter/", offers.offer_accept, name="offer_accept"),
    path("guichet/offres/<int:pk>/refuser/", offers.offer_decline, name="offer_decline"),
    path("guichet/offres/<int:pk>/retirer/", offers.offer_withdraw, name="offer_withdraw"),
    # Incubator staff: views/desk.py, views/offers.py, views/routing.py
    path("guichet/equipe/", desk.desk, name="desk"),
    path("guichet/equipe/pour-le-compte/", desk.new_on_behalf, name="new_on_behalf"),
    path("guichet/equipe/offres/nouvelle/", offers.offer_new, name="offer_new"),
    path("guichet/equipe/routage/", routing.routing, name="routing"),
    path("guichet/equipe/routage/nouvelle/", routing.routing_new, name="routing_new"),
    path("guichet/equipe/routage/<int:pk>/", routing.routing_edit, name="routing_edit"),
    path("guichet/equipe/routage/<int:pk>/supprimer/", routing.routing_delete, name="routing_delete"),
    # Mails held by the intake, for staff triage (#18): views/mail.py
    path("guichet/equipe/courriels/", mail.mail_inbox, name="mail_inbox"),
    path("guichet/equipe/courriels/<int:pk>/", mail.mail_detail, name="mail_detail"),
    path("guichet/equipe/courriels/<int:pk>/ecarter/", mail.mail_set_aside, name="mail_set_aside"),
]
