"""Access-matrix rows for the programmes' public and applicant pages (tests/access.py collects them).

The programmes, a call and its results (once published) are public. Applying and « Mes candidatures » need an
account. An application is seen by its applicant side only (its author, its product's active team): the matrix's
community member is neither, so they get a 404; Incubator staff and administrators are not either: a draft is a 404
for them too (#13), a submitted application sends them to its staff page (302). The draft's endpoints (autosave,
submit) are POST only (405 to a GET) and answer 404 to anyone outside the applicant side, staff included.
"""

import datetime

from django.utils import timezone

from tests.access import ADMIN, ANON, LOGIN, MEMBER, STAFF, Row, everyone, logged_in


def _programmes(world: dict) -> dict:
    """An open call with a question, an imported past edition, and an application by someone else (added to the
    matrix's `world` on first use)."""
    if "public_call" not in world:
        from incubateur.programmes.models import Application, Call, Programme, Question
        from tests.factories import UserFactory

        programme, _ = Programme.objects.get_or_create(slug="matrice-public", defaults={"name": "Programme matrice"})
        now = timezone.now()
        call = Call.objects.create(
            programme=programme,
            title="Appel de la matrice",
            applicant_type="administration",
            opens_at=now - datetime.timedelta(days=1),
            closes_at=now + datetime.timedelta(days=30),
        )
        Question.objects.create(call=call, key="projet", label="Le projet", type="texte-long")
        world["public_call"] = call
        world["public_past"] = Call.objects.create(
            programme=programme, number=1, title="Édition passée de la matrice", historical=True
        )
        world["public_application"] = Application.objects.create(
            call=call, applicant=UserFactory(username="candidate.matrice"), applicant_name="Administration matrice"
        )
        world["public_submitted"] = Application.objects.create(
            call=call,
            applicant=UserFactory(username="deposee.matrice"),
            applicant_name="Administration déposante",
            status="deposee",
            submitted_at=now,
        )
    return world


def _call(world) -> int:
    return _programmes(world)["public_call"].pk


def _past(world) -> int:
    return _programmes(world)["public_past"].pk


def _application(world) -> int:
    return _programmes(world)["public_application"].pk


OUTSIDE = {ANON: LOGIN, MEMBER: 404, STAFF: 404, ADMIN: 404}
GET_ONLY_POST = {ANON: LOGIN, MEMBER: 405, STAFF: 405, ADMIN: 405}

ROWS: list[Row] = [
    Row("programmes:index", everyone(200)),
    Row("programmes:call", everyone(200), url=lambda world: f"/programmes/appels/{_call(world)}/"),
    Row("programmes:results", everyone(200), url=lambda world: f"/programmes/appels/{_past(world)}/resultats/"),
    Row("programmes:apply", logged_in(200), url=lambda world: f"/programmes/appels/{_call(world)}/candidater/"),
    Row("programmes:mine", logged_in(200)),
    Row("programmes:application", OUTSIDE, url=lambda world: f"/programmes/candidatures/{_application(world)}/"),
    Row(
        "programmes:application",
        {ANON: LOGIN, MEMBER: 404, STAFF: 302, ADMIN: 302},
        url=lambda world: f"/programmes/candidatures/{_programmes(world)['public_submitted'].pk}/",
    ),
    Row(
        "programmes:application",
        OUTSIDE,
        method="post",
        url=lambda world: f"/programmes/candidatures/{_application(world)}/",
        data={"version": "1", "reponse_projet": "Écrit par quelqu'un d'autre"},
    ),
    Row(
        "programmes:application_autosave",
        OUTSIDE,
        method="post",
        url=lambda world: f"/programmes/candidatures/{_application(world)}/brouillon/",
        data={"version": "1", "reponse_projet": "Écrit par quelqu'un d'autre"},
    ),
    Row(
        "programmes:application_autosave",
        GET_ONLY_POST,
        url=lambda world: f"/programmes/candidatures/{_application(world)}/brouillon/",
    ),
    Row(
        "programmes:application_submit",
        OUTSIDE,
        method="post",
        url=lambda world: f"/programmes/candidatures/{_application(world)}/deposer/",
        data={"version": "1"},
    ),
    Row(
        "programmes:application_submit",
        GET_ONLY_POST,
        url=lambda world: f"/programmes/candidatures/{_application(world)}/deposer/",
    ),
]
