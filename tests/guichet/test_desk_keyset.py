"""The desk's keyset pages and bounded counts (#19): a walk forward then back shows every request of a tab exactly
once, ties on the ordering moment included; a forged cursor is the first page; a count stops at its cap ("plus de
…"); a confidential request is never counted for a staff member outside it."""

import datetime
import re
from html import unescape

import pytest
from django.utils import timezone

from incubateur.guichet import services
from incubateur.guichet.models import Ticket
from incubateur.guichet.selectors import desk as selectors
from tests.guichet.test_desk import DESK, as_user, rows, tab_counts, words
from tests.registry.factories import ProductFactory, team_member

SUBJECT = "Question de pagination"


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(selectors, "PER_PAGE", 3)


@pytest.fixture
def many(cast):
    """Eight requests to Pierre Boussole; three share one creation moment and three one due moment (ties)."""
    tickets = [
        services.ticket_submit(
            requester=cast.requester, kind="doute-produit", subject=f"{SUBJECT} {n}", body="…", product=cast.product
        )
        for n in range(8)
    ]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(assignee=cast.assignee)
    moment = timezone.now() - datetime.timedelta(days=3)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[2:5]]).update(created_at=moment)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[4:7]]).update(first_response_due=moment)
    return tickets


def link(response, label: str) -> str | None:
    """The address of the pagination's link with this label (None when it is disabled)."""
    html = response.content.decode()
    nav = html[html.index('aria-label="Pagination"') :]
    found = re.search(r'<a class="[^"]*" href="([^"]+)"[^>]*>' + label + "</a>", nav[: nav.index("</nav>")])
    return unescape(found[1]) if found else None


def walk(client, params: dict) -> tuple[list[int], list[int]]:
    """Every row of a tab, following « Suivant » to the end, then « Précédent » back to the start."""
    response = client.get(DESK, params)
    pages = [rows(response)]
    while (following := link(response, "Suivant")) is not None:
        response = client.get(DESK + following)
        pages.append(rows(response))
        assert len(pages) < 20
    forward = [pk for page in pages for pk in page]
    back = [rows(response)]
    while (previous := link(response, "Précédent")) is not None:
        response = client.get(DESK + previous)
        back.insert(0, rows(response))
        assert len(back) < 20
    assert back == pages, "the walk back shows the same pages"
    assert link(response, "Suivant") is not None and "Page 1." in words(response)
    return forward, [pk for page in back for pk in page]


def test_every_row_once_forward_and_back_newest_first(client, cast, many, small_pages):
    as_user(client, cast.assignee)
    forward, back = walk(client, {"vue": "toutes", "q": SUBJECT})
    expected = list(
        Ticket.objects.filter(subject__startswith=SUBJECT).order_by("-created_at", "-pk").values_list("pk", flat=True)
    )
    assert forward == back == expected
    assert len(expected) == 8 == len(set(forward))


def test_every_row_once_in_a_work_queue_most_urgent_first(client, cast, many, small_pages):
    as_user(client, cast.assignee)
    forward, _ = walk(client, {"vue": "a-traiter", "q": SUBJECT})
    expected = list(
        Ticket.objects.filter(subject__startswith=SUBJECT)
        .order_by("first_response_due", "pk")
        .values_list("pk", flat=True)
    )
    assert forward == expected


def test_the_pages_are_numbered_along_the_walk(client, cast, many, small_pages):
    as_user(client, cast.assignee)
    first = client.get(DESK, {"vue": "toutes", "q": SUBJECT})
    second = client.get(DESK + link(first, "Suivant"))
    assert "Page 2." in words(second)
    assert link(first, "Précédent") is None and link(first, "Première page") is None
    assert link(second, "Première page") == "?vue=toutes&q=Question+de+pagination"


@pytest.mark.parametrize("cursor", ["", "n'importe-quoi", "a" * 400, "WyJhIiwiMjAyNiJd:1abc:forged"])
def test_a_forged_cursor_is_the_first_page(client, cast, many, small_pages, cursor):
    as_user(client, cast.assignee)
    first = rows(client.get(DESK, {"vue": "toutes", "q": SUBJECT}))
    response = client.get(DESK, {"vue": "toutes", "q": SUBJECT, "curseur": cursor})
    assert response.status_code == 200
    assert rows(response) == first


def test_a_tampered_cursor_is_the_first_page(client, cast, many, small_pages):
    as_user(client, cast.assignee)
    first = client.get(DESK, {"vue": "toutes", "q": SUBJECT})
    following = link(first, "Suivant")
    value = following.split("curseur=")[1]
    tampered = value[:10] + ("B" if value[10] != "B" else "C") + value[11:]
    response = client.get(DESK, {"vue": "toutes", "q": SUBJECT, "curseur": tampered})
    assert rows(response) == rows(first)


def test_counts_stop_at_their_cap(client, cast, many, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    as_user(client, cast.assignee)
    response = client.get(DESK, {"vue": "toutes", "q": SUBJECT})
    html = unescape(response.content.decode())
    assert "Toutes (plus de 5)</a>" in html
    assert "À traiter (plus de 5)</a>" in html
    assert "Toutes — plus de 5 demandes pour ces critères" in words(response)
    assert tab_counts(response)["En retard"] == 3  # the three due three days ago, under the cap
    monkeypatch.setattr(selectors, "COUNT_CAP", 8)
    response = client.get(DESK, {"vue": "toutes", "q": SUBJECT})
    assert tab_counts(response)["Toutes"] == 8  # at the cap: the exact number


def test_a_confidential_request_is_never_counted_outside_it(client, cast, many, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 8)
    member = team_member(ProductFactory(), username="sam.confidentiel")
    services.ticket_submit(requester=member, kind="mal-etre", subject=SUBJECT, body="…", recipient=cast.assignee)
    # Pierre Boussole, its recipient, has 9: more than the cap.
    assert "Toutes (plus de 8)</a>" in unescape(
        as_user(client, cast.assignee).get(DESK, {"vue": "toutes"}).content.decode()
    )
    # Another staff member: exactly the 8 others, at every cap.
    for cap in (8, 1000):
        monkeypatch.setattr(selectors, "COUNT_CAP", cap)
        response = as_user(client, cast.other_staff).get(DESK, {"vue": "toutes", "q": SUBJECT})
        assert tab_counts(response)["Toutes"] == 8
        assert tab_counts(client.get(DESK, {"vue": "non-attribuees", "type": "mal-etre"}))["Toutes"] == 0
