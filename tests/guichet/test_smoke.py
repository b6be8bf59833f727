from incubateur.guichet import services
from incubateur.guichet.models import Ticket
from tests.factories import person


def test_a_justice_product_doubt_lands_with_its_portfolio_manager(cast):
    ticket = services.ticket_submit(
        requester=cast.requester, kind="doute-produit", subject="Doute", body="Faut-il pivoter ?", product=cast.product
    )
    assert ticket.assignee == cast.assignee
    assert ticket.routing_reason == (
        "attribuée à Pierre Boussole : portefeuille Justice, ministère Justice, produit Justice pour tous"
    )


def test_mal_etre_is_invisible_to_other_staff(cast):
    recipient = person("gael.ivoire")
    ticket = services.ticket_submit(
        requester=cast.requester, kind="mal-etre", subject="Difficile", body="…", recipient=recipient
    )
    assert ticket.confidential
    for user in (cast.other_staff, cast.assignee, cast.admin, cast.teammate, cast.pole_lead):
        assert not Ticket.objects.for_user(user).filter(pk=ticket.pk).exists()
    assert Ticket.objects.for_user(recipient).filter(pk=ticket.pk).exists()
    assert Ticket.objects.for_user(cast.requester).filter(pk=ticket.pk).exists()
