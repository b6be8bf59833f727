"""`GET /api/v1/requests` at scale (#19): pages by cursor (`after`, followed through `next`) show every request
once, in the list's order, ties on the creation moment included; a forged cursor is a 400 on `after`; `count` stops
at its cap with `count_capped`; the fast serialiser writes exactly what `RequestList` renders."""

import datetime
import json

import pytest
from django.utils import timezone

from config.api import ParisJSONEncoder
from incubateur.guichet import services
from incubateur.guichet.api import rows
from incubateur.guichet.api.schemas import RequestList, RequestOut
from incubateur.guichet.models import Ticket
from tests.registry.factories import ProductFactory, team_member
from tests.utils import Caller


@pytest.fixture
def tickets(cast):
    made = [
        services.ticket_submit(
            requester=cast.requester, kind="doute-produit", subject=f"Q{n}", body="…", product=cast.product
        )
        for n in range(7)
    ]
    made.append(services.ticket_submit(requester=cast.requester, kind="autre", subject="Sans produit", body="…"))
    Ticket.objects.filter(pk__in=[t.pk for t in made[1:5]]).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    return made


def references(answer) -> list[str]:
    return [item["reference"] for item in answer["items"]]


def test_next_walks_every_request_once_in_order(cast, tickets):
    staff = Caller(cast.other_staff)
    answer = staff.get("/requests", {"limit": 3}).json()
    walked, pages = references(answer), 1
    assert (answer["count"], answer["count_capped"]) == (8, False)
    while answer["next"] is not None:
        assert "after=" in answer["next"] and "limit=3" in answer["next"]
        answer = staff.client.get(answer["next"], headers=staff.headers).json()
        walked += references(answer)
        pages += 1
        assert answer["count"] == 8
    expected = list(Ticket.objects.order_by("-created_at", "-pk").values_list("reference", flat=True))
    assert walked == expected and pages == 3


def test_after_keeps_the_filters_and_offset_still_works(cast, tickets):
    staff = Caller(cast.other_staff)
    everything = references(staff.get("/requests").json())
    assert references(staff.get("/requests", {"limit": 2, "offset": 3}).json()) == everything[3:5]
    first = staff.get("/requests", {"limit": 2, "kind": "doute-produit"}).json()
    second = staff.client.get(first["next"], headers=staff.headers).json()
    assert "kind=doute-produit" in first["next"]
    doubts = list(Ticket.objects.filter(kind="doute-produit").values_list("reference", flat=True))
    assert references(first) + references(second) == doubts[:4]


@pytest.mark.parametrize("after", ["n'importe-quoi", "WyIyMDI2LTAxLTAxIiwxXQ:forged:sig", "x" * 299])
def test_a_forged_cursor_is_a_400_on_after(cast, tickets, after):
    response = Caller(cast.other_staff).get("/requests", {"after": after})
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["query", "after"]


def test_a_cursor_too_long_is_a_400(cast, tickets):
    response = Caller(cast.other_staff).get("/requests", {"after": "x" * 301})
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"][-1] == "after"


def test_the_count_stops_at_its_cap(cast, tickets, monkeypatch):
    monkeypatch.setattr(rows, "COUNT_CAP", 5)
    answer = Caller(cast.other_staff).get("/requests", {"limit": 2}).json()
    assert (answer["count"], answer["count_capped"], len(answer["items"])) == (5, True, 2)
    monkeypatch.setattr(rows, "COUNT_CAP", 8)
    answer = Caller(cast.other_staff).get("/requests").json()
    assert (answer["count"], answer["count_capped"], answer["next"]) == (8, False, None)


def test_a_confidential_request_is_never_listed_nor_counted_outside_it(cast, tickets, monkeypatch):
    member = team_member(ProductFactory(), username="sam.confidentiel")
    secret = services.ticket_submit(requester=member, kind="mal-etre", subject="S", body="…", recipient=cast.assignee)
    monkeypatch.setattr(rows, "COUNT_CAP", 8)
    outsider = Caller(cast.other_staff).get("/requests", {"limit": 500}).json()
    assert (outsider["count"], outsider["count_capped"]) == (8, False)
    assert secret.reference not in references(outsider)
    recipient = Caller(cast.assignee).get("/requests", {"limit": 500}).json()
    assert (recipient["count"], recipient["count_capped"]) == (8, True)
    assert secret.reference in references(recipient)


def test_the_fast_serialiser_writes_what_the_schema_renders(cast, tickets):
    """The list skips django-ninja's response validation: its items must equal RequestOut's rendering of the same
    requests (a person without a name, a request without a product or assignee included), and the answer must
    validate against RequestList."""
    Ticket.objects.filter(pk=tickets[-1].pk).update(assignee=None)
    cast.requester.first_name = cast.requester.last_name = ""
    cast.requester.save()
    answer = Caller(cast.other_staff).get("/requests").json()
    slow = [
        json.loads(json.dumps(RequestOut.from_orm(ticket).model_dump(), cls=ParisJSONEncoder))
        for ticket in Ticket.objects.select_related("product", "requester", "assignee").order_by("-created_at", "-pk")
    ]
    assert answer["items"] == slow
    assert any(item["assignee"] is None for item in slow) and any(item["startup"] is None for item in slow)
    assert set(answer) == set(RequestList.model_fields)
    assert all(set(item) == set(RequestOut.model_fields) for item in answer["items"])
