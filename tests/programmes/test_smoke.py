from incubateur.programmes import services
from incubateur.programmes.models import ApplicationStatus
from tests.programmes.factories import close


def test_a_team_applies_and_is_decided_within_the_envelope(team, call):
    application = services.application_start(call=call, user=team.member, product=team.product)
    services.application_save_draft(
        application=application,
        user=team.teammate,
        answers={"probleme": "Trop de papier", "impact": "1000 usagers"},
        stated_budget=400_000,
    )
    services.application_submit(application=application, user=team.member)
    services.application_status_set(application=application, actor=team.staff, status=ApplicationStatus.UNDER_REVIEW)
    application.refresh_from_db()
    close(call)
    decided = services.application_decide(
        application=application,
        actor=team.staff,
        decision=ApplicationStatus.LAUREATE,
        amount=200_000,
        confirm_without_review=True,
    )
    assert decided.amount_granted == 200_000
