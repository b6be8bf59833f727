"""Write use cases of the applications: a draft opened, saved as it is typed and submitted by the applicant's side;
its instruction by the Incubator (status, eligibility)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from incubateur.core import journal, notifications
from incubateur.core.errors import NotAllowed, Stale
from incubateur.core.models import Visibility
from incubateur.core.text import datetime_fr
from incubateur.organisation.selectors import contact_for
from incubateur.programmes import perms, rules
from incubateur.programmes.models import ApplicantType, Application, ApplicationStatus, Call, EligibilityCriterion
from incubateur.programmes.services._links import link
from incubateur.registry.models import Product
from incubateur.registry.selectors import perimeters


class StaleApplication(Stale):
    """The draft changed since it was read (another member of the team saved it)."""

    def __init__(self):
        super().__init__(
            "Cette candidature a été modifiée entre-temps (par vous dans un autre onglet, ou par un membre de "
            "votre équipe). Rechargez la page pour reprendre la dernière version."
        )


@transaction.atomic
def application_start(*, call: Call, user, product=None, applicant_name: str = "") -> Application:
    """Open a draft. A product team applies once per call, through any of its active members."""
    if not perms.can_apply(user, call):
        raise ValidationError({"__all__": [closed_message(call)]})
    if call.applicant_type == ApplicantType.PRODUCT:
        if product is None:
            raise ValidationError({"product": ["Choisissez le produit pour lequel vous candidatez."]})
        if not Product.objects.with_active_member(user).filter(pk=product.pk).exists():
            raise ValidationError({"product": ["Vous ne faites pas partie de l'équipe active de ce produit."]})
        existing = Application.objects.filter(call=call, product=product).first()
        if existing is not None:
            raise ValidationError(
                {"product": [f"L'équipe de {product.name} a déjà une candidature à cet appel (n°{existing.pk})."]}
            )
    else:
        product = None
        if not applicant_name.strip():
            raise ValidationError({"applicant_name": ["Indiquez qui candidate."]})
    application = Application.objects.create(
        call=call, product=product, applicant=user, applicant_name=applicant_name.strip()
    )
    journal.record(
        actor=user,
        action="programmes.application_started",
        message=f"Candidature n°{application.pk} commencée : {application.display_name} à « {call.title} »",
        visibility=Visibility.INTERNAL,
        obj=application,
    )
    return application


@transaction.atomic
def application_create(
    *,
    call: Call,
    user,
    product=None,
    applicant_name: str = "",
    answers: dict,
    stated_budget: int | None = None,
    amount_requested: int | None = None,
) -> Application:
    """Open a draft with its first answers, in one transaction: both or neither (`application_start`, then
    `application_save_draft`)."""
    application = application_start(call=call, user=user, product=product, applicant_name=applicant_name)
    return application_save_draft(
        application=application,
        user=user,
        answers=answers,
        stated_budget=stated_budget,
        amount_requested=amount_requested,
    )


def closed_message(call: Call) -> str:
    if call.closes_at and call.is_closed():
        return (
            f"L'appel « {call.title} » est clos depuis le {datetime_fr(call.closes_at)} : "
            "il ne reçoit plus de candidature."
        )
    if call.opens_at and timezone.now() < call.opens_at:
        return f"L'appel « {call.title} » ouvrira le {datetime_fr(call.opens_at)}."
    return f"L'appel « {call.title} » n'est pas ouvert."


@transaction.atomic
def application_save_draft(
    *,
    application: Application,
    user,
    answers: dict,
    stated_budget: int | None = None,
    amount_requested: int | None = None,
    version: int | None = None,
) -> Application:
    """Save a draft as it is typed (incomplete answers are fine; a malformed one is kept as typed). With
    `version`, refused when someone saved it since (StaleApplication)."""
    if not perms.can_edit_application(user, application):
        if application.is_draft and not application.call.is_open():
            raise ValidationError({"__all__": [closed_message(application.call)]})
        raise NotAllowed("Cette candidature n'est plus modifiable.")
    questions = list(application.call.questions.all())
    cleaned, _ = rules.clean_answers(questions, answers, require=False)
    expected = application.version if version is None else version
    updated = Application.objects.filter(pk=application.pk, version=expected, status=ApplicationStatus.DRAFT).update(
        answers=cleaned,
        stated_budget=stated_budget,
        amount_requested=amount_requested,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if not updated:
        raise StaleApplication()
    application.answers, application.stated_budget, application.amount_requested = (
        cleaned,
        stated_budget,
        amount_requested,
    )
    application.version = expected + 1
    return application


@transaction.atomic
def application_submit(*, application: Application, user) -> Application:
    """Submit a draft: refused after closing with a clear message; every required question answered and well
    formed (errors per question key); the automatic eligibility checks recorded; the product's portfolio manager
    told."""
    application = (
        Application.objects.select_for_update(of=("self",)).select_related("call", "product").get(pk=application.pk)
    )
    call = application.call
    if not application.is_draft:
        raise ValidationError({"__all__": ["Cette candidature a déjà été déposée."]})
    if not call.is_open():
        raise ValidationError({"__all__": [closed_message(call)]})
    if not perms.can_edit_application(user, application):
        raise NotAllowed("Vous ne pouvez pas déposer cette candidature.")
    questions = list(call.questions.all())
    cleaned, errors = rules.clean_answers(questions, application.answers, require=True)
    if call.max_cofinancing_share is not None and application.stated_budget is None:
        errors["stated_budget"] = ["Indiquez le budget du projet : le co-financement en dépend."]
    if errors:
        raise ValidationError(errors)
    product = application.product
    if product is not None:
        product = Product.objects.prefetch_related("phases").get(pk=product.pk)
    eligibility = {
        str(criterion.pk): rules.check_eligibility(criterion.verification, product)
        for criterion in call.eligibility_criteria.all()
    }
    now = timezone.now()
    Application.objects.filter(pk=application.pk).update(
        answers=cleaned,
        eligibility=eligibility,
        status=ApplicationStatus.SUBMITTED,
        submitted_at=now,
        version=F("version") + 1,
    )
    application.refresh_from_db()
    journal.record(
        actor=user,
        action="programmes.application_submitted",
        message=f"Candidature n°{application.pk} déposée : {application.display_name} à « {call.title} »",
        visibility=Visibility.INTERNAL,
        obj=application,
    )
    application_url = link("programmes:application", application.pk)
    notifications.notify(
        kind="programmes.application_submitted",
        subject=f"Candidature déposée : {call.title}",
        body=(
            f"Bonjour,\n\nVotre candidature à « {call.title} » ({application.display_name}) est déposée.\n"
            f"Vous pouvez suivre où elle en est ici : {application_url}\n"
        ),
        emails=[user.email],
    )
    manager = _portfolio_manager(application.product)
    if manager is not None:
        notifications.notify(
            kind="programmes.application_submitted_manager",
            subject=f"{application.display_name} candidate à « {call.title} »",
            body=(
                f"Bonjour,\n\n{application.display_name}, un produit de votre portefeuille, a déposé une "
                f"candidature à « {call.title} ».\n\n{link('programmes:staff_application', application.pk)}\n"
            ),
            emails=[manager.email],
        )
    return application


def _portfolio_manager(product):
    if product is None:
        return None
    themes, ministries = perimeters([product])[product.pk]
    if not (themes or ministries):
        return None
    contact = contact_for(ministries=ministries, themes=themes)
    return contact.person if contact.portfolio is not None else None


@transaction.atomic
def application_status_set(*, application: Application, actor, status: str, reasons: str = "") -> Application:
    """Move an application along the instruction (irrecevable, en instruction, en comité, convention…)."""
    if not perms.can_manage_calls(actor):
        raise NotAllowed("Seule l'équipe de l'Incubateur instruit les candidatures.")
    application = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
    if status not in application.next_statuses():
        current = ApplicationStatus(application.status).label.lower()
        raise ValidationError({"status": [f"Une candidature « {current} » ne peut pas passer à ce statut."]})
    if status == ApplicationStatus.INADMISSIBLE and not reasons.strip():
        raise ValidationError({"reasons": ["Dites au candidat pourquoi sa candidature est irrecevable."]})
    previous = application.status
    application.status = status
    if status == ApplicationStatus.INADMISSIBLE:
        application.decision_reasons = reasons.strip()
    application.save(update_fields=["status", "decision_reasons", "updated_at"])
    journal.record(
        actor=actor,
        action="programmes.application_status",
        message=f"Candidature n°{application.pk} ({application.display_name}) : {application.get_status_display()}",
        visibility=Visibility.INTERNAL,
        obj=application,
        data={"from": previous, "to": status},
    )
    if status == ApplicationStatus.INADMISSIBLE and application.applicant is not None:
        notifications.notify(
            kind="programmes.application_inadmissible",
            subject=f"Votre candidature à « {application.call.title} »",
            body=(
                f"Bonjour,\n\nVotre candidature ({application.display_name}) n'est pas recevable :\n\n"
                f"{application.decision_reasons}\n\n{link('programmes:application', application.pk)}\n"
            ),
            emails=[application.applicant.email],
        )
    return application


@transaction.atomic
def eligibility_mark(
    *, application: Application, actor, criterion: EligibilityCriterion, value: bool | None
) -> Application:
    """Staff record the result of an eligibility criterion (a manual one, or correct an automatic one)."""
    if not perms.can_manage_calls(actor):
        raise NotAllowed("Seule l'équipe de l'Incubateur instruit les candidatures.")
    if criterion.call_id != application.call_id:
        raise ValidationError({"criterion": ["Ce critère n'est pas celui de cet appel."]})
    application = Application.objects.select_for_update().get(pk=application.pk)
    application.eligibility = {**application.eligibility, str(criterion.pk): value}
    application.save(update_fields=["eligibility", "updated_at"])
    verdict = {True: "rempli", False: "non rempli", None: "à vérifier"}[value]
    journal.record(
        actor=actor,
        action="programmes.eligibility_marked",
        message=f"Candidature n°{application.pk} : critère « {criterion.label} » {verdict}",
        visibility=Visibility.INTERNAL,
        obj=application,
    )
    return application
