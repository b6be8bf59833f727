"""/api/v1/ of the programmes: programmes, calls, applications, decisions, results; token or
session; blind reviews; query counts."""

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.dateparse import parse_datetime

from incubateur.accounts.api_auth import CSRF_FAILED, api_token_issue, api_tokens_revoke_for
from incubateur.core.text import datetime_fr
from incubateur.programmes import services
from incubateur.programmes.models import Application, ApplicationStatus, Call, Programme
from incubateur.programmes.rules import euros
from tests.factories import UserFactory, person
from tests.organisation.helpers import justice_product
from tests.programmes.factories import close, fast_call, under_review
from tests.programmes.helpers import ANSWERS, API, apply, count_api_queries
from tests.registry.factories import ProductFactory, team_member
from tests.utils import Caller

# The tests' decisions are on applications nobody reviewed: they confirm it (the rule has its own test).
WITHOUT_REVIEW = {"confirm_without_review": True}


def errors(response) -> list[tuple[list, str]]:
    assert response.status_code == 400, response.content
    return [(item["loc"], item["msg"]) for item in response.json()["detail"]]


# --- The done-when flow -------------------------------------------------------------------------------------


def test_a_team_applies_is_decided_within_the_envelope_and_the_results_are_published(team, call):
    fast_call(
        title="FAST 17",
        number=17,
        closes_at=timezone.now() - datetime.timedelta(days=1),
        opens_at=timezone.now() - datetime.timedelta(days=40),
    )
    member, anonymous = Caller(team.member), Caller()

    listed = anonymous.get("/calls", {"open": "true", "programme": "fast"}).json()
    assert [c["title"] for c in listed["items"]] == ["FAST 18"] and listed["count"] == 1
    assert listed["items"][0]["state"] == "ouvert"

    created = member.post(
        f"/calls/{call.pk}/applications",
        {"startup": "justice-pour-tous", "answers": {"probleme": "Trop de papier"}, "stated_budget": 400_000},
    )
    assert created.status_code == 201, created.content
    draft = created.json()
    assert {k: draft[k] for k in ("call", "startup", "name", "status", "editable", "stated_budget", "answers")} == {
        "call": call.pk,
        "startup": "justice-pour-tous",
        "name": "Justice pour tous",
        "status": "brouillon",
        "editable": True,
        "stated_budget": 400_000,
        "answers": {"probleme": "Trop de papier"},
    }
    assert "reviews" not in draft and "eligibility" not in draft  # the applicant's side
    application = Application.objects.get(pk=draft["id"])
    assert application.applicant == team.member and application.product == team.product

    # An answer is missing: one message per question, named by its key.
    refused = member.post(f"/applications/{application.pk}/submit")
    assert errors(refused) == [(["answers", "impact"], "Cette question est obligatoire.")]
    services.application_save_draft(
        application=application, user=team.teammate, answers=ANSWERS, stated_budget=400_000
    )
    submitted = Caller(team.teammate).post(f"/applications/{application.pk}/submit")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "deposee" and submitted.json()["editable"] is False

    staff = Caller(team.staff)
    seen = staff.get(f"/applications/{application.pk}").json()
    assert seen["status"] == "deposee"
    assert [(e["verification"], e["result"]) for e in seen["eligibility"]] == [
        ("phase-active", True),
        ("code-public", True),
        ("manuel", None),
    ]
    under_review(application, team.staff)
    # Not before the call closes (others may still apply): a 400 about the whole action, saying when.
    early = staff.post(f"/applications/{application.pk}/decision", {"decision": "laureate", "amount": 200_000})
    assert errors(early) == [
        (
            [],
            f"Impossible de décider d'une candidature avant la clôture de l'appel « FAST 18 », le "
            f"{datetime_fr(call.closes_at)} : des candidatures peuvent encore être déposées.",
        )
    ]
    close(call)
    # Nobody reviewed it: deciding asks to confirm it.
    unreviewed = staff.post(f"/applications/{application.pk}/decision", {"decision": "laureate", "amount": 200_000})
    assert errors(unreviewed) == [(["body", "payload", "confirm_without_review"], services.WITHOUT_REVIEW)]
    decided = staff.post(
        f"/applications/{application.pk}/decision",
        {"decision": "laureate", "amount": 200_000, "confirm_without_review": True},
    )
    assert decided.status_code == 200, decided.content
    assert {k: decided.json()[k] for k in ("status", "public_status", "amount_granted")} == {
        "status": "laureate",
        "public_status": "en-comite",
        "amount_granted": 200_000,
    }
    assert decided.json()["decided_by"]["username"] == "antoine.rivage"

    # The applicant's side sees "en comité" until the results are published, and no amount.
    before = member.get(f"/applications/{application.pk}").json()
    assert (before["status"], before["amount_granted"]) == ("en-comite", None)
    assert anonymous.get(f"/calls/{call.pk}/results").status_code == 404

    services.results_publish(call=call, actor=team.staff)
    after = member.get(f"/applications/{application.pk}").json()
    assert (after["status"], after["status_label"], after["amount_granted"]) == ("laureate", "Lauréate", 200_000)
    results = anonymous.get(f"/calls/{call.pk}/results").json()
    assert results["laureates"] == [{"startup": "justice-pour-tous", "name": "Justice pour tous", "amount": 200_000}]
    assert (results["total"], results["count"]) == (200_000, 1)
    assert parse_datetime(results["published_at"]) == Call.objects.get(pk=call.pk).results_published_at


def test_a_decision_over_the_cap_and_the_share_is_a_400_that_says_by_how_much(team, call):
    application = under_review(apply(team, call), team.staff)
    close(call)
    response = Caller(team.staff).post(
        f"/applications/{application.pk}/decision", {**WITHOUT_REVIEW, "decision": "laureate", "amount": 350_000}
    )
    assert errors(response) == [
        (
            ["body", "payload", "amount"],
            f"Le montant dépasse le plafond par candidature ({euros(300_000)}) de {euros(50_000)}.",
        ),
        (
            ["body", "payload", "amount"],
            f"Le montant dépasse la part maximale de co-financement (50 % de {euros(400_000)}, soit "
            f"{euros(200_000)}) de {euros(150_000)}.",
        ),
    ]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW and application.amount_granted is None


def test_a_decision_over_the_envelope_is_a_400_with_what_is_left(team):
    call = fast_call(envelope=250_000)
    first = under_review(apply(team, call), team.staff)
    other = justice_product(ghid="autre-produit", name="Autre produit")
    member = team_member(other, username="sacha.autre")
    created = Caller(member).post(
        f"/calls/{call.pk}/applications", {"startup": "autre-produit", "answers": ANSWERS, "stated_budget": 400_000}
    )
    second = Application.objects.get(pk=created.json()["id"])
    services.application_submit(application=second, user=member)
    under_review(second, team.staff)
    close(call)
    staff = Caller(team.staff)
    assert (
        staff.post(
            f"/applications/{first.pk}/decision", {**WITHOUT_REVIEW, "decision": "laureate", "amount": 200_000}
        ).status_code
        == 200
    )
    response = staff.post(
        f"/applications/{second.pk}/decision", {**WITHOUT_REVIEW, "decision": "laureate", "amount": 100_000}
    )
    assert errors(response) == [
        (
            ["body", "payload", "amount"],
            f"L'enveloppe de l'appel ({euros(250_000)}) serait dépassée de {euros(50_000)} : il reste "
            f"{euros(50_000)} à attribuer.",
        )
    ]
    assert (
        staff.post(
            f"/applications/{second.pk}/decision", {**WITHOUT_REVIEW, "decision": "laureate", "amount": 50_000}
        ).status_code
        == 200
    )


def test_a_decision_needs_a_known_verdict_and_the_reasons_of_a_refusal(team, call):
    application = under_review(apply(team, call), team.staff)
    close(call)
    staff = Caller(team.staff)
    assert errors(
        staff.post(f"/applications/{application.pk}/decision", {**WITHOUT_REVIEW, "decision": "peut-etre"})
    ) == [(["body", "payload", "decision"], "Décision inconnue : « lauréate » ou « non retenue ».")]
    assert errors(
        staff.post(f"/applications/{application.pk}/decision", {**WITHOUT_REVIEW, "decision": "non-retenue"})
    ) == [(["body", "payload", "reasons"], "Dites au candidat pourquoi sa candidature n'est pas retenue.")]
    assert errors(staff.post(f"/applications/{application.pk}/decision", {})) == [
        (["body", "payload", "decision"], "Field required")
    ]


def test_the_reasons_of_a_refusal_are_told_to_the_applicant_once_published(team, call):
    application = under_review(apply(team, call), team.staff)
    close(call)
    refused = Caller(team.staff).post(
        f"/applications/{application.pk}/decision",
        {**WITHOUT_REVIEW, "decision": "non-retenue", "reasons": "Impact non mesuré."},
    )
    assert refused.status_code == 200 and refused.json()["decision_reasons"] == "Impact non mesuré."
    member = Caller(team.member)
    before = member.get(f"/applications/{application.pk}").json()
    assert (before["status"], before["decision_reasons"]) == ("en-comite", None)
    services.results_publish(call=call, actor=team.staff)
    after = member.get(f"/applications/{application.pk}").json()
    assert (after["status"], after["decision_reasons"], after["amount_granted"]) == (
        "non-retenue",
        "Impact non mesuré.",
        None,
    )
    results = Caller().get(f"/calls/{call.pk}/results").json()
    assert (results["laureates"], results["total"], results["count"]) == ([], 0, 0)


def test_only_staff_decide_others_get_a_404(team, call):
    application = under_review(apply(team, call), team.staff)
    body = {"decision": "laureate", "amount": 1000}
    for user in (team.member, team.outsider):
        response = Caller(user).post(f"/applications/{application.pk}/decision", body)
        assert response.status_code == 404
    assert Caller().post(f"/applications/{application.pk}/decision", body).status_code == 401
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW


def test_a_conflicted_member_of_staff_is_told_why_they_cannot_decide(team, call):
    application = under_review(apply(team, call), team.staff)
    services.review_withdraw(application=application, reviewer=team.staff)
    response = Caller(team.staff).post(
        f"/applications/{application.pk}/decision", {**WITHOUT_REVIEW, "decision": "laureate"}
    )
    assert errors(response) == [([], "Vous ne pouvez pas décider de cette candidature.")]


# --- Starting and submitting --------------------------------------------------------------------------------


def test_a_closed_call_refuses_drafts_and_submissions_with_its_closing_date(team, call):
    created = Caller(team.member).post(
        f"/calls/{call.pk}/applications", {"startup": "justice-pour-tous", "answers": ANSWERS, "stated_budget": 1}
    )
    pk = created.json()["id"]
    closed_at = timezone.now() - datetime.timedelta(minutes=1)
    Call.objects.filter(pk=call.pk).update(closes_at=closed_at)
    message = f"L'appel « FAST 18 » est clos depuis le {datetime_fr(closed_at)} : il ne reçoit plus de candidature."
    assert errors(Caller(team.member).post(f"/applications/{pk}/submit")) == [([], message)]
    assert Application.objects.get(pk=pk).status == ApplicationStatus.DRAFT
    other = justice_product(ghid="autre-produit", name="Autre produit")
    late = Caller(team_member(other, username="sacha.autre")).post(
        f"/calls/{call.pk}/applications", {"startup": "autre-produit", "answers": ANSWERS}
    )
    assert errors(late) == [([], message)]
    assert Application.objects.count() == 1
    assert Caller(team.member).get(f"/applications/{pk}").json()["editable"] is False


@pytest.mark.parametrize(
    "who,body,expected",
    [
        ("outsider", {"startup": "justice-pour-tous"}, "Vous ne faites pas partie de l'équipe active de ce produit."),
        ("member", {"startup": "inconnu"}, "Produit inconnu : « inconnu »."),
        ("member", {}, "Choisissez le produit pour lequel vous candidatez."),
    ],
)
def test_a_draft_is_for_a_product_of_the_caller(team, call, who, body, expected):
    response = Caller(getattr(team, who)).post(f"/calls/{call.pk}/applications", {"answers": ANSWERS, **body})
    assert errors(response) == [(["body", "payload", "startup"], expected)]
    assert not Application.objects.exists()


def test_a_team_applies_once(team, call):
    first = Caller(team.member).post(f"/calls/{call.pk}/applications", {"startup": "justice-pour-tous"})
    assert first.status_code == 201
    again = Caller(team.teammate).post(f"/calls/{call.pk}/applications", {"startup": "justice-pour-tous"})
    assert errors(again) == [
        (
            ["body", "payload", "startup"],
            f"L'équipe de Justice pour tous a déjà une candidature à cet appel (n°{first.json()['id']}).",
        )
    ]


def test_bad_amounts_are_a_400_and_nothing_is_created(team, call):
    response = Caller(team.member).post(
        f"/calls/{call.pk}/applications", {"startup": "justice-pour-tous", "stated_budget": -1}
    )
    assert errors(response)[0][0] == ["body", "payload", "stated_budget"]
    assert not Application.objects.exists()


def test_a_call_for_administrations_needs_the_applicants_name(team):
    call = fast_call(title="EIG 8", number=8, applicant_type="administration", share=None)
    caller = Caller(team.outsider)
    assert errors(caller.post(f"/calls/{call.pk}/applications", {"answers": ANSWERS})) == [
        (["body", "payload", "applicant_name"], "Indiquez qui candidate.")
    ]
    created = caller.post(
        f"/calls/{call.pk}/applications",
        {"applicant_name": "Mairie de Lyon", "startup": "justice-pour-tous", "answers": ANSWERS},
    )
    assert created.status_code == 201, created.content
    assert (created.json()["startup"], created.json()["name"]) == (None, "Mairie de Lyon")
    submitted = caller.post(f"/applications/{created.json()['id']}/submit")
    assert submitted.status_code == 200, submitted.content


def test_the_budget_is_needed_at_submission_when_the_call_has_a_share(team, call):
    created = Caller(team.member).post(
        f"/calls/{call.pk}/applications", {"startup": "justice-pour-tous", "answers": ANSWERS}
    )
    response = Caller(team.member).post(f"/applications/{created.json()['id']}/submit")
    assert errors(response) == [(["stated_budget"], "Indiquez le budget du projet : le co-financement en dépend.")]


def test_an_application_is_seen_by_its_team_and_the_incubator_only(team, call):
    application = apply(team, call)
    for user in (team.member, team.teammate, team.staff, team.admin):
        assert Caller(user).get(f"/applications/{application.pk}").status_code == 200, user
    outsider = Caller(team.outsider)
    assert outsider.get(f"/applications/{application.pk}").status_code == 404
    assert outsider.post(f"/applications/{application.pk}/submit").status_code == 404
    assert outsider.get("/applications/999999").status_code == 404


def test_staff_do_not_see_a_draft_so_cannot_submit_it(team, call):
    created = Caller(team.member).post(
        f"/calls/{call.pk}/applications", {"startup": "justice-pour-tous", "answers": ANSWERS, "stated_budget": 1}
    )
    assert Caller(team.staff).post(f"/applications/{created.json()['id']}/submit").status_code == 404
    assert Caller(team.member).post(f"/applications/{created.json()['id']}/submit").status_code == 200


def test_a_submitted_application_is_not_submitted_twice(team, call):
    application = apply(team, call)
    assert errors(Caller(team.member).post(f"/applications/{application.pk}/submit")) == [
        ([], "Cette candidature a déjà été déposée.")
    ]


# --- Blind reviews ------------------------------------------------------------------------------------------


def test_reviews_are_blind_until_the_reviewer_submits_theirs(team, call):
    application = under_review(apply(team, call), team.staff)
    criteria = {c.label: str(c.pk) for c in call.selection_criteria.all()}
    first, second = team.staff, person("cora.dune")
    scores = {criteria["Impact"]: 5, criteria["Maturité"]: 4, criteria["Ambition"]: 3, criteria["Soutien"]: 2}
    services.review_save(application=application, reviewer=first, scores=scores, comment="Solide", submit=True)

    def reviews(user):
        response = Caller(user).get(f"/applications/{application.pk}")
        assert response.status_code == 200
        return response.json().get("reviews", "absent")

    assert reviews(second) is None  # has not submitted theirs
    assert reviews(team.admin) is None  # not a reviewer, instruction still running
    assert reviews(team.member) == "absent"  # the applicant's side never sees the key
    mine = reviews(first)
    assert mine == [
        {
            "reviewer": {"username": "antoine.rivage", "fullname": "Antoine Rivage"},
            "scores": scores,
            "weighted_score": round((5 * 3 + 4 * 2 + 3 * 2 + 2 * 1) / 8, 2),
            "comment": "Solide",
            "submitted_at": mine[0]["submitted_at"],
        }
    ]
    services.review_save(application=application, reviewer=second, scores=dict.fromkeys(scores, 3), submit=True)
    assert [r["reviewer"]["username"] for r in reviews(second)] == ["antoine.rivage", "cora.dune"]

    # Once in committee, staff without a conflict see the scores; a member of the product's team never does.
    services.application_status_set(application=application, actor=first, status=ApplicationStatus.IN_COMMITTEE)
    assert len(reviews(team.admin)) == 2
    conflicted = team_member(team.product, username="eve.conflit", is_incubator_staff=True)
    assert reviews(conflicted) is None


# --- Results ------------------------------------------------------------------------------------------------


def test_results_are_a_404_until_published_except_for_the_incubators_preview(team, call):
    url = f"/calls/{call.pk}/results"
    assert Caller().get(url).status_code == 404
    assert Caller(team.member).get(url).status_code == 404
    assert Caller(team.staff).get(url).status_code == 200  # a token
    session = Client()
    session.force_login(team.staff)
    assert session.get(f"{API}{url}").status_code == 200
    assert Caller().get(url, Authorization="Bearer inconnu").status_code == 401
    assert Caller().get(url, Authorization="Basic dXNlcjpwYXNz").status_code == 401
    assert Caller(team.member).get(url).status_code == 404  # a token adds nothing for a member
    assert Caller().get("/calls/999999/results").status_code == 404


def test_past_editions_show_their_laureates(team):
    programme, _ = Programme.objects.get_or_create(slug="fast", defaults={"name": "FAST"})
    past = Call.objects.create(programme=programme, title="FAST 17", number=17, historical=True)
    Application.objects.create(
        call=past, product=team.product, status=ApplicationStatus.LAUREATE, amount_granted=80_000
    )
    other = ProductFactory(ghid="aides-jeunes", name="Aides jeunes")
    Application.objects.create(call=past, product=other, status=ApplicationStatus.LAUREATE, amount_granted=120_000)
    results = Caller().get(f"/calls/{past.pk}/results").json()
    assert [(x["startup"], x["amount"]) for x in results["laureates"]] == [
        ("aides-jeunes", 120_000),
        ("justice-pour-tous", 80_000),
    ]
    assert (results["total"], results["count"]) == (200_000, 2)
    listed = Caller().get("/calls", {"programme": "fast"}).json()["items"]
    assert [(c["title"], c["state"], c["historical"], c["opens_at"]) for c in listed] == [
        ("FAST 17", "resultats-publies", True, None)
    ]


# --- Programmes and calls -----------------------------------------------------------------------------------


def test_programmes_count_their_published_calls(call):
    Programme.objects.create(slug="eig", name="EIG", description="Entrepreneurs d'intérêt général", order=1)
    in_preparation = fast_call(title="FAST 19", number=19)
    Call.objects.filter(pk=in_preparation.pk).update(opens_at=None, closes_at=None)
    body = Caller().get("/programmes").json()
    assert body == {
        "items": [
            {"slug": "fast", "name": "FAST", "description": "", "calls": 1},
            {"slug": "eig", "name": "EIG", "description": "Entrepreneurs d'intérêt général", "calls": 0},
        ],
        "count": 2,
    }


def test_calls_their_filters_and_their_paris_times(call):
    now = timezone.now()
    closed = fast_call(
        title="FAST 17",
        number=17,
        opens_at=now - datetime.timedelta(days=60),
        closes_at=now - datetime.timedelta(days=1),
    )
    coming = fast_call(
        title="FAST 19",
        number=19,
        opens_at=now + datetime.timedelta(days=10),
        closes_at=now + datetime.timedelta(days=40),
    )
    hidden = fast_call(title="FAST 20", number=20)
    Call.objects.filter(pk=hidden.pk).update(opens_at=None, closes_at=None)
    eig = Programme.objects.create(slug="eig", name="EIG")
    Call.objects.create(
        programme=eig,
        title="EIG 8",
        opens_at=now - datetime.timedelta(days=2),
        closes_at=now + datetime.timedelta(days=2),
    )

    Call.objects.create(  # without a number: after the numbered editions, on SQLite as on PostgreSQL
        programme=call.programme,
        title="FAST hors série",
        opens_at=now - datetime.timedelta(days=3),
        closes_at=now + datetime.timedelta(days=3),
    )

    anonymous = Caller()
    everything = anonymous.get("/calls").json()
    titles = ["EIG 8", "FAST 19", "FAST 18", "FAST 17", "FAST hors série"]
    assert [c["title"] for c in everything["items"]] == titles  # programme by programme (order, name)
    assert [c["state"] for c in everything["items"]] == ["ouvert", "a-venir", "ouvert", "clos", "ouvert"]
    assert everything["count"] == 5
    assert [c["title"] for c in anonymous.get("/calls", {"open": "true"}).json()["items"]] == [
        "EIG 8",
        "FAST 18",
        "FAST hors série",
    ]
    assert [c["title"] for c in anonymous.get("/calls", {"open": "false", "programme": "fast"}).json()["items"]] == [
        "FAST 19",
        "FAST 17",
    ]
    assert anonymous.get("/calls", {"programme": "inconnu"}).json() == {"items": [], "count": 0}
    assert [c["title"] for c in anonymous.get("/calls", {"limit": 1, "offset": 2}).json()["items"]] == ["FAST 18"]
    assert errors(anonymous.get("/calls", {"open": "peut-etre"}))[0][0] == ["query", "open"]

    item = everything["items"][3]
    assert item == {
        "id": closed.pk,
        "programme": "fast",
        "title": "FAST 17",
        "number": 17,
        "opens_at": item["opens_at"],
        "closes_at": item["closes_at"],
        "state": "clos",
        "state_label": "clos",
        "applicant_type": "produit",
        "envelope": 1_000_000,
        "cap": 300_000,
        "max_cofinancing_share": 50,
        "historical": False,
        "results_published": False,
    }
    # ISO 8601 with the offset of Paris (+01:00 in winter, +02:00 in summer): the same instant.
    offset = timezone.localtime(closed.closes_at).strftime("%z")
    assert item["closes_at"].endswith(f"{offset[:3]}:{offset[3:]}")
    assert parse_datetime(item["closes_at"]) == closed.closes_at
    assert parse_datetime(item["opens_at"]) == closed.opens_at
    assert coming.pk in [c["id"] for c in everything["items"]]


def test_a_call_with_its_questions_and_criteria(call):
    call.questions.filter(key="stats").update(help_text="Une page publique")
    body = Caller().get(f"/calls/{call.pk}").json()
    assert body["title"] == "FAST 18" and body["state"] == "ouvert"
    assert body["questions"] == [
        {
            "key": "probleme",
            "label": "Le problème, chiffré",
            "type": "texte-long",
            "required": True,
            "choices": [],
            "help_text": "",
        },
        {
            "key": "impact",
            "label": "L'impact mesuré",
            "type": "texte-long",
            "required": True,
            "choices": [],
            "help_text": "",
        },
        {
            "key": "stats",
            "label": "Page de statistiques",
            "type": "url",
            "required": False,
            "choices": [],
            "help_text": "Une page publique",
        },
    ]
    assert [(c["label"], c["verification"]) for c in body["eligibility_criteria"]] == [
        ("En construction ou accélération", "phase-active"),
        ("Code source ouvert", "code-public"),
        ("Stratégie de passage à l'échelle", "manuel"),
    ]
    assert [(c["label"], c["weight"], c["description"]) for c in body["selection_criteria"]] == [
        ("Impact", 3, ""),
        ("Maturité", 2, ""),
        ("Ambition", 2, ""),
        ("Soutien", 1, ""),
    ]
    assert body["selection_criteria"][0]["id"] == call.selection_criteria.first().pk


def test_a_call_in_preparation_does_not_exist_for_the_api(team, call):
    Call.objects.filter(pk=call.pk).update(opens_at=None, closes_at=None)
    assert Caller().get(f"/calls/{call.pk}").status_code == 404
    assert Caller(team.staff).get(f"/calls/{call.pk}").status_code == 404
    response = Caller(team.member).post(f"/calls/{call.pk}/applications", {"startup": "justice-pour-tous"})
    assert response.status_code == 404
    assert Caller().get("/calls/999999").status_code == 404


# --- Authentication -----------------------------------------------------------------------------------------


def test_the_session_works_and_needs_the_csrf_token_to_write(team, call):
    client = Client(enforce_csrf_checks=True)
    client.force_login(team.member)
    url = f"{API}/calls/{call.pk}/applications"
    body = json.dumps({"startup": "justice-pour-tous", "answers": ANSWERS})
    refused = client.post(url, body, content_type="application/json")
    assert (refused.status_code, refused.json()) == (403, {"detail": CSRF_FAILED})
    wrong = client.post(url, body, content_type="application/json", headers={"X-CSRFToken": "x" * 32})
    assert wrong.status_code == 403
    assert not Application.objects.exists()
    token = get_random_string(32)
    client.cookies["csrftoken"] = token
    created = client.post(url, body, content_type="application/json", headers={"X-CSRFToken": token})
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert client.get(f"{API}/applications/{pk}").status_code == 200  # reads need no CSRF token
    client.cookies.pop("csrftoken")
    assert client.post(f"{API}/applications/{pk}/submit").status_code == 403


def test_without_credentials_a_write_is_a_401_not_a_csrf_error(call):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{API}/calls/{call.pk}/applications", "{}", content_type="application/json")
    assert response.status_code == 401


def test_bearer_tokens(team, call):
    user = team.member
    _, secret = api_token_issue(user=user, name="script")
    client = Client()
    application = apply(team, call)
    url = f"{API}/applications/{application.pk}"
    assert client.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    for header, message in [
        ("Bearer inconnu", "Jeton d'API invalide ou révoqué."),
        ("Basic dXNlcjpwYXNz", "En-tête Authorization invalide : attendu « Bearer <jeton> »."),
    ]:
        response = client.get(url, headers={"Authorization": header})
        assert (response.status_code, response.json()) == (401, {"detail": message})
    # A bad token is a 401 even with a valid session: never a silent fall back.
    client.force_login(user)
    assert client.get(url, headers={"Authorization": "Bearer inconnu"}).status_code == 401
    client.logout()
    api_tokens_revoke_for(user=user)
    assert client.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 401


@pytest.mark.parametrize(
    "method,path",
    [
        ("post", "/calls/{call}/applications"),
        ("post", "/applications/{application}/submit"),
        ("get", "/applications/{application}"),
        ("post", "/applications/{application}/decision"),
        ("get", "/portfolios/pierre.boussole/board"),
    ],
)
def test_anonymous_is_a_401_where_auth_is_needed(team, call, method, path):
    application = apply(team, call)
    url = path.format(call=call.pk, application=application.pk)
    response = getattr(Caller(), method)(url, *([{"decision": "laureate"}] if method == "post" else []))
    assert (response.status_code, response.json()) == (401, {"detail": "Unauthorized"})


def test_an_inactive_account_is_a_401(team, call):
    application = apply(team, call)
    client = Client()
    client.force_login(UserFactory(inactive=True))
    assert client.get(f"{API}/applications/{application.pk}").status_code == 401


# --- Query counts -------------------------------------------------------------------------------------------


def test_the_calls_list_costs_the_same_whatever_its_length(call):
    one = count_api_queries(Caller(), "/calls")
    for number in range(1, 6):
        programme = Programme.objects.create(slug=f"programme-{number}", name=f"Programme {number}")
        Call.objects.create(programme=programme, title=f"Appel {number}", number=number, historical=True)
    assert Caller().get("/calls").json()["count"] == 6
    assert count_api_queries(Caller(), "/calls") == one
    assert count_api_queries(Caller(), "/programmes") <= 1


def test_the_openapi_schema_still_builds(client):
    schema = client.get(f"{API}/openapi.json").json()
    for path in (
        "/api/v1/programmes",
        "/api/v1/calls",
        "/api/v1/calls/{call_id}",
        "/api/v1/calls/{call_id}/applications",
        "/api/v1/calls/{call_id}/results",
        "/api/v1/applications/{application_id}",
        "/api/v1/applications/{application_id}/submit",
        "/api/v1/applications/{application_id}/decision",
        "/api/v1/portfolios/{username}/board",
    ):
        assert path in schema["paths"], path
    decision = schema["paths"]["/api/v1/applications/{application_id}/decision"]["post"]
    assert {"200", "400", "401", "404"} <= set(decision["responses"])


def test_a_past_edition_reads_as_published_as_its_state_says(db):
    """An imported FAST edition: « résultats publiés » and `results_published` agree (its date is unknown)."""
    programme = Programme.objects.create(slug="fast", name="FAST")
    call = Call.objects.create(programme=programme, title="FAST 3", number=3, historical=True)
    item = Caller().get(f"/calls/{call.pk}").json()
    assert (item["state"], item["state_label"], item["results_published"]) == (
        "resultats-publies",
        "résultats publiés",
        True,
    )
    results = Caller().get(f"/calls/{call.pk}/results").json()
    assert (results["published_at"], results["count"]) == (None, 0)
