"""Access-matrix rows for the programmes' staff pages (tests/access.py collects them).

Every page is Incubator staff's (administrators included): a community member gets a 404, an anonymous visitor is
sent to the login page. The matrix's world gets an open FAST-like call and an application under review; the POST
rows send no data: a form with errors is shown again (200), an empty review draft is saved (302), a withdrawal
is recorded (302), the publication is refused while a decision is pending (200).
"""

from tests.access import Row, staff_only


def _programmes(world: dict) -> dict:
    """A call and an application under review, added to the matrix's `world` on first use."""
    if "programmes_application" not in world:
        from incubateur.programmes.models import Application, ApplicationStatus
        from tests.programmes.factories import fast_call
        from tests.registry.factories import ProductFactory

        call = fast_call(title="Appel de la matrice", number=99)
        product = ProductFactory(ghid="produit-programmes-matrice", name="Produit de la matrice (programmes)")
        world["programmes_call"] = call
        world["programmes_application"] = Application.objects.create(
            call=call,
            product=product,
            status=ApplicationStatus.UNDER_REVIEW,
            answers={"probleme": "Un problème", "impact": "Un impact"},
            stated_budget=400_000,
            amount_requested=100_000,
        )
    return world


def _call(world) -> int:
    return _programmes(world)["programmes_call"].pk


def _application(world) -> int:
    return _programmes(world)["programmes_application"].pk


def _call_url(suffix: str = ""):
    return lambda world: f"/equipe/programmes/appels/{_call(world)}/{suffix}"


def _application_url(suffix: str = ""):
    return lambda world: f"/equipe/programmes/candidatures/{_application(world)}/{suffix}"


ROWS: list[Row] = [
    Row("programmes:staff_calls", staff_only(200)),
    Row("programmes:call_new", staff_only(200)),
    Row("programmes:call_new", staff_only(200), method="post"),
    Row("programmes:staff_call", staff_only(200), url=_call_url()),
    Row("programmes:call_edit", staff_only(200), url=_call_url("modifier/")),
    Row("programmes:call_edit", staff_only(200), method="post", url=_call_url("modifier/")),
    Row("programmes:call_rules", staff_only(200), url=_call_url("regles/")),
    # The call is open: its rules are read-only, a POST is refused with a message.
    Row("programmes:call_rules", staff_only(302), method="post", url=_call_url("regles/")),
    Row("programmes:committee_view", staff_only(200), url=_call_url("comite/")),
    Row("programmes:results_publish", staff_only(200), url=_call_url("publier/")),
    Row("programmes:results_publish", staff_only(200), method="post", url=_call_url("publier/")),
    Row("programmes:staff_application", staff_only(200), url=_application_url()),
    Row("programmes:application_status", staff_only(200), method="post", url=_application_url("statut/")),
    Row("programmes:eligibility_mark", staff_only(302), method="post", url=_application_url("eligibilite/")),
    Row("programmes:review", staff_only(302), url=_application_url("evaluation/")),
    Row("programmes:review", staff_only(302), method="post", url=_application_url("evaluation/")),
    Row("programmes:review_withdraw", staff_only(200), url=_application_url("se-retirer/")),
    Row("programmes:review_withdraw", staff_only(302), method="post", url=_application_url("se-retirer/")),
    Row("programmes:application_decide", staff_only(200), method="post", url=_application_url("decision/")),
]
