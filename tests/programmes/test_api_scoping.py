"""#13, finding 4: the Incubator's staff read draft applications through `GET /api/v1/applications/<id>` while their
pages hide them. The API and the pages now share one scoping, `Application.objects.for_user()`: a draft is its
applicants' business, for everyone else (staff and administrators included) it does not exist."""

from django.test import Client

from incubateur.programmes.models import Application, ApplicationStatus
from tests.programmes.helpers import ANSWERS, apply
from tests.registry.factories import team_member
from tests.utils import Caller


def _draft(team, call) -> int:
    created = Caller(team.member).post(
        f"/calls/{call.pk}/applications",
        {"startup": team.product.ghid, "answers": ANSWERS, "stated_budget": 400_000},
    )
    assert created.status_code == 201, created.content
    return created.json()["id"]


def _page(user, url: str) -> int:
    client = Client()
    client.force_login(user)
    return client.get(url).status_code


def test_staff_and_admins_do_not_read_a_draft_through_the_api_nor_the_pages(team, call):
    pk = _draft(team, call)
    for user in (team.staff, team.manager, team.admin):
        caller = Caller(user)
        response = caller.get(f"/applications/{pk}")
        assert response.status_code == 404, (user, response.content)
        assert "Trop de papier" not in response.content.decode()
        assert caller.post(f"/applications/{pk}/submit").status_code == 404
        assert caller.post(f"/applications/{pk}/decision", {"decision": "non-retenue"}).status_code == 404
        assert _page(user, f"/equipe/programmes/candidatures/{pk}/") == 404
        assert _page(user, f"/programmes/candidatures/{pk}/") == 404
    # Its team still reads it, through both.
    assert Caller(team.teammate).get(f"/applications/{pk}").json()["status"] == "brouillon"
    assert _page(team.teammate, f"/programmes/candidatures/{pk}/") == 200
    assert Application.objects.get(pk=pk).status == ApplicationStatus.DRAFT


def test_once_submitted_the_staff_see_it_in_the_api_and_on_their_page(team, call):
    application = apply(team, call)
    for user in (team.staff, team.admin):
        response = Caller(user).get(f"/applications/{application.pk}")
        assert response.status_code == 200, response.content
        assert response.json()["answers"]["probleme"] == "Trop de papier"
        assert _page(user, f"/equipe/programmes/candidatures/{application.pk}/") == 200


def test_a_staff_member_in_a_product_team_reads_their_own_draft(team, call):
    staff_in_team = team_member(team.product, username="sacha.equipe", is_incubator_staff=True)
    pk = _draft(team, call)
    response = Caller(staff_in_team).get(f"/applications/{pk}")
    assert response.status_code == 200 and response.json()["status"] == "brouillon"
    # Their instruction page stays for submitted applications only.
    assert _page(staff_in_team, f"/equipe/programmes/candidatures/{pk}/") == 404
