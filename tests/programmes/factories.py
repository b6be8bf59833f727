"""Builders of the programmes' tests: a FAST-like call, and applications deposited and instructed through the
services (as people do it), so each comes with its journal rows and notifications."""

import datetime

from django.utils import timezone

from incubateur.programmes import services
from incubateur.programmes.models import (
    Application,
    ApplicationStatus,
    Call,
    EligibilityCriterion,
    Programme,
    Question,
    SelectionCriterion,
)

ANSWERS = {"probleme": "Trop de papier", "impact": "1 000 usagers par mois"}


def fast_call(*, opens_at=None, closes_at=None, envelope=1_000_000, cap=300_000, share=50, **fields) -> Call:
    """A FAST-like call, open from yesterday to in 30 days unless told otherwise."""
    now = timezone.now()
    programme, _ = Programme.objects.get_or_create(slug="fast", defaults={"name": "FAST"})
    call = Call.objects.create(
        programme=programme,
        title=fields.pop("title", "FAST 18"),
        number=fields.pop("number", 18),
        opens_at=opens_at or now - datetime.timedelta(days=1),
        closes_at=closes_at or now + datetime.timedelta(days=30),
        envelope=envelope,
        cap=cap,
        max_cofinancing_share=share,
        **fields,
    )
    Question.objects.create(call=call, key="probleme", label="Le problème, chiffré", type="texte-long", order=0)
    Question.objects.create(call=call, key="impact", label="L'impact mesuré", type="texte-long", order=1)
    Question.objects.create(call=call, key="stats", label="Page de statistiques", type="url", required=False, order=2)
    EligibilityCriterion.objects.create(
        call=call, label="En construction ou accélération", verification="phase-active"
    )
    EligibilityCriterion.objects.create(call=call, label="Code source ouvert", verification="code-public", order=1)
    EligibilityCriterion.objects.create(
        call=call, label="Stratégie de passage à l'échelle", verification="manuel", order=2
    )
    for order, (label, weight) in enumerate([("Impact", 3), ("Maturité", 2), ("Ambition", 2), ("Soutien", 1)]):
        SelectionCriterion.objects.create(call=call, label=label, weight=weight, order=order)
    return call


def submitted(call, product, member, *, budget=400_000, requested=200_000) -> Application:
    """A product team's application, deposited through the services."""
    application = services.application_start(call=call, user=member, product=product)
    services.application_save_draft(
        application=application, user=member, answers=ANSWERS, stated_budget=budget, amount_requested=requested
    )
    return services.application_submit(application=application, user=member)


def under_review(application, staff) -> Application:
    """`application`, put under review by `staff`."""
    services.application_status_set(application=application, actor=staff, status=ApplicationStatus.UNDER_REVIEW)
    application.refresh_from_db()
    return application


def close(call) -> Call:
    """`call`, closed a minute ago, as time passing leaves it: decisions and results wait for the closing."""
    now = timezone.now()
    closes_at = now - datetime.timedelta(minutes=1)
    opens_at = min(call.opens_at or closes_at, closes_at - datetime.timedelta(days=30))
    Call.objects.filter(pk=call.pk).update(opens_at=opens_at, closes_at=closes_at)
    call.refresh_from_db()
    return call
