"""The admin starts from the guichet's scoping: a confidential request is not there for an administrator."""

from django.urls import reverse

from incubateur.guichet import services
from tests.factories import person


def test_the_admin_lists_normal_requests_but_not_confidential_ones(client, cast):
    normal = services.ticket_submit(
        requester=cast.requester, kind="doute-produit", subject="Question produit", body="…", product=cast.product
    )
    secret = services.ticket_submit(
        requester=cast.requester,
        kind="mal-etre",
        subject="Sujet très personnel",
        body="…",
        recipient=person("gael.ivoire"),
    )
    services.ticket_reply(ticket=secret, author=cast.requester, body="Un message confidentiel")
    client.force_login(cast.admin)
    changelist = client.get(reverse("admin:guichet_ticket_changelist")).content.decode()
    assert f'href="{reverse("admin:guichet_ticket_change", args=[normal.pk])}"' in changelist
    assert f'href="{reverse("admin:guichet_ticket_change", args=[secret.pk])}"' not in changelist
    searched = client.get(reverse("admin:guichet_ticket_changelist"), {"q": "personnel"}).content.decode()
    assert "0 demande" in searched
    # The change page of a confidential request answers as if it did not exist.
    response = client.get(reverse("admin:guichet_ticket_change", args=[secret.pk]))
    assert response.status_code == 302
    assert client.get(reverse("admin:guichet_ticket_change", args=[normal.pk])).status_code == 200
    messages = client.get(reverse("admin:guichet_message_changelist")).content.decode()
    assert "Un message confidentiel" not in messages and f"Demande {secret.reference}" not in messages
    participants = client.get(reverse("admin:guichet_participant_changelist")).content.decode()
    assert f"Demande {secret.reference}" not in participants
    journal = client.get(reverse("admin:core_journalentry_changelist")).content.decode()
    assert f"Demande {normal.reference}" in journal
    assert f"Demande {secret.reference}" not in journal
    assert "Demande confidentielle" not in journal
