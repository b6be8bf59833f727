"""Write use cases of programmes, applications, reviews, decisions and committees. Each runs in one
transaction, writes its journal row and queues its notifications with it."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone

from incubateur.core import journal, notifications
from incubateur.core.models import Visibility
from incubateur.programmes import perms, rules
from incubateur.programmes.models import (
    DECIDABLE,
    GRANTED,
    ApplicantType,
    Application,
    ApplicationStatus,
    Call,
    Committee,
    CommitteeDecision,
    EligibilityCriterion,
    Question,
    Review,
    SelectionCriterion,
)

# The fields of a call that freeze when it opens (its rules); title and description stay editable.
FROZEN_FIELDS = ("opens_at", "applicant_type", "envelope", "cap", "max_cofinancing_share", "programme")


class NotAllowed(Exception):
    """The action is not open to this person (views answer 404)."""


class StaleApplication(Exception):
    """The draft changed since it was read (another member of the team saved it)."""

    def __init__(self):
        super().__init__(
            "Cette candidature a été modifiée entre-temps (par vous dans un autre onglet, ou par un membre de "
            "votre équipe). Rechargez la page pour reprendre la dernière version."
        )


def _name(user) -> str:
    if user is None:
        return "personne"
    return user.get_full_name() or user.username or user.email


def _link(name: str, *args) -> str:
    return settings.BASE_URL + reverse(name, args=args)


# Calls


@transaction.atomic
def call_save(*, actor, call: Call) -> Call:
    """Create or change a call (validated by the caller's form). Once the call is open, its rules are frozen:
    a change to FROZEN_FIELDS is refused, field by field."""
    if not perms.can_manage_calls(actor):
        raise NotAllowed("Seule l'équipe de l'Incubateur gère les appels.")
    created = call.pk is None
    if not created:
        before = Call.objects.select_for_update().get(pk=call.pk)
        if before.is_frozen():
            errors = {
                name: ["L'appel est ouvert : ses règles ne changent plus."]
                for name in FROZEN_FIELDS
                if getattr(before, name if name != "programme" else "programme_id")
                != getattr(call, name if name != "programme" else "programme_id")
            }
            if errors:
                raise ValidationError(errors)
        if before.is_closed() is False and call.closes_at and before.opens_at and call.closes_at <= before.opens_at:
            raise ValidationError({"closes_at": ["La clôture doit suivre l'ouverture."]})
    else:
        call.created_by = actor
    call.full_clean()
    call.save()
    journal.record(
        actor=actor,
        action="programmes.call_created" if created else "programmes.call_updated",
        message=f"Appel « {call.title} » {'créé' if created else 'modifié'} ({call.programme})",
        visibility=Visibility.INTERNAL,
        obj=call,
    )
    return call


@transaction.atomic
def call_rules_set(*, actor, call: Call, questions: list[dict], eligibility: list[dict], criteria: list[dict]) -> None:
    """Replace the call's questions, eligibility criteria and selection criteria (before it opens only).

    questions: [{"key", "label", "type", "required", "choices", "help_text"}];
    eligibility: [{"label", "verification"}]; criteria: [{"label", "weight", "description"}].
    """
    if not perms.can_manage_calls(actor):
        raise NotAllowed("Seule l'équipe de l'Incubateur gère les appels.")
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.is_frozen():
        raise ValidationError({"__all__": ["L'appel est ouvert : ses questions et ses critères ne changent plus."]})
    errors: dict[str, list[str]] = {}
    keys = [q.get("key") for q in questions]
    if len(set(keys)) != len(keys):
        errors["questions"] = ["Deux questions ont le même identifiant."]
    for q in questions:
        if q.get("type") == "choix" and not q.get("choices"):
            errors.setdefault("questions", []).append(f"La question « {q.get('label')} » n'a pas de choix.")
    if any(int(c.get("weight") or 0) < 1 for c in criteria):
        errors["criteria"] = ["Chaque critère de sélection a un poids d'au moins 1."]
    if errors:
        raise ValidationError(errors)
    call.questions.all().delete()
    call.eligibility_criteria.all().delete()
    call.selection_criteria.all().delete()
    for order, q in enumerate(questions):
        question = Question(call=call, order=order, **q)
        question.full_clean(exclude=["call"])
        question.save()
    for order, e in enumerate(eligibility):
        EligibilityCriterion.objects.create(call=call, order=order, **e)
    for order, c in enumerate(criteria):
        SelectionCriterion.objects.create(call=call, order=order, **c)
    journal.record(
        actor=actor,
        action="programmes.call_rules_set",
        message=(
            f"Règles de l'appel « {call.title} » : {len(questions)} question(s), {len(eligibility)} critère(s) "
            f"d'éligibilité, {len(criteria)} critère(s) de sélection"
        ),
        visibility=Visibility.INTERNAL,
        obj=call,
    )


# Applications


@transaction.atomic
def application_start(*, call: Call, user, product=None, applicant_name: str = "") -> Application:
    """Open a draft. A product team applies once per call, through any of its active members."""
    if not perms.can_apply(user, call):
        raise ValidationError({"__all__": [closed_message(call)]})
    if call.applicant_type == ApplicantType.PRODUCT:
        from incubateur.registry.models import Product

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


def closed_message(call: Call) -> str:
    if call.closes_at and call.is_closed():
        local = timezone.localtime(call.closes_at)
        return (
            f"L'appel « {call.title} » est clos depuis le {local:%d/%m/%Y à %H:%M} : il ne reçoit plus de candidature."
        )
    if call.opens_at and timezone.now() < call.opens_at:
        local = timezone.localtime(call.opens_at)
        return f"L'appel « {call.title} » ouvrira le {local:%d/%m/%Y à %H:%M}."
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
        from incubateur.registry.models import Product

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
    link = _link("programmes:application", application.pk)
    notifications.notify(
        kind="programmes.application_submitted",
        subject=f"Candidature déposée : {call.title}",
        body=(
            f"Bonjour,\n\nVotre candidature à « {call.title} » ({application.display_name}) est déposée.\n"
            f"Vous pouvez suivre où elle en est ici : {link}\n"
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
                f"candidature à « {call.title} ».\n\n{_link('programmes:staff_application', application.pk)}\n"
            ),
            emails=[manager.email],
        )
    return application


def _portfolio_manager(product):
    if product is None:
        return None
    from incubateur.organisation.selectors import contact_for
    from incubateur.registry.selectors import perimeters

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
                f"{application.decision_reasons}\n\n{_link('programmes:application', application.pk)}\n"
            ),
            emails=[application.applicant.email],
        )
    return application


@transaction.atomic
def eligibility_mark(*, application: Application, actor, criterion: EligibilityCriterion, value: bool | None) -> None:
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


# Reviews


@transaction.atomic
def review_save(
    *, application: Application, reviewer, scores: dict, comment: str = "", submit: bool = False
) -> Review:
    """Score each selection criterion from 1 to 5. Submitting needs every criterion scored; a submitted review
    no longer changes."""
    if not perms.can_review(reviewer, application):
        raise NotAllowed("Vous ne pouvez pas évaluer cette candidature.")
    criteria = list(application.call.selection_criteria.all())
    known = {str(c.pk): c for c in criteria}
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for key, value in scores.items():
        key = str(key)
        if key not in known:
            errors.setdefault("scores", []).append(f"Critère inconnu : {key}.")
            continue
        if value in (None, ""):
            continue
        try:
            score = int(value)
        except (TypeError, ValueError):
            score = 0
        if not 1 <= score <= 5:
            errors[f"score_{key}"] = [f"Notez « {known[key].label} » de 1 à 5."]
            continue
        cleaned[key] = score
    if submit:
        for key, criterion in known.items():
            if key not in cleaned and f"score_{key}" not in errors:
                errors[f"score_{key}"] = [f"Notez « {criterion.label} » avant de remettre votre évaluation."]
    if errors:
        raise ValidationError(errors)
    review, _ = Review.objects.select_for_update().get_or_create(application=application, reviewer=reviewer)
    if review.submitted_at is not None:
        raise ValidationError({"__all__": ["Votre évaluation est déjà remise : elle ne change plus."]})
    review.scores, review.comment = cleaned, comment.strip()
    if submit:
        review.submitted_at = timezone.now()
    review.save()
    if submit:
        journal.record(
            actor=reviewer,
            action="programmes.review_submitted",
            message=f"Évaluation remise pour la candidature n°{application.pk} ({application.display_name})",
            visibility=Visibility.INTERNAL,
            obj=application,
        )
    return review


@transaction.atomic
def review_withdraw(*, application: Application, reviewer) -> Review:
    """A reviewer steps aside (a conflict of interest): they no longer review it nor see its scores."""
    if not perms.can_manage_calls(reviewer):
        raise NotAllowed("Seule l'équipe de l'Incubateur évalue les candidatures.")
    review, _ = Review.objects.select_for_update().get_or_create(application=application, reviewer=reviewer)
    review.withdrawn = True
    review.save(update_fields=["withdrawn", "updated_at"])
    journal.record(
        actor=reviewer,
        action="programmes.review_withdrawn",
        message=f"{_name(reviewer)} se retire de l'évaluation de la candidature n°{application.pk}",
        visibility=Visibility.INTERNAL,
        obj=application,
    )
    return review


# Decisions and results


@transaction.atomic
def application_decide(
    *, application: Application, actor, decision: str, amount: int | None = None, reasons: str = ""
) -> Application:
    """Laureate (with an amount, possibly 0: accompaniment only) or not selected (with the reasons the applicant
    will read). The amount respects the cap, the co-financing share of the stated budget, and the envelope:
    the call's row is locked while granted amounts are summed, so two decisions racing for the last euros
    cannot both win."""
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
    if application.status not in DECIDABLE:
        raise ValidationError({"decision": ["Cette candidature n'est pas en instruction ni en comité."]})
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
        data={"decision": decision, "amount": amount},
    )
    return application


@transaction.atomic
def results_publish(*, call: Call, actor) -> Call:
    """Publish a call's results: public journal rows (each laureate with its amount, and the total), the public
    results page; each applicant is told privately (the reasons for those not selected)."""
    if not perms.can_manage_calls(actor):
        raise NotAllowed("Seule l'équipe de l'Incubateur publie les résultats.")
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.results_published:
        raise ValidationError({"__all__": ["Les résultats de cet appel sont déjà publiés."]})
    pending = Application.objects.filter(call=call, status__in=DECIDABLE).count()
    if pending:
        raise ValidationError({"__all__": [f"{pending} candidature(s) attendent encore une décision."]})
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
        message=f"Résultats de « {call.title} » : {len(laureates)} lauréat(s), {rules.euros(total)} au total",
        visibility=Visibility.PUBLIC,
        obj=call,
        data={"laureates": len(laureates), "total": total},
    )
    results = _link("programmes:results", call.pk)
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
                    f"{_link('programmes:application', application.pk)}\n"
                ),
                emails=[application.applicant.email],
            )
    return call


# Investment committees


def next_committee_due(date: datetime.date, decision: str) -> datetime.date | None:
    months = {
        CommitteeDecision.CONTINUE: settings.PROGRAMMES_COMMITTEE_INTERVAL_MONTHS,
        CommitteeDecision.PROVISIONAL: settings.PROGRAMMES_COMMITTEE_PROVISIONAL_MONTHS,
    }.get(decision)
    return add_months(date, months) if months else None


def add_months(date: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    import calendar

    index = date.month - 1 + months
    year, month = date.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(date.day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def committee_record(
    *,
    product,
    actor,
    date: datetime.date,
    decision: str,
    attendees: str = "",
    deck_url: str = "",
    budget_requested: int | None = None,
    budget_granted: int | None = None,
    comment: str = "",
    phase: str = "",
) -> Committee:
    """Record a comité d'investissement: a committee event on the product's public history and, when the
    committee decides one, the product's new phase (the current one ends that day)."""
    if not perms.can_manage_calls(actor):
        raise NotAllowed("Seule l'équipe de l'Incubateur enregistre les comités.")
    from incubateur.registry import services as registry
    from incubateur.registry.enums import EventName
    from incubateur.registry.models import Phase

    if decision not in CommitteeDecision.values:
        raise ValidationError({"decision": ["Choisissez la décision du comité."]})
    if date > timezone.localdate():
        raise ValidationError({"date": ["Un comité s'enregistre une fois tenu : la date est dans le futur."]})
    committee = Committee(
        product=product,
        date=date,
        decision=decision,
        attendees=attendees.strip(),
        deck_url=deck_url.strip(),
        budget_requested=budget_requested,
        budget_granted=budget_granted,
        comment=comment.strip(),
        phase=phase,
        next_due=next_committee_due(date, decision),
        recorded_by=actor,
    )
    committee.full_clean()
    if phase:
        if Phase.objects.filter(product=product, name=phase).exists():
            raise ValidationError({"phase": ["Le produit a déjà connu cette phase."]})
        later = Phase.objects.filter(product=product, start__gt=date).order_by("start").first()
        if later is not None:
            started = f"{later.start:%d/%m/%Y}"
            message = f"La phase « {later.get_name_display()} » a commencé après ce comité, le {started}."
            raise ValidationError({"phase": [message]})
        for current in Phase.objects.filter(product=product, end__isnull=True):
            registry.product_phase_end(phase=current, by=actor, end=date)
        registry.product_phase_add(product=product, by=actor, name=phase, start=date, comment="Décidé en comité")
    committee.save()
    registry.product_event_add(
        product=product,
        by=actor,
        name=EventName.COMMITTEE,
        date=date,
        comment=committee.get_decision_display(),
    )
    journal.record(
        actor=actor,
        action="programmes.committee_recorded",
        message=f"Comité d'investissement de {product.name} le {date:%d/%m/%Y} : {committee.get_decision_display()}",
        visibility=Visibility.INTERNAL,
        obj=committee,
        data={"product": product.ghid, "decision": decision, "budget_granted": budget_granted},
    )
    return committee
