"""The public pages of the programmes (the programmes and their calls, a call, its results) and the applicant's
pages (apply, « Mes candidatures », an application: the draft form, saved as you type, and its submission).

Calls are read through `selectors.public.call_for` (the public sees announced and historical calls; staff may preview
the others); applications through `Application.objects.for_user(user)`, narrowed to the applicant side. A member of
the Incubator who opens an application they are not applying for is sent to its staff page
(`programmes:staff_application`); the draft's endpoints (autosave, submit) answer them 404.

/programmes/ is in the public page cache (`@public_page`) under the programmes' stamp (every write to a programme or
a call), until the next minute a call opens or closes (`programmes.cache.next_change`). The other pages are not: they
show applications, which the services write with `.update()`, which no stamp signal would see.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from incubateur.core.pagecache import public_page, valid_until
from incubateur.core.roles import is_staff
from incubateur.core.text import datetime_fr, de
from incubateur.programmes import cache, perms, rules, services
from incubateur.programmes.forms.public import ApplicationForm, NameApplyForm, ProductApplyForm
from incubateur.programmes.models import GRANTED, ApplicantType, Application, ApplicationStatus
from incubateur.programmes.selectors import public as selectors
from incubateur.ui.forms import run_service

VERSION_HEADER = "X-Application-Version"
SAVED_AT_HEADER = "X-Saved-At"


def _or_404(value):
    if value is None:
        raise Http404
    return value


def _now_hm() -> str:
    return f"{timezone.localtime():%H:%M}"


# --- Public: programmes, calls, results ----------------------------------------------------------------------------


@public_page(cache.stamp)
@login_not_required
@require_safe
def index(request):
    now = timezone.now()
    response = render(request, "programmes/index.html", {"index": selectors.programmes_index(now)})
    if not request.user.is_authenticated:  # never stored for a logged-in visitor: no need to read it
        valid_until(response, cache.next_change(now))
    return response


@login_not_required
@require_safe
def call(request, pk: int):
    call = _or_404(selectors.call_for(request.user, pk))
    apply_url = reverse("programmes:apply", args=[call.pk])
    return render(
        request,
        "programmes/call.html",
        {
            "call": call,
            "page": selectors.call_page(request.user, call),
            "apply_url": apply_url,
            "login_url": f"{reverse('accounts:login')}?{urlencode({'next': apply_url})}",
            "can_see_results": perms.can_see_results(request.user, call),
        },
    )


@login_not_required
@require_safe
def results(request, pk: int):
    call = _or_404(selectors.call_for(request.user, pk))
    if not perms.can_see_results(request.user, call):
        raise Http404
    return render(
        request,
        "programmes/results.html",
        {
            "call": call,
            "page": selectors.results_page(call),
            "preview": not call.results_published,
        },
    )


# --- Applying ------------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def apply(request, pk: int):
    call = _or_404(selectors.call_for(request.user, pk))
    user = request.user
    data = request.POST if request.method == "POST" else None
    by_product = call.applicant_type == ApplicantType.PRODUCT
    choices = started = None
    if by_product:
        choices = selectors.apply_choices(user, call)
        form = ProductApplyForm(data, products=choices.products)
    else:
        started = selectors.own_applications(user, call)
        initial = {"applicant_name": user.get_full_name()} if call.applicant_type == ApplicantType.PERSON else {}
        form = NameApplyForm(data, call=call, initial=initial)
    if data is not None and form.is_valid():
        if by_product:
            start = {"product": form.chosen()}
        else:
            start = {"applicant_name": form.cleaned_data["applicant_name"]}
        try:
            application = run_service(form, lambda: services.application_start(call=call, user=user, **start))
        except IntegrityError:
            # The same team started one at the same instant (a double click): the unique constraint answers.
            product = form.chosen()
            form.add_error("product", f"L'équipe {de(product.name)} a déjà une candidature à cet appel.")
            application = None
        if application is not None:
            messages.success(
                request,
                "Votre candidature est commencée : elle reste un brouillon, que votre équipe peut compléter, "
                f"jusqu'à ce que vous la déposiez, avant le {datetime_fr(call.closes_at)}.",
            )
            return redirect("programmes:application", pk=application.pk)
    return render(
        request,
        "programmes/apply.html",
        {
            "call": call,
            "form": form,
            "by_product": by_product,
            "choices": choices,
            "started": started,
            "closed_message": "" if perms.can_apply(user, call) else services.closed_message(call),
        },
    )


@require_safe
def mine(request):
    page_obj = selectors.my_applications_page(request.user, request.GET.get("page"))
    return render(request, "programmes/mine.html", {"page_obj": page_obj})


# --- An application ------------------------------------------------------------------------------------------------


def _applicant_application(request, pk: int) -> Application:
    """The application if this person applies for it (404 otherwise, staff included)."""
    application = _or_404(selectors.application_for(request.user, pk))
    if not perms.is_applicant_side(request.user, application):
        raise Http404
    return application


def _render_application(request, application: Application, form: ApplicationForm | None = None, *, status=200):
    user = request.user
    call = application.call
    questions = list(call.questions.all())
    editable = perms.can_edit_application(user, application)
    if editable and form is None:
        form = ApplicationForm(initial=ApplicationForm.initial_for(application), call=call, questions=questions)
    public_status = application.public_status()
    context = {
        "application": application,
        "call": call,
        "editable": editable,
        "form": form if editable else None,
        "closed_message": services.closed_message(call) if application.is_draft and not editable else "",
        "status_label": application.public_status_label(),
        "status_badge": selectors.status_badge(application),
        "step": selectors.step(application),
        "answers": [] if editable else selectors.answers(application),
        "checks": [] if application.is_draft else selectors.eligibility_checks(application),
        "show_reasons": public_status in (ApplicationStatus.NOT_SELECTED, ApplicationStatus.INADMISSIBLE)
        and bool(application.decision_reasons),
        "granted": rules.euros(application.amount_granted or 0) if public_status in GRANTED else "",
        "stated_budget": rules.euros(application.stated_budget),
        "amount_requested": rules.euros(application.amount_requested),
        "closes_at": timezone.localtime(call.closes_at) if call.closes_at else None,
    }
    return render(request, "programmes/application.html", context, status=status)


def _bound_form(request, application: Application) -> ApplicationForm:
    return ApplicationForm(request.POST, call=application.call, questions=list(application.call.questions.all()))


def _with_version(form: ApplicationForm, application: Application) -> ApplicationForm:
    """The same typed answers, carrying the version now saved (the next save is not refused as stale)."""
    data = form.data.copy()
    data["version"] = str(application.version)
    rebound = ApplicationForm(data, call=application.call, questions=form.questions)
    rebound.is_valid()
    return rebound


@require_http_methods(["GET", "POST"])
def application(request, pk: int):
    application = _or_404(selectors.application_for(request.user, pk))
    if not perms.is_applicant_side(request.user, application):
        if is_staff(request.user) and request.method == "GET":
            # Staff follow applications on their own page (instruction, reviews, decision).
            return redirect("programmes:staff_application", pk=application.pk)
        raise Http404
    if request.method == "GET":
        return _render_application(request, application)
    # « Enregistrer le brouillon » (without JavaScript; with it, the draft is saved as it is typed).
    if not application.is_draft:
        messages.error(request, "Cette candidature est déposée : elle n'est plus modifiable.")
        return redirect("programmes:application", pk=application.pk)
    form = _bound_form(request, application)
    if form.is_valid():
        saved = run_service(
            form, lambda: services.application_save_draft(application=application, user=request.user, **form.draft())
        )
        if saved is not None:
            messages.success(request, f"Brouillon enregistré à {_now_hm()}.")
            return redirect("programmes:application", pk=application.pk)
    return _render_application(request, application, form)


@require_POST
def autosave(request, pk: int):
    """The draft saved as it is typed (autosave.js): 204 with the new version in `X-Application-Version`; 409 when
    someone saved it since (nothing is overwritten); 400 on bad input or once the call is closed."""
    application = _applicant_application(request, pk)
    if not application.is_draft:
        return JsonResponse(
            {"message": "Cette candidature est déposée : elle n'est plus modifiable. Rechargez la page."}, status=409
        )
    form = _bound_form(request, application)
    if not form.is_valid():
        errors = {name: list(errs) for name, errs in form.errors.items()}
        first = next(iter(form.error_list()), ("", "", "Le formulaire est incomplet."))
        label = f" ({first[1]})" if first[1] else ""
        return JsonResponse({"message": f"{first[2]}{label}", "errors": errors}, status=400)
    try:
        saved = services.application_save_draft(application=application, user=request.user, **form.draft())
    except services.StaleApplication as stale:
        return JsonResponse({"message": str(stale)}, status=409)
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        return JsonResponse({"message": " ".join(error.messages), "errors": errors}, status=400)
    response = HttpResponse(status=204)
    response[VERSION_HEADER] = str(saved.version)
    response[SAVED_AT_HEADER] = _now_hm()
    return response


@require_POST
def submit(request, pk: int):
    """« Déposer ma candidature »: the answers on screen are saved, then the draft is submitted."""
    application = _applicant_application(request, pk)
    if not application.is_draft:
        messages.error(request, "Cette candidature a déjà été déposée.")
        return redirect("programmes:application", pk=application.pk)
    form = None
    if "version" in request.POST:
        form = _bound_form(request, application)
        if not form.is_valid():
            return _render_application(request, application, form)
        saved = run_service(
            form, lambda: services.application_save_draft(application=application, user=request.user, **form.draft())
        )
        if saved is None:
            return _render_application(request, application, form)
    try:
        submitted = services.application_submit(application=application, user=request.user)
    except ValidationError as error:
        if form is None:
            questions = list(application.call.questions.all())
            form = ApplicationForm(
                {**_plain(ApplicationForm.initial_for(application))}, call=application.call, questions=questions
            )
            form.is_valid()
        else:
            form = _with_version(form, application)
        form.add_service_errors(error)
        return _render_application(request, application, form)
    messages.success(
        request,
        f"Votre candidature à « {submitted.call.title} » est déposée. Vous recevez une confirmation par e-mail ; "
        "cette page montre où elle en est.",
    )
    return redirect("programmes:application", pk=submitted.pk)


def _plain(initial: dict) -> dict:
    return {name: "" if value is None else str(value) for name, value in initial.items()}
