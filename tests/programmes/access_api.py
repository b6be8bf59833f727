"""Access-matrix rows for the programmes' API, /api/v1/programmes, /calls, /applications (tests/access.py
collects them).

Public reads answer everyone alike. The rest answers 401 to anonymous callers (the API is outside
LoginRequiredMiddleware: no redirect to the login page) and 404 outside the caller's scope. The matrix's MEMBER is an
account with no application and no product, STAFF a member of the Incubator who is neither a portfolio manager nor a
pole lead.

The matrix posts form-encoded bodies; the API reads JSON. So on the operations that read a body, a logged-in caller
who gets through authentication gets a 400 ("Cannot parse request body"): the rows check that anonymous callers are
stopped first, and that the staff-only decision is a 404 for members before any body is read. What an applicant's
team, reviewers, managers, pole leads and admins may do with JSON bodies is tested in tests/programmes/test_api.py.
"""

import datetime

from tests.access import ADMIN, ANON, MEMBER, STAFF, Row, everyone


def _call(*, published: bool = False, applicant_type: str = "administration"):
    from django.utils import timezone

    from incubateur.programmes.models import Call, Programme

    programme, _ = Programme.objects.get_or_create(slug="fast", defaults={"name": "FAST"})
    now = timezone.now()
    return Call.objects.create(
        programme=programme,
        title="Appel de la matrice",
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=30),
        applicant_type=applicant_type,
        results_published_at=now if published else None,
    )


def _application_pk(*, submitted: bool = False) -> int:
    """A draft of an administration (or, `submitted`, the same application once submitted), started by a member
    outside the matrix's accounts."""
    from incubateur.programmes import services
    from tests.factories import UserFactory

    applicant = UserFactory()
    application = services.application_start(call=_call(), user=applicant, applicant_name="Mairie")
    if submitted:
        services.application_submit(application=application, user=applicant)
    return application.pk


def api(member: int, staff: int, admin: int | None = None) -> dict:
    return {ANON: 401, MEMBER: member, STAFF: staff, ADMIN: staff if admin is None else admin}


ROWS: list[Row] = [
    Row("api-v1:programmes_list", everyone(200)),
    Row("api-v1:programmes_calls", everyone(200)),
    Row("api-v1:programmes_call", everyone(200), url=lambda w: f"/api/v1/calls/{_call().pk}"),
    # Results: public once published; before, a 404 but for the Incubator's preview.
    Row(
        "api-v1:programmes_call_results",
        everyone(200),
        url=lambda w: f"/api/v1/calls/{_call(published=True).pk}/results",
    ),
    Row(
        "api-v1:programmes_call_results",
        {ANON: 404, MEMBER: 404, STAFF: 200, ADMIN: 200},
        url=lambda w: f"/api/v1/calls/{_call().pk}/results",
    ),
    Row(
        "api-v1:programmes_application_create",
        api(400, 400),
        method="post",
        url=lambda w: f"/api/v1/calls/{_call().pk}/applications",
    ),
    # A draft is its applicants' business: the staff do not see it, as on their pages (#13).
    Row("api-v1:programmes_application", api(404, 404), url=lambda w: f"/api/v1/applications/{_application_pk()}"),
    Row(
        "api-v1:programmes_application",
        api(404, 200),
        url=lambda w: f"/api/v1/applications/{_application_pk(submitted=True)}",
    ),
    Row(
        "api-v1:programmes_application_submit",
        api(404, 404),
        method="post",
        url=lambda w: f"/api/v1/applications/{_application_pk()}/submit",
    ),
    # Staff see a submitted application but do not submit it again: a 400 with the reason.
    Row(
        "api-v1:programmes_application_submit",
        api(404, 400),
        method="post",
        url=lambda w: f"/api/v1/applications/{_application_pk(submitted=True)}/submit",
    ),
    # The body is read before the lookup (a 400 here): tests/programmes/test_api_scoping.py has the draft's 404.
    Row(
        "api-v1:programmes_application_decide",
        api(404, 400),
        method="post",
        url=lambda w: f"/api/v1/applications/{_application_pk(submitted=True)}/decision",
    ),
]
