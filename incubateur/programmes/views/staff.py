"""The staff pages of the programmes: calls (list, creation, edition, rules), a call's applications, the
committee's ranking, the publication of results, and the instruction of one application (eligibility, status,
blind reviews, decision). Incubator staff only: anyone else gets a 404.

Views stay thin: scoped read (404 outside it) → `perms` → `services` → redirect with a message; a service's
`ValidationError` is shown next to the fields it names (`ui.forms.run_service`), its `NotAllowed` is a 404 (the
core's middleware).
"""

import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from incubateur.core.decorators import staff_required
from incubateur.programmes import perms, services
from incubateur.programmes.forms.staff import (
    FAST_CRITERIA,
    FAST_ELIGIBILITY,
    ApplicationFilterForm,
    CallForm,
    CriterionFormSet,
    DecisionForm,
    EligibilityFormSet,
    EligibilityMarkForm,
    QuestionFormSet,
    ReviewForm,
    StatusForm,
    formset_rows,
    verdict_of,
)
from incubateur.programmes.models import (
    DECIDABLE,
    GRANTED,
    Application,
    ApplicationStatus,
    Call,
    Review,
)
from incubateur.programmes.rules import euros
from incubateur.programmes.selectors import staff as selectors
from incubateur.ui.forms import run_service


def _staff_only(request):
    if not perms.can_manage_calls(request.user):
        raise Http404


def _call_or_404(pk: int) -> Call:
    return get_object_or_404(Call.objects.select_related("programme"), pk=pk)


# --- Calls ------------------------------------------------------------------------------------------------------


@staff_required
@require_safe
def calls(request):
    _staff_only(request)
    return render(request, "programmes/staff_calls.html", {"groups": selectors.calls_by_programme()})


def _save_call(request, form: CallForm):
    """The service saves the form's call; its refusals land next to the fields. The saved call, or None."""
    return run_service(form, lambda: services.call_save(actor=request.user, call=form.instance))


@staff_required
@require_http_methods(["GET", "POST"])
def call_new(request):
    _staff_only(request)
    form = CallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        call = _save_call(request, form)
        if call is not None:
            messages.success(
                request, f"L'appel « {call.title} » est créé. Indiquez maintenant ses questions et ses critères."
            )
            return redirect("programmes:call_rules", pk=call.pk)
    return render(request, "programmes/staff_call_form.html", {"form": form, "call": None})


@staff_required
@require_http_methods(["GET", "POST"])
def call_edit(request, pk: int):
    _staff_only(request)
    call = _call_or_404(pk)
    # The form changes its own copy: the page keeps showing the call as saved when the service refuses.
    form = CallForm(request.POST or None, instance=copy.copy(call))
    if request.method == "POST" and form.is_valid():
        saved = _save_call(request, form)
        if saved is not None:
            messages.success(request, f"L'appel « {saved.title} » est enregistré.")
            return redirect("programmes:staff_call", pk=saved.pk)
    return render(request, "programmes/staff_call_form.html", {"form": form, "call": call})


PREFIXES = {"questions": "questions", "eligibility": "eligibilite", "criteria": "criteres"}


def _rules_initial(call: Call, template: str) -> dict[str, list[dict]]:
    questions = [
        {
            "key": q.key,
            "label": q.label,
            "type": q.type,
            "required": q.required,
            "choices": q.choices,
            "help_text": q.help_text,
        }
        for q in call.questions.all()
    ]
    eligibility = [{"label": e.label, "verification": e.verification} for e in call.eligibility_criteria.all()]
    criteria = [
        {"label": c.label, "weight": c.weight, "description": c.description} for c in call.selection_criteria.all()
    ]
    if template == "fast":
        eligibility, criteria = [dict(e) for e in FAST_ELIGIBILITY], [dict(c) for c in FAST_CRITERIA]
    return {"questions": questions, "eligibility": eligibility, "criteria": criteria}


def _rules_errors(error: ValidationError) -> dict[str, list[str]]:
    """The service's refusals by section of the page (« general » above the three)."""
    sections: dict[str, list[str]] = {}
    for key, messages_ in (error.message_dict if hasattr(error, "error_dict") else {"": error.messages}).items():
        section = key if key in PREFIXES else "general"
        sections.setdefault(section, []).extend(messages_)
    return sections


@staff_required
@require_http_methods(["GET", "POST"])
def call_rules(request, pk: int):
    _staff_only(request)
    call = _call_or_404(pk)
    frozen = call.is_frozen()
    context = {"call": call, "frozen": frozen, "service_errors": {}}
    if frozen:
        if request.method == "POST":
            messages.error(request, "L'appel est ouvert : ses questions et ses critères ne changent plus.")
            return redirect("programmes:call_rules", pk=call.pk)
        context.update(
            questions=list(call.questions.all()),
            eligibility=list(call.eligibility_criteria.all()),
            criteria=list(call.selection_criteria.all()),
        )
        return render(request, "programmes/staff_call_rules.html", context)
    template = request.GET.get("modele", "") if request.method == "GET" else ""
    if request.method == "POST":
        formsets = {
            "questions": QuestionFormSet(request.POST, prefix=PREFIXES["questions"]),
            "eligibility": EligibilityFormSet(request.POST, prefix=PREFIXES["eligibility"]),
            "criteria": CriterionFormSet(request.POST, prefix=PREFIXES["criteria"]),
        }
        if all(formset.is_valid() for formset in formsets.values()):
            rows = {name: formset_rows(formset) for name, formset in formsets.items()}
            try:
                services.call_rules_set(actor=request.user, call=call, **rows)
            except ValidationError as error:
                context["service_errors"] = _rules_errors(error)
            else:
                messages.success(request, f"Les questions et les critères de « {call.title} » sont enregistrés.")
                return redirect("programmes:staff_call", pk=call.pk)
    else:
        initial = _rules_initial(call, template)
        formsets = {
            name: formset_class(initial=initial[name], prefix=PREFIXES[name])
            for name, formset_class in (
                ("questions", QuestionFormSet),
                ("eligibility", EligibilityFormSet),
                ("criteria", CriterionFormSet),
            )
        }
    context.update(formsets=formsets, template=template)
    context["has_errors"] = bool(context["service_errors"]) or any(
        formset.is_bound and not formset.is_valid() for formset in formsets.values()
    )
    return render(request, "programmes/staff_call_rules.html", context)


@staff_required
@require_safe
def call(request, pk: int):
    _staff_only(request)
    call = _call_or_404(pk)
    summary = selectors.call_summary(call)
    form = ApplicationFilterForm(request.GET or None, counts=summary.counts)
    status = form.status()
    page_obj = selectors.applications_page(call, user=request.user, status=status, page_number=request.GET.get("page"))
    return render(
        request,
        "programmes/staff_call.html",
        {
            "call": call,
            "summary": summary,
            "form": form,
            "status": status,
            "status_label": selectors.status_label(status) if status else "",
            "page_obj": page_obj,
            "eligibility_criteria": list(call.eligibility_criteria.all()),
        },
    )


@staff_required
@require_safe
def committee_view(request, pk: int):
    _staff_only(request)
    call = _call_or_404(pk)
    ranking = selectors.committee_ranking(call, user=request.user)
    return render(request, "programmes/staff_committee.html", {"call": call, "ranking": ranking})


@staff_required
@require_http_methods(["GET", "POST"])
def results_publish(request, pk: int):
    _staff_only(request)
    call = _call_or_404(pk)
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.results_publish(call=call, actor=request.user)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(
                request,
                f"Les résultats de « {call.title} » sont publiés ; les candidats en sont informés par e-mail.",
            )
            return redirect("programmes:staff_call", pk=call.pk)
    summary = selectors.call_summary(call)
    not_closed = "" if call.is_closed() else services.not_closed_message(call, "publier les résultats")
    laureates = list(
        Application.objects.filter(call=call, status__in=GRANTED)
        .select_related("product", "applicant")
        .order_by("-amount_granted", "pk")
    )
    not_selected = list(
        Application.objects.filter(call=call, status=ApplicationStatus.NOT_SELECTED)
        .select_related("product", "applicant")
        .order_by("pk")
    )
    return render(
        request,
        "programmes/staff_results_publish.html",
        {
            "call": call,
            "summary": summary,
            "laureates": [(a, euros(a.amount_granted or 0)) for a in laureates],
            "not_selected": not_selected,
            "total": euros(sum(a.amount_granted or 0 for a in laureates)),
            "without_email": sum(1 for a in laureates + not_selected if a.applicant is None),
            "errors": errors,
            "not_closed": not_closed,
            "results_url": reverse("programmes:results", args=[call.pk]),
        },
    )


# --- One application --------------------------------------------------------------------------------------------


def _application_or_404(request, pk: int) -> Application:
    _staff_only(request)
    application = selectors.application_for_staff(request.user, pk)
    if application is None:
        raise Http404
    return application


# A reviewer may step aside while the application is being instructed or discussed.
WITHDRAW_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW, ApplicationStatus.IN_COMMITTEE)


def _conflict_reason(user, application, own_review) -> str:
    if own_review is not None and own_review.withdrawn:
        return "Vous vous êtes retiré(e) de son évaluation (conflit d'intérêts)."
    if application.applicant_id == user.pk:
        return "Vous l'avez déposée."
    return "Vous faites ou avez fait partie de l'équipe de ce produit."


def _application_page(request, application: Application, *, status=200, **forms):
    """The instruction page, with the forms the request bound (the others fresh)."""
    user = request.user
    call = application.call
    criteria = list(call.selection_criteria.all())
    eligibility = list(call.eligibility_criteria.all())
    reviews = selectors.reviews_of(application)
    own = next((r for r in reviews if r.reviewer_id == user.pk), None)
    conflict = perms.has_conflict(user, application)
    can_review = perms.can_review(user, application)
    see_scores = perms.can_see_scores(user, application)
    can_decide = perms.can_decide(user, application)
    others = [r for r in reviews if r.reviewer_id != user.pk and r.is_submitted]

    items = selectors.eligibility_items(application, eligibility)
    bound_mark = forms.get("mark_form")
    for item in items:
        if bound_mark is not None and bound_mark.criterion.pk == item.criterion.pk:
            item.form = bound_mark
        else:
            item.form = EligibilityMarkForm(initial={"value": verdict_of(item.value)}, criterion=item.criterion)

    review_form = forms.get("review_form")
    if review_form is None and can_review and (own is None or own.submitted_at is None):
        initial = {"comment": own.comment if own else ""}
        if own is not None:
            initial.update({f"score_{key}": str(value) for key, value in own.scores.items()})
        review_form = ReviewForm(initial=initial, criteria=criteria)

    decidable = application.status in DECIDABLE and not call.results_published
    # A decision waits for the call to close: the page says so instead of offering the form.
    not_closed = "" if call.is_closed() else services.not_closed_message(call, "décider d'une candidature")
    decision_form = forms.get("decision_form")
    if decision_form is None and can_decide and decidable and not not_closed:
        decision_form = DecisionForm(
            initial={"amount": application.amount_requested}, reviewed=any(r.is_submitted for r in reviews)
        )
    status_form = forms.get("status_form")
    if status_form is None and application.next_statuses():
        status_form = StatusForm(application=application)

    submitted = [r for r in reviews if r.is_submitted]
    return render(
        request,
        "programmes/staff_application.html",
        {
            "application": application,
            "call": call,
            "answers": selectors.answers(application, call.questions.all()),
            "eligibility": items,
            "status_form": status_form,
            "criteria": criteria,
            "own_review": own,
            "own_review_views": selectors.review_views([own], criteria) if own and own.is_submitted else [],
            "review_form": review_form,
            "conflict": conflict,
            "conflict_reason": _conflict_reason(user, application, own) if conflict else "",
            "can_review": can_review,
            "see_scores": see_scores,
            "other_reviews": selectors.review_views(others, criteria) if see_scores else [],
            "reviews_done": len(submitted),
            "reviews_expected": sum(1 for r in reviews if not r.withdrawn),
            "mean_score": selectors.mean_score(selectors.review_scores(submitted, criteria)) if see_scores else None,
            "can_withdraw": own is None or not own.withdrawn,
            "withdraw_open": application.status in WITHDRAW_STATUSES,
            "crumb_label": f"Candidature n°{application.pk}",
            "can_decide": can_decide,
            "decidable": decidable,
            "decision_not_closed": not_closed,
            "decision_form": decision_form,
            "granted_so_far": euros(selectors.granted_in_call(call)),
            "amounts": {
                "requested": euros(application.amount_requested),
                "budget": euros(application.stated_budget),
                "granted": euros(application.amount_granted),
                "cap": "aucun" if call.cap is None else euros(call.cap),
                "envelope": "aucune" if call.envelope is None else euros(call.envelope),
            },
        },
        status=status,
    )


@staff_required
@require_safe
def application(request, pk: int):
    return _application_page(request, _application_or_404(request, pk))


def _back(application: Application, anchor: str = ""):
    return redirect(reverse("programmes:staff_application", args=[application.pk]) + (f"#{anchor}" if anchor else ""))


@staff_required
@require_POST
def application_status(request, pk: int):
    application = _application_or_404(request, pk)
    form = StatusForm(request.POST, application=application)
    if form.is_valid():
        saved = run_service(
            form,
            lambda: services.application_status_set(
                application=application,
                actor=request.user,
                status=form.cleaned_data["status"],
                reasons=form.cleaned_data["reasons"],
            ),
        )
        if saved is not None:
            label = selectors.status_label(form.cleaned_data["status"])
            messages.success(request, f"La candidature est maintenant « {label} ».")
            return _back(application, "statut")
    return _application_page(request, application, status_form=form)


@staff_required
@require_POST
def eligibility(request, pk: int):
    application = _application_or_404(request, pk)
    criteria = {str(c.pk): c for c in application.call.eligibility_criteria.all()}
    criterion = criteria.get(request.POST.get("criterion", ""))
    if criterion is None:
        messages.error(request, "Ce critère n'est pas celui de cet appel.")
        return _back(application, "eligibilite")
    form = EligibilityMarkForm(request.POST, criterion=criterion)
    if form.is_valid():
        saved = run_service(
            form,
            lambda: services.eligibility_mark(
                application=application, actor=request.user, criterion=criterion, value=form.verdict
            ),
        )
        if saved is not None:
            messages.success(request, f"Critère « {criterion.label} » : {form.verdict_label}.")
            return _back(application, "eligibilite")
    return _application_page(request, application, mark_form=form)


@staff_required
@require_http_methods(["GET", "POST"])
def review(request, pk: int):
    application = _application_or_404(request, pk)
    if request.method == "GET":
        return _back(application, "evaluation")
    if not perms.can_review(request.user, application):
        if perms.has_conflict(request.user, application):
            messages.error(request, "Vous ne pouvez pas évaluer cette candidature : conflit d'intérêts.")
        else:
            messages.error(
                request, "Cette candidature n'est pas en instruction : votre évaluation n'a pas été enregistrée."
            )
        return _back(application, "evaluation")
    criteria = list(application.call.selection_criteria.all())
    form = ReviewForm(request.POST, criteria=criteria)
    submit = request.POST.get("action") == "remettre"
    if form.is_valid():
        saved = run_service(
            form,
            lambda: services.review_save(
                application=application,
                reviewer=request.user,
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
                submit=submit,
            ),
        )
        if saved is not None:
            if submit:
                messages.success(request, "Votre évaluation est remise : vous voyez maintenant celles des autres.")
            else:
                messages.success(request, "Votre évaluation est enregistrée comme brouillon.")
            return _back(application, "evaluation")
    return _application_page(request, application, review_form=form)


@staff_required
@require_http_methods(["GET", "POST"])
def review_withdraw(request, pk: int):
    application = _application_or_404(request, pk)
    withdrawn = Review.objects.filter(application=application, reviewer=request.user, withdrawn=True).exists()
    if application.status not in WITHDRAW_STATUSES:
        messages.error(
            request, "Cette candidature n'est plus en instruction ni en comité : il n'y a plus à s'en retirer."
        )
        return _back(application, "evaluation")
    if request.method == "POST" and not withdrawn:
        services.review_withdraw(application=application, reviewer=request.user)
        messages.success(
            request,
            "Vous vous êtes retiré(e) : vous n'évaluez plus cette candidature et ne voyez plus ses évaluations.",
        )
        return _back(application, "evaluation")
    return render(
        request, "programmes/staff_review_withdraw.html", {"application": application, "withdrawn": withdrawn}
    )


@staff_required
@require_POST
def decide(request, pk: int):
    application = _application_or_404(request, pk)
    if not perms.can_decide(request.user, application):
        messages.error(request, "Vous ne pouvez pas décider de cette candidature : conflit d'intérêts.")
        return _back(application, "decision")
    reviewed = Review.objects.filter(application=application, submitted_at__isnull=False, withdrawn=False).exists()
    form = DecisionForm(request.POST, reviewed=reviewed)
    if form.is_valid():
        data = form.cleaned_data
        saved = run_service(
            form,
            lambda: services.application_decide(
                application=application,
                actor=request.user,
                decision=data["decision"],
                amount=data["amount"] if data["decision"] == ApplicationStatus.LAUREATE else None,
                reasons=data["reasons"],
                confirm_without_review=data.get("confirm_without_review", False),
            ),
        )
        if saved is not None:
            label = selectors.status_label(data["decision"]).lower()
            messages.success(
                request,
                f"La candidature est {label}. Le candidat l'apprendra à la publication des résultats de l'appel.",
            )
            return _back(application, "decision")
    return _application_page(request, application, decision_form=form)
