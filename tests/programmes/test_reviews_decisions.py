"""Blind reviews, conflicts of interest, the committee's weighted ranking, decisions within the cap, the
co-financing share and the envelope (two decisions racing for the last euros), publication of the results, and
the rules of a call that freeze when it opens: through the services and through the staff pages."""

import datetime
import re
import threading
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection
from django.utils import timezone

from incubateur.core.models import JournalEntry, Notification, Visibility
from incubateur.core.text import datetime_fr
from incubateur.programmes import perms, services
from incubateur.programmes.models import Application, ApplicationStatus, Call, Review
from incubateur.programmes.selectors import staff as queries_staff
from tests.factories import UserFactory
from tests.organisation.helpers import justice_product
from tests.programmes.factories import close, fast_call, submitted, under_review
from tests.registry.factories import MemberFactory, MissionFactory, team_member

NNBSP, NBSP = "\u202f", "\u00a0"
UNREVIEWED = {"confirm_without_review": "on"}  # the decision form's second confirmation, for an unreviewed one


def eur(text: str) -> str:
    """« 300 000 € » as the messages write it: a narrow no-break space between thousands, a no-break space
    before the euro sign."""
    return re.sub(r"(?<=\d) (?=\d{3})", NNBSP, text).replace(" €", NBSP + "€")


def another_product(call, n: int, staff, *, budget=400_000, requested=200_000):
    product = justice_product(ghid=f"produit-{n}", name=f"Produit {n}")
    member = team_member(product, username=f"membre.{n}")
    return under_review(submitted(call, product, member, budget=budget, requested=requested), staff)


def scores(call, *values) -> dict[str, int]:
    """Scores in the order of the call's criteria (Impact ×3, Maturité ×2, Ambition ×2, Soutien ×1)."""
    return {str(c.pk): v for c, v in zip(call.selection_criteria.all(), values, strict=True)}


def review(application, reviewer, *values, comment="", submit=True) -> Review:
    return services.review_save(
        application=application,
        reviewer=reviewer,
        scores=scores(application.call, *values),
        comment=comment,
        submit=submit,
    )


def page(client, user, url, data=None):
    client.force_login(user)
    response = client.post(url, data) if data is not None else client.get(url)
    return response


def words(response) -> str:
    """What a reader gets of the page's <main>: tags out, entities decoded, spaces collapsed (the narrow and
    ordinary no-break spaces of amounts are kept)."""
    html = response.content.decode()
    html = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def app_url(application, suffix=""):
    return f"/equipe/programmes/candidatures/{application.pk}/{suffix}"


def field_errors(response, name: str) -> str:
    """The text of the error block DSFR puts under the field `name`."""
    html = response.content.decode()
    match = re.search(rf'<div (?:class="[^"]*" )?id="id_{re.escape(name)}-desc-error">(.*?)</div>', html, re.S)
    assert match, f"no error next to {name}"
    return unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


@pytest.fixture
def reviewers(team):
    """Three staff reviewers: antoine.rivage (A), pierre.boussole (B), and a third one (C)."""
    return team.staff, team.manager, UserFactory(username="claire.relectrice", staff=True)


@pytest.fixture
def application(team, call):
    return under_review(submitted(call, team.product, team.member), team.staff)


# --- Blind reviews ----------------------------------------------------------------------------------------------


def test_a_reviewer_sees_the_others_scores_only_once_they_submitted_theirs(client, application, reviewers):
    a, b, _ = reviewers
    review(application, a, 5, 4, 4, 3, comment="Impact très convaincant")
    review(application, b, 2, 2, 2, 2, comment="Brouillon de B", submit=False)

    assert perms.can_see_scores(a, application)
    assert not perms.can_see_scores(b, application)
    response = page(client, b, app_url(application))
    assert 'name="comment"' in response.content.decode()
    text = words(response)
    assert "Les évaluations des autres sont masquées jusqu'à la remise de la vôtre" in text
    assert "Impact très convaincant" not in text
    assert "4,25" not in text and "4.25" not in text  # A's weighted score (34 / 8)
    # B's own draft is there to be finished.
    assert "Brouillon de B" in text
    # Neither the call's list nor the committee shows B the score.
    call_page = words(page(client, b, f"/equipe/programmes/appels/{application.call_id}/"))
    assert "masquée" in call_page and "4,25" not in call_page
    committee = page(client, b, f"/equipe/programmes/appels/{application.call_id}/comite/")
    [row] = committee.context["ranking"].rows
    assert not row.visible and row.score is None and row.rank is None
    assert "4,25" not in words(committee)

    # A sees no draft of B: only submitted reviews count.
    text = words(page(client, a, app_url(application)))
    assert "Brouillon de B" not in text
    assert "Aucune autre évaluation remise." in text

    # B submits through the page: A's score and comment appear.
    data = {f"score_{pk}": v for pk, v in scores(application.call, 3, 3, 3, 3).items()}
    response = page(client, b, app_url(application, "evaluation/"), {**data, "comment": "Moyen", "action": "remettre"})
    assert response.status_code == 302
    assert perms.can_see_scores(b, application)
    text = words(page(client, b, app_url(application)))
    assert "Impact très convaincant" in text
    assert "4,25 / 5" in text
    assert "3,62 / 5" in text  # the mean of 4.25 and 3.00, to two decimals (half to even)
    # A submitted review no longer changes.
    with pytest.raises(ValidationError) as error:
        review(application, b, 5, 5, 5, 5)
    assert error.value.message_dict == {"__all__": ["Votre évaluation est déjà remise : elle ne change plus."]}


def test_submitting_needs_every_criterion_scored_and_the_errors_are_next_to_the_fields(client, application, reviewers):
    a, _, _ = reviewers
    impact, maturity, *_ = application.call.selection_criteria.all()
    response = page(
        client,
        a,
        app_url(application, "evaluation/"),
        {f"score_{impact.pk}": "4", f"score_{maturity.pk}": "", "comment": "", "action": "remettre"},
    )
    assert response.status_code == 200
    assert "Notez « Maturité » avant de remettre votre évaluation." in field_errors(response, f"score_{maturity.pk}")
    assert not Review.objects.filter(submitted_at__isnull=False).exists()
    # The same scores as a draft are kept, to be finished later.
    response = page(client, a, app_url(application, "evaluation/"), {f"score_{impact.pk}": "4", "action": "brouillon"})
    assert response.status_code == 302
    draft = Review.objects.get(reviewer=a)
    assert draft.scores == {str(impact.pk): 4} and draft.submitted_at is None


# --- Conflicts --------------------------------------------------------------------------------------------------


def test_a_member_of_the_products_team_past_or_present_cannot_review_nor_see_the_scores(
    client, team, application, reviewers
):
    a, _, _ = reviewers
    review(application, a, 5, 5, 5, 5, comment="Excellent dossier")
    present = UserFactory(username="staff.present", staff=True)
    MissionFactory(member=MemberFactory(username="staff.present", user=present), products=[team.product])
    past = UserFactory(username="staff.ancien", staff=True)
    today = timezone.localdate()
    MissionFactory(
        member=MemberFactory(username="staff.ancien", user=past),
        products=[team.product],
        start=today - datetime.timedelta(days=800),
        end=today - datetime.timedelta(days=400),
    )
    for user in (present, past):
        assert perms.has_conflict(user, application)
        assert not perms.can_review(user, application)
        assert not perms.can_see_scores(user, application)
        assert not perms.can_decide(user, application)
        with pytest.raises(services.NotAllowed):
            review(application, user, 1, 1, 1, 1)
        with pytest.raises(services.NotAllowed):
            services.application_decide(
                application=application, actor=user, decision=ApplicationStatus.LAUREATE, amount=1
            )
        response = page(client, user, app_url(application))
        assert 'name="comment"' not in response.content.decode()
        text = words(response)
        assert "Vous ne pouvez pas évaluer cette candidature ni voir ses évaluations" in text
        assert "Vous faites ou avez fait partie de l'équipe de ce produit." in text
        assert "Excellent dossier" not in text
        assert "Vous ne pouvez pas décider de cette candidature : conflit d'intérêts." in text
        # The review endpoint refuses too, with a message.
        response = page(client, user, app_url(application, "evaluation/"), {"action": "remettre"})
        assert response.status_code == 302
        assert not Review.objects.filter(reviewer=user).exists()
    # Once the application is in committee, the conflicted still see nothing.
    services.application_status_set(application=application, actor=a, status=ApplicationStatus.IN_COMMITTEE)
    application.refresh_from_db()
    assert perms.can_see_scores(UserFactory(username="staff.autre", staff=True), application)
    assert not perms.can_see_scores(past, application)


def test_a_reviewer_who_withdraws_no_longer_reviews_sees_nor_decides(client, application, reviewers):
    a, b, c = reviewers
    review(application, a, 5, 5, 5, 5, comment="Très bien")
    review(application, b, 1, 1, 1, 1, comment="Je connais le sponsor")
    # B steps aside through the confirmation page.
    confirm = page(client, b, app_url(application, "se-retirer/"))
    assert confirm.status_code == 200
    assert "Je me retire (conflit d'intérêts)" in words(confirm)
    assert page(client, b, app_url(application, "se-retirer/"), {}).status_code == 302
    assert Review.objects.get(reviewer=b).withdrawn
    assert perms.has_conflict(b, application)
    assert not perms.can_review(b, application)
    assert not perms.can_see_scores(b, application)
    assert not perms.can_decide(b, application)
    with pytest.raises(services.NotAllowed):
        review(application, b, 3, 3, 3, 3)
    text = words(page(client, b, app_url(application)))
    assert "Vous vous êtes retiré(e) de son évaluation (conflit d'intérêts)." in text
    assert "Très bien" not in text
    # Their submitted review no longer counts: C sees A's alone.
    review(application, c, 3, 3, 3, 3)
    text = words(page(client, c, app_url(application)))
    assert "2 évaluations remises sur 2 ouvertes" in text
    assert "Je connais le sponsor" not in text
    assert "4,00 / 5" in text  # (5 + 3) / 2


def test_the_bulk_visibility_of_the_lists_agrees_with_perms(team, call, application, reviewers):
    a, b, c = reviewers
    other = another_product(call, 2, a)
    review(application, a, 4, 4, 4, 4)
    review(other, b, 3, 3, 3, 3)
    services.review_withdraw(application=other, reviewer=c)
    committee = another_product(call, 3, a)
    services.application_status_set(application=committee, actor=a, status=ApplicationStatus.IN_COMMITTEE)
    product = justice_product(ghid="produit-4", name="Produit 4")
    fresh = submitted(call, product, team_member(product, username="membre.4"))
    applications = list(Application.objects.filter(call=call))
    users = [a, b, c, team.member, team.teammate, team.admin, UserFactory(username="staff.neuf", staff=True)]
    assert fresh.status == ApplicationStatus.SUBMITTED
    for user in users:
        expected = {app.pk: perms.can_see_scores(user, app) for app in applications}
        assert perms.scores_visible(user, applications) == expected, user.username


# --- The committee's ranking ------------------------------------------------------------------------------------


def test_the_committee_ranks_by_weighted_mean_with_the_spread(client, team, call, application, reviewers):
    a, b, c = reviewers
    second = another_product(call, 2, a)
    third = another_product(call, 3, a)
    fourth = another_product(call, 4, a)
    # Weights 3, 2, 2, 1 (Σ 8).
    review(application, a, 5, 5, 5, 1)  # 36 / 8 = 4.5 (4.0 unweighted)
    review(application, b, 4, 4, 4, 4)  # 4.0
    review(second, a, 3, 3, 3, 3)  # 3.0
    review(second, b, 1, 1, 1, 1)  # 1.0
    review(third, a, 5, 5, 5, 5)  # 5.0
    review(third, b, 4, 5, 5, 4)  # 36 / 8 = 4.5
    review(fourth, a, 1, 5, 5, 5)  # 28 / 8 = 3.5 (4.0 unweighted: the weights put it below the first)
    review(fourth, b, 1, 5, 5, 5)  # 3.5
    review(fourth, c, 5, 5, 5, 5, submit=False)  # a draft counts for nothing
    for app in (application, second, third):
        services.application_status_set(application=app, actor=a, status=ApplicationStatus.IN_COMMITTEE)
    close(call)
    services.application_decide(application=second, actor=a, decision=ApplicationStatus.LAUREATE, amount=100_000)

    ranking = queries_staff.committee_ranking(call, user=a)
    assert [(r.rank, r.application.pk, r.score, r.spread, r.count) for r in ranking.rows] == [
        (1, third.pk, 4.75, 0.5, 2),
        (2, application.pk, 4.25, 0.5, 2),
        (3, fourth.pk, 3.5, 0.0, 2),
    ]  # `second` is decided: no longer in committee
    assert ranking.rows[1].per_criterion == [4.5, 4.5, 4.5, 2.5]
    assert (ranking.summary.granted, ranking.summary.remaining) == (100_000, 900_000)

    # C has a draft on `fourth`, still under review: it is masked for them, listed last and unranked.
    ranking_c = queries_staff.committee_ranking(call, user=c)
    assert [(r.rank, r.application.pk, r.visible) for r in ranking_c.rows] == [
        (1, third.pk, True),
        (2, application.pk, True),
        (None, fourth.pk, False),
    ]
    response = page(client, c, f"/equipe/programmes/appels/{call.pk}/comite/")
    text = words(response)
    assert "4,75 / 5" in text and "masqué" in text and "3,50" not in text
    assert f"Reste à attribuer : {eur('900 000 €')}" in text
    assert f"Déjà attribué : {eur('100 000 €')}" in text


# --- Decisions: cap, co-financing share, envelope ----------------------------------------------------------------


def decide(application, actor, amount, decision=ApplicationStatus.LAUREATE, reasons=""):
    """A decision, as the confirmation of a decision without review gives it (most applications here have none)."""
    return services.application_decide(
        application=application,
        actor=actor,
        decision=decision,
        amount=amount,
        reasons=reasons,
        confirm_without_review=True,
    )


def test_the_cap_per_application_is_enforced_with_the_overflow(team, call):
    application = under_review(submitted(call, team.product, team.member, budget=1_000_000), team.staff)
    close(call)
    with pytest.raises(ValidationError) as error:
        decide(application, team.staff, 350_000)
    assert error.value.message_dict == {
        "amount": [eur("Le montant dépasse le plafond par candidature (300 000 €) de 50 000 €.")]
    }
    assert decide(application, team.staff, 300_000).amount_granted == 300_000


def test_the_cofinancing_share_of_the_stated_budget_is_enforced_with_the_overflow(team, call):
    application = under_review(submitted(call, team.product, team.member, budget=400_000), team.staff)
    close(call)
    with pytest.raises(ValidationError) as error:
        decide(application, team.staff, 250_000)
    assert error.value.message_dict == {
        "amount": [
            eur(
                "Le montant dépasse la part maximale de co-financement (50 % de 400 000 €, soit 200 000 €) "
                "de 50 000 €."
            )
        ]
    }
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW and application.amount_granted is None


def test_the_envelope_is_enforced_with_the_overflow_next_to_the_amount_field(client, team, call):
    staff = team.staff
    others = [another_product(call, n, staff, budget=1_000_000) for n in range(3)]
    last = under_review(submitted(call, team.product, team.member, budget=400_000), staff)
    close(call)
    for other in others:
        decide(other, staff, 300_000)
    expected = eur(
        "L'enveloppe de l'appel (1 000 000 €) serait dépassée de 50 000 € : il reste 100 000 € à attribuer."
    )
    with pytest.raises(ValidationError) as error:
        decide(last, staff, 150_000)
    assert error.value.message_dict == {"amount": [expected]}

    # Through the page: the message is next to the amount field, and the decision is not recorded.
    response = page(
        client,
        staff,
        app_url(last, "decision/"),
        {"decision": "laureate", "amount": "150 000", "reasons": "", "confirm": "on", **UNREVIEWED},
    )
    assert response.status_code == 200
    assert expected in field_errors(response, "amount")
    last.refresh_from_db()
    assert last.status == ApplicationStatus.UNDER_REVIEW
    # Every overflow at once: cap, share and envelope.
    response = page(
        client,
        staff,
        app_url(last, "decision/"),
        {"decision": "laureate", "amount": "400000", "confirm": "on", **UNREVIEWED},
    )
    errors = field_errors(response, "amount")
    assert eur("plafond par candidature (300 000 €) de 100 000 €") in errors
    assert eur("soit 200 000 €) de 200 000 €") in errors
    assert eur("serait dépassée de 300 000 €") in errors
    # What is left fits.
    response = page(
        client,
        staff,
        app_url(last, "decision/"),
        {"decision": "laureate", "amount": "100000", "confirm": "on", **UNREVIEWED},
    )
    assert response.status_code == 302
    assert queries_staff.granted_in_call(call) == 1_000_000


def test_a_decision_needs_a_confirmation_and_reasons_when_not_selected(client, call, application, reviewers):
    a, _, _ = reviewers
    close(call)
    response = page(client, a, app_url(application, "decision/"), {"decision": "non-retenue", "reasons": ""})
    assert response.status_code == 200
    assert "Cochez la case pour confirmer" in field_errors(response, "confirm")
    response = page(
        client,
        a,
        app_url(application, "decision/"),
        {"decision": "non-retenue", "reasons": "", "confirm": "on", **UNREVIEWED},
    )
    assert "Dites au candidat pourquoi sa candidature n'est pas retenue." in words(response)
    assert "pourquoi sa candidature n'est pas retenue" in field_errors(response, "reasons")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW


def test_deciding_and_publishing_wait_for_the_call_to_close(client, call, application, reviewers):
    """While the call is open (others may still apply), no decision and no publication: the service refuses with
    the closing date, the pages say it where the action would be."""
    a, _, _ = reviewers
    review(application, a, 4, 4, 4, 4)
    expected = (
        f"Impossible de décider d'une candidature avant la clôture de l'appel « FAST 18 », le "
        f"{datetime_fr(call.closes_at)} : des candidatures peuvent encore être déposées."
    )
    with pytest.raises(ValidationError) as error:
        decide(application, a, 100_000)
    assert error.value.message_dict == {"__all__": [expected]}
    response = page(client, a, app_url(application))
    assert expected in words(response)
    assert 'name="decision"' not in response.content.decode()
    response = page(
        client, a, app_url(application, "decision/"), {"decision": "laureate", "amount": "0", "confirm": "on"}
    )
    assert response.status_code == 200 and expected in words(response)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW and application.decided_at is None

    publish = f"/equipe/programmes/appels/{call.pk}/publier/"
    not_yet = expected.replace("décider d'une candidature", "publier les résultats")
    with pytest.raises(ValidationError) as error:
        services.results_publish(call=call, actor=a)
    assert error.value.message_dict == {"__all__": [not_yet]}
    response = page(client, a, publish)
    assert not_yet in words(response)
    assert re.search(
        r'<button type="submit" class="fr-btn" disabled aria-describedby="publication-attente">',
        response.content.decode(),
    )
    response = page(client, a, publish, {})
    assert response.status_code == 200 and not_yet in words(response)
    call.refresh_from_db()
    assert not call.results_published

    # Closed: both go through.
    close(call)
    assert (
        page(
            client, a, app_url(application, "decision/"), {"decision": "laureate", "amount": "0", "confirm": "on"}
        ).status_code
        == 302
    )
    assert page(client, a, publish, {}).status_code == 302
    call.refresh_from_db()
    assert call.results_published


def test_deciding_without_any_review_asks_to_confirm_it(client, call, application, reviewers):
    a, b, _ = reviewers
    close(call)
    # No review submitted (a draft and a withdrawn one count for nothing): the service wants the confirmation.
    review(application, a, 5, 5, 5, 5, submit=False)
    with pytest.raises(ValidationError) as error:
        services.application_decide(application=application, actor=b, decision="laureate", amount=0)
    assert error.value.message_dict == {"confirm_without_review": [services.WITHOUT_REVIEW]}
    response = page(client, b, app_url(application))
    assert "Je confirme décider sans évaluation" in words(response)
    response = page(
        client, b, app_url(application, "decision/"), {"decision": "laureate", "amount": "0", "confirm": "on"}
    )
    assert response.status_code == 200
    assert services.WITHOUT_REVIEW in field_errors(response, "confirm_without_review")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    response = page(
        client,
        b,
        app_url(application, "decision/"),
        {"decision": "laureate", "amount": "0", "confirm": "on", **UNREVIEWED},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.LAUREATE
    entry = JournalEntry.objects.get(action="programmes.application_decided")
    assert entry.data["without_review"] is True


def test_a_reviewed_application_is_decided_without_the_second_confirmation(client, call, application, reviewers):
    a, b, _ = reviewers
    review(application, a, 4, 4, 4, 4)
    close(call)
    response = page(client, b, app_url(application))
    assert "Je confirme décider sans évaluation" not in words(response)
    response = page(
        client, b, app_url(application, "decision/"), {"decision": "laureate", "amount": "0", "confirm": "on"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.LAUREATE


@pytest.mark.django_db(transaction=True)
def test_two_decisions_racing_for_the_last_euros_only_one_wins():
    """Two staff members decide at the same moment, each in their own thread and database connection, for more
    than what is left. On PostgreSQL (`scripts/test.sh postgres`) the second waits for the call's row lock, then
    sums what the first granted and gets the envelope's message. SQLite's shared in-memory test database refuses
    the second writer at once ("database table is locked") instead of waiting: it tries again once the first is
    done, as a person would, and must see the first's grant too."""
    call = close(fast_call(envelope=500_000, cap=None, share=None))
    staff = [UserFactory(username=f"decideur.{n}", staff=True) for n in range(2)]
    applications = [
        Application.objects.create(
            call=call, applicant_name=f"Candidat {n}", status=ApplicationStatus.UNDER_REVIEW, stated_budget=10**6
        )
        for n in range(2)
    ]
    Application.objects.create(
        call=call, applicant_name="Déjà lauréat", status=ApplicationStatus.LAUREATE, amount_granted=300_000
    )
    barrier = threading.Barrier(2, timeout=10)
    done = [threading.Event(), threading.Event()]
    outcomes: list = [None, None]

    def decide_in_thread(n: int):
        try:
            barrier.wait()
            for attempt in range(2):
                try:
                    decide(applications[n], staff[n], 150_000)
                    outcomes[n] = "granted"
                    return
                except OperationalError:
                    if connection.vendor != "sqlite" or attempt:
                        raise
                    done[1 - n].wait(timeout=10)
        except ValidationError as error:
            outcomes[n] = error.message_dict
        finally:
            done[n].set()
            connection.close()

    threads = [threading.Thread(target=decide_in_thread, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    overflow = "L'enveloppe de l'appel (500 000 €) serait dépassée de 100 000 € : il reste 50 000 € à attribuer."
    assert sorted(outcomes, key=str) == sorted(["granted", {"amount": [eur(overflow)]}], key=str)
    assert queries_staff.granted_in_call(call) == 450_000
    assert Application.objects.filter(call=call, status=ApplicationStatus.LAUREATE).count() == 2


# --- Publication ------------------------------------------------------------------------------------------------


def test_publishing_writes_public_rows_and_tells_each_applicant_privately(client, team, call, application, reviewers):
    a, _, _ = reviewers
    rejected = another_product(call, 2, a)
    close(call)
    decide(application, a, 200_000)
    decide(rejected, a, None, decision=ApplicationStatus.NOT_SELECTED, reasons="L'impact n'est pas mesuré.")
    Notification.objects.all().delete()

    # The confirmation page says what will be published and sent, to whom.
    response = page(client, a, f"/equipe/programmes/appels/{call.pk}/publier/")
    text = words(response)
    assert response.status_code == 200
    assert "Justice pour tous" in text and eur("200 000 €") in text
    assert "1 candidature non retenue" in text
    assert "2 lignes publiques" in text
    assert "camille.candidate@beta.gouv.fr" in text
    assert "L'impact n'est pas mesuré." not in text
    assert not JournalEntry.objects.filter(action__startswith="programmes.", visibility=Visibility.PUBLIC).exists()

    response = page(client, a, f"/equipe/programmes/appels/{call.pk}/publier/", {})
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.results_published
    public = {
        e.action: e
        for e in JournalEntry.objects.filter(action__startswith="programmes.", visibility=Visibility.PUBLIC)
    }
    assert set(public) == {"programmes.laureate_published", "programmes.results_published"}
    assert (
        public["programmes.laureate_published"].message == f"FAST 18 : Justice pour tous lauréat, {eur('200 000 €')}"
    )
    assert public["programmes.results_published"].message == (
        f"Résultats de « FAST 18 » : 1 lauréat, {eur('200 000 €')} au total"
    )
    assert not any("impact n'est pas mesuré" in e.message for e in JournalEntry.objects.all())

    mails = {n.recipient: n for n in Notification.objects.all()}
    assert set(mails) == {"camille.candidate@beta.gouv.fr", "membre.2@beta.gouv.fr"}
    laureate, other = mails["camille.candidate@beta.gouv.fr"], mails["membre.2@beta.gouv.fr"]
    assert "Félicitations" in laureate.body and eur("200 000 €") in laureate.body
    assert "L'impact n'est pas mesuré." not in laureate.body
    assert "n'a pas été retenue" in other.body and "L'impact n'est pas mesuré." in other.body
    assert "Justice pour tous" not in other.body


def test_a_published_calls_decisions_are_frozen(client, team, call, application, reviewers):
    a, _, _ = reviewers
    close(call)
    decide(application, a, 200_000)
    services.results_publish(call=call, actor=a)
    # A decided application is not decided again: the call's results are published.
    with pytest.raises(ValidationError) as error:
        decide(application, a, 100_000)
    assert error.value.message_dict == {
        "decision": ["Les résultats de l'appel sont publiés : la décision ne change plus."]
    }
    # A late application, the call reopened (its closing moved later): instructed, but its decision is refused
    # after publication.
    Call.objects.filter(pk=call.pk).update(closes_at=timezone.now() + datetime.timedelta(days=1))
    call.refresh_from_db()
    late = another_product(call, 2, a)
    with pytest.raises(ValidationError) as error:
        decide(late, a, 0)
    assert error.value.message_dict == {
        "decision": ["Les résultats de l'appel sont publiés : la décision ne change plus."]
    }
    response = page(client, a, app_url(application))
    assert "Les résultats de l'appel sont publiés : la décision ne change plus." in words(response)
    assert 'name="decision"' not in response.content.decode()
    assert 'name="decision"' not in page(client, a, app_url(late)).content.decode()
    response = page(
        client, a, app_url(late, "decision/"), {"decision": "laureate", "amount": "0", "confirm": "on", **UNREVIEWED}
    )
    assert "Les résultats de l'appel sont publiés" in words(response)
    late.refresh_from_db()
    assert late.status == ApplicationStatus.UNDER_REVIEW
    # Publishing twice is refused.
    response = page(client, a, f"/equipe/programmes/appels/{call.pk}/publier/", {})
    assert "Les résultats sont publiés depuis le" in words(response)
    with pytest.raises(ValidationError):
        services.results_publish(call=call, actor=a)


def test_publication_waits_for_every_decision(client, call, application, reviewers):
    a, _, _ = reviewers
    close(call)
    response = page(client, a, f"/equipe/programmes/appels/{call.pk}/publier/", {})
    assert response.status_code == 200
    assert "1 candidature attend encore une décision." in words(response)
    call.refresh_from_db()
    assert not call.results_published


# --- The rules of a call freeze when it opens ------------------------------------------------------------------


def test_a_change_to_the_rules_after_opening_is_refused_field_by_field(team, call):
    call = Call.objects.get(pk=call.pk)
    call.envelope, call.cap, call.title = 2_000_000, 100_000, "FAST 18 (nouveau titre)"
    with pytest.raises(ValidationError) as error:
        services.call_save(actor=team.staff, call=call)
    assert error.value.message_dict == {
        "envelope": ["L'appel est ouvert : ses règles ne changent plus."],
        "cap": ["L'appel est ouvert : ses règles ne changent plus."],
    }
    # What is not a rule still changes.
    call = Call.objects.get(pk=call.pk)
    call.title = "FAST 18 (nouveau titre)"
    services.call_save(actor=team.staff, call=call)
    assert Call.objects.get(pk=call.pk).title == "FAST 18 (nouveau titre)"
    with pytest.raises(ValidationError) as error:
        services.call_rules_set(actor=team.staff, call=call, questions=[], eligibility=[], criteria=[])
    assert call.questions.count() == 3 and call.selection_criteria.count() == 4


def test_the_same_call_changes_freely_before_it_opens(team):
    call = fast_call(opens_at=timezone.now() + datetime.timedelta(days=2))
    call.envelope = 2_000_000
    services.call_save(actor=team.staff, call=call)
    services.call_rules_set(
        actor=team.staff,
        call=call,
        questions=[],
        eligibility=[],
        criteria=[{"label": "Impact", "weight": 2, "description": ""}],
    )
    call.refresh_from_db()
    assert call.envelope == 2_000_000
    assert [c.label for c in call.selection_criteria.all()] == ["Impact"]
