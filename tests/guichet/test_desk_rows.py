# ruff: noqa: E501 (FORMER_ROWS is the former template, verbatim)
"""The desk's table rows written in Python (`views.desk.desk_rows`, #19) say exactly what the former template
loop said: the same markup, cell by cell (whitespace between tags aside), for every kind of row — confidential,
recorded on someone's behalf, with a topic, without a product, unassigned, late, answered — with every value
escaped; and the page shows each change to a request at once (nothing is cached)."""

import datetime
import re

import pytest
from django.template import engines
from django.utils import timezone

from incubateur.guichet import services
from incubateur.guichet.models import Channel, Status, Ticket
from incubateur.guichet.selectors import desk as selectors
from incubateur.guichet.views.desk import desk_rows
from tests.factories import UserFactory, person

DESK = "/guichet/equipe/"

# The rows as _desk_table.html wrote them before #19 (commit 0a84181), kept here as the reference.
FORMER_ROWS = """
{% for ticket in page_obj %}
  <tr>
    <td>{{ ticket.reference }}</td>
    <td>
      {% if ticket.confidential %}
        <a href="{{ ticket.get_absolute_url }}">Demande confidentielle<span class="fr-sr-only"> {{ ticket.reference }}</span></a>
        <p class="fr-badge fr-badge--sm fr-badge--warning fr-badge--no-icon fr-mt-1v">Confidentielle</p>
      {% else %}
        <a href="{{ ticket.get_absolute_url }}">{{ ticket.subject }}</a>
      {% endif %}
      {% if ticket.recorded_by_id %}<p class="fr-text--xs fr-mb-0">Enregistrée pour le demandeur ({{ ticket.get_channel_display }})</p>{% endif %}
    </td>
    <td class="incubateur-col--secondary">{{ ticket.get_kind_display }}{% if ticket.topic %} — {{ ticket.get_topic_display }}{% endif %}</td>
    <td class="incubateur-col--secondary">{% if ticket.product %}{{ ticket.product.name }}{% else %}—{% endif %}</td>
    <td class="incubateur-col--secondary">{{ ticket.requester.get_full_name|default:ticket.requester.email }}</td>
    <td>{% if ticket.assignee %}{{ ticket.assignee.get_full_name|default:ticket.assignee.email }}{% else %}<span class="fr-badge fr-badge--sm fr-badge--info fr-badge--no-icon">Non attribuée</span>{% endif %}</td>
    <td>{{ ticket.get_status_display }}</td>
    <td>
      {% if ticket.late %}
        <p class="fr-badge fr-badge--sm fr-badge--error">En retard</p>
        <p class="fr-text--sm fr-mb-0">{{ ticket.first_response_due|datetime_fr }}</p>
      {% elif ticket.first_response_at %}
        Répondu le {{ ticket.first_response_at|date_fr }}
      {% else %}
        {{ ticket.first_response_due|datetime_fr }}
      {% endif %}
    </td>
  </tr>
{% endfor %}
"""


def squeeze(html: str) -> str:
    """The markup without the whitespace between tags and at the edges of a cell (what a browser ignores here)."""
    html = re.sub(r">\s+", ">", re.sub(r"\s+<", "<", html.strip()))
    return re.sub(r"\s+", " ", html)


def submit(requester, **kwargs) -> Ticket:
    kwargs.setdefault("kind", "doute-produit")
    kwargs.setdefault("subject", "Une question")
    kwargs.setdefault("body", "Le détail.")
    return services.ticket_submit(requester=requester, **kwargs)


@pytest.fixture
def varied(cast):
    """One request of each look the table has, plus values that must be escaped."""
    hostile = UserFactory(username="", first_name="", last_name="", email="o'brien+<x>@example.org")
    plain = submit(cast.requester, subject='Pivoter ? <script>alert("x")</script> & co', product=cast.product)
    topic = submit(cast.requester, kind="soutien-dinum", topic="gamma", subject="Avec un sujet")
    unassigned = submit(cast.other_member, kind="administratif-marches", subject="Sans personne")
    Ticket.objects.filter(pk=unassigned.pk).update(assignee=None, pole=None, requester=hostile)
    late = submit(cast.requester, subject="En retard", product=cast.product)
    Ticket.objects.filter(pk=late.pk).update(first_response_due=timezone.now() - datetime.timedelta(hours=3))
    answered = submit(cast.requester, subject="Répondue", product=cast.product)
    Ticket.objects.filter(pk=answered.pk).update(
        first_response_at=timezone.now() - datetime.timedelta(minutes=5), status=Status.IN_PROGRESS
    )
    secret = submit(cast.requester, kind="mal-etre", subject="Secret-XQZ", recipient=person("gael.ivoire"))
    on_behalf = services.ticket_submit(
        recorded_by=cast.other_staff,
        requester=cast.teammate,
        kind="autre",
        subject="Par téléphone",
        body="…",
        channel=Channel.PHONE,
    )
    return [plain, topic, unassigned, late, answered, secret, on_behalf]


def page_for(user):
    scope = selectors.desk_scope(user, selectors.DeskFilters())
    return selectors.desk_page(scope, selectors.ALL, None)


def test_the_rows_are_what_the_former_template_wrote(cast, varied):
    gael = person("gael.ivoire")  # sees the confidential request too
    page = page_for(gael)
    assert len(page.object_list) == len(varied)
    assert {t.late for t in page.object_list} == {True, False}
    assert any(t.recorded_by_id for t in page.object_list) and any(t.confidential for t in page.object_list)
    assert any(t.first_response_at for t in page.object_list) and any(t.topic for t in page.object_list)
    former = engines["django"].from_string(FORMER_ROWS).render({"page_obj": page})
    assert squeeze(str(desk_rows(page.object_list))) == squeeze(former)
    for ticket in page.object_list:  # row by row, for a readable failure
        one = engines["django"].from_string(FORMER_ROWS).render({"page_obj": [ticket]})
        assert squeeze(str(desk_rows([ticket]))) == squeeze(one)


def test_values_are_escaped(cast, varied):
    html = str(desk_rows(page_for(person("gael.ivoire")).object_list))
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html
    assert "o&#x27;brien+&lt;x&gt;@example.org" in html


def test_the_desk_page_shows_a_change_at_once(client, cast, varied):
    """Nothing of a row is kept between two requests: a new subject, assignee, status or due date shows on the
    next load, and a confidential request never shows to someone outside it."""
    client.force_login(cast.other_staff)
    first = client.get(DESK, {"vue": "toutes"}).content.decode()
    assert "Pivoter ?" in first and "Secret-XQZ" not in first
    plain = varied[0]
    Ticket.objects.filter(pk=plain.pk).update(
        subject="Objet modifié", assignee=cast.pole_lead, status=Status.WAITING, updated_at=timezone.now()
    )
    second = client.get(DESK, {"vue": "toutes"}).content.decode()
    row = second[second.index(plain.reference) :]
    row = row[: row.index("</tr>")]
    assert "Objet modifié" in row and cast.pole_lead.get_full_name() in row
    assert dict(Status.choices)[Status.WAITING] in row
    # The clock alone makes a request late.
    Ticket.objects.filter(pk=plain.pk).update(
        status=Status.NEW, first_response_due=timezone.now() - datetime.timedelta(minutes=1)
    )
    third = client.get(DESK, {"vue": "toutes"}).content.decode()
    row = third[third.index(plain.reference) :]
    assert "En retard" in row[: row.index("</tr>")]
    assert "Secret-XQZ" not in third
