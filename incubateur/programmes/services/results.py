"""Write use cases of the decisions (within the cap, the co-financing share and the envelope) and of the
publication of a call's results."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from incubateur.core import journal, notifications
from incubateur.core.errors import NotAllowed
from incubateur.core.models import Visibility
from incubateur.core.text import datetime_fr, plural, quantity
from incubateur.programmes import perms, rules
from incubateur.programmes.models import DECIDABLE, GRANTED, Application, ApplicationStatus, Call, Review
from incubateur.programmes.services._links import link


def not_closed_message(call: Call, action: str) -> str:
    """Why `action` (« décider d'une candidature », « publier les résultats ») waits for the call to close."""
    if call.closes_at is None:
        return f"Impossible de {action} : l'appel « {call.title} » n'a pas de date de clôture. Fixez-la d'abord."
    return (
        f"Impossible de {action} avant la clôture de l'appel « {call.title} », le {datetime_fr(call.closes_at)} : "
        "des candidatures peuvent encore être déposées."
    )


WITHOUT_REVIEW = (
    "Aucune évaluation n'est remise pour cette candidature : cochez « Je confirme décider sans évaluation » pour "
    "décider quand même."
)


@transaction.atomic
def application_decide(
    *,
    application: Application,
    actor,
    decision: str,
    amount: int | None = None,
    reasons: str = "",
    confirm_without_review: bool = False,
) -> Application:
    """Laureate (with an amount, possibly 0: accompaniment only) or not selected (with the reasons the applicant
    will read), once the call is closed (never while others may still apply). Without any submitted review, only
    with `confirm_without_review`. The amount respects the cap, the co-financing share of the stated budget, and
    the envelope: the call's row is locked while granted amounts are summed, so two decisions racing for the last
    euros cannot both win."""
    if not perms.can_decide(actor, application):
        raise NotAllowed("Vous ne pouvez pas décider de cette candidature.")
    if decision not in (ApplicationStatus.LAUREATE, ApplicationStatus.NOT_SELECTED):
        raise ValidationError({"decision": ["Décision inconnue : « lauréate » ou « non retenue »."]})
    call = Call.objects.select_for_update().get(pk=application.call_id)
    # Lock the call's row before anything else: the sum below sees every decision committed before us.
    Call.objects.filter(pk=call.pk).update(created_at=F("created_at"))
    application = Application.objects.select_for_update().get(pk=application.pk)
    if call.results_published:
        raise ValidationError({"decision": ["Les résultats de l'appel sont publiés : la décision ne change plus."]})
    if not call.is_closed():
        raise ValidationError({"__all__": [not_closed_message(call, "décider d'une candidature")]})
    if application.status not in DECIDABLE:
        raise ValidationError({"decision": ["Cette candidature n'est pas en instruction ni en comité."]})
    reviewed = Review.objects.filter(application=application, submitted_at__isnull=False, withdrawn=False).exists()
    if not reviewed and not confirm_without_review:
        raise ValidationError({"confirm_without_review": [WITHOUT_REVIEW]})
    if decision == ApplicationStatus.LAUREATE:
        amount = int(amount or 0)
        if amount < 0:
            raise ValidationError({"amount": ["Le montant ne peut pas être négatif."]})
        granted = (
            Application.objects.filter(call=call, status__in=GRANTED)
            .exclude(pk=application.pk)
            .aggregate(total=Sum("amount_granted"))["total"]
            or 0
        )
        problems = rules.amount_problems(
            amount=amount,
            cap=call.cap,
            share=call.max_cofinancing_share,
            stated_budget=application.stated_budget,
            envelope=call.envelope,
            granted_so_far=granted,
        )
        if problems:
            raise ValidationError(problems)
    else:
        amount = None
        if not reasons.strip():
            raise ValidationError({"reasons": ["Dites au candidat pourquoi sa candidature n'est pas retenue."]})
    application.status = decision
    application.amount_granted = amount
    application.decision_reasons = reasons.strip()
    application.decided_by, application.decided_at = actor, timezone.now()
    application.save(
        update_fields=["status", "amount_granted", "decision_reasons", "decided_by", "decided_at", "updated_at"]
    )
    journal.record(
        actor=actor,
        action="programmes.application_decided",
        message=(
            f"Candidature n°{application.pk} ({application.display_name}) : {application.get_status_display()}"
            + (f", {rules.euros(amount)}" if amount is not None else "")
        ),
        visibility=Visibility.INTERNAL,
        obj=application,
        data={"decision": decision, "amount": amount, "without_review": not reviewed},
    )
    return application


@transaction.atomic
def results_publish(*, call: Call, actor) -> Call:
    """Publish a call's results, once it is closed: public journal rows (each laureate with its amount, and the
    total), the public results page; each applicant is told privately (the reasons for those not selected)."""
    if not perms.can_manage_calls(actor):
        raise NotAllowed("Seule l'équipe de l'Incubateur publie les résultats.")
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.results_published:
        raise ValidationError({"__all__": ["Les résultats de cet appel sont déjà publiés."]})
    if not call.is_closed():
        raise ValidationError({"__all__": [not_closed_message(call, "publier les résultats")]})
    pending = Application.objects.filter(call=call, status__in=DECIDABLE).count()
    if pending:
        raise ValidationError(
            {
                "__all__": [
                    f"{quantity(pending, 'candidature')} {plural(pending, 'attend', 'attendent')} encore une décision."
                ]
            }
        )
    laureates = list(Application.objects.filter(call=call, status__in=GRANTED).select_related("product", "applicant"))
    others = list(
        Application.objects.filter(call=call, status=ApplicationStatus.NOT_SELECTED).select_related("applicant")
    )
    call.results_published_at = timezone.now()
    call.save(update_fields=["results_published_at"])
    total = sum(a.amount_granted or 0 for a in laureates)
    for application in laureates:
        amount = rules.euros(application.amount_granted or 0)
        journal.record(
            actor=actor,
            action="programmes.laureate_published",
            message=f"{call.title} : {application.display_name} lauréat, {amount}",
            visibility=Visibility.PUBLIC,
            obj=application,
            data={"call": call.pk, "amount": application.amount_granted},
        )
    journal.record(
        actor=actor,
        action="programmes.results_published",
        message=(
            f"Résultats de « {call.title} » : {quantity(len(laureates), 'lauréat')}, {rules.euros(total)} au total"
        ),
        visibility=Visibility.PUBLIC,
        obj=call,
        data={"laureates": len(laureates), "total": total},
    )
    results = link("programmes:results", call.pk)
    for application in laureates:
        if application.applicant is not None:
            notifications.notify(
                kind="programmes.laureate",
                subject=f"« {call.title} » : votre candidature est retenue",
                body=(
                    f"Bonjour,\n\nFélicitations : {application.display_name} est lauréat de « {call.title} »"
                    f" ({rules.euros(application.amount_granted or 0)}).\n\nLes résultats : {results}\n"
                ),
                emails=[application.applicant.email],
            )
    for application in others:
        if application.applicant is not None:
            notifications.notify(
                kind="programmes.not_selected",
                subject=f"« {call.title} » : votre candidature",
                body=(
                    f"Bonjour,\n\nVotre candidature ({application.display_name}) n'a pas été retenue. "
                    f"Les raisons :\n\n{application.decision_reasons}\n\n"
                    f"{link('programmes:application', application.pk)}\n"
                ),
                emails=[application.applicant.email],
            )
    return call
