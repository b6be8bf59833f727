"""The requester's pages (choose a kind, the form, « Mes demandes ») and the request page with its actions (reply,
status, reassignment, access to a confidential request). The staff pages are in `desk`, `offers` and `routing`.

Every request is read through `Ticket.objects.for_user()` (404 outside it); an action the person may not take is a
404 too (a service's `NotAllowed` included: the middleware answers it); writes go through `services`.
"""

import dataclasses
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from incubateur.core.text import datetime_fr
from incubateur.guichet import perms, services
from incubateur.guichet.forms.requester import AssignForm, ParticipantForm, ReplyForm, StatusForm, TicketForm
from incubateur.guichet.kinds import Kind, info
from incubateur.guichet.models import Attachment, Status, Ticket
from incubateur.guichet.routing import route
from incubateur.guichet.selectors import requester as selectors
from incubateur.ui.forms import run_service

# --- Asking ------------------------------------------------------------------------------------------------------


# The address of a "Faire une demande" button may name a product (`?produit=<ghid>`, on the product's page) or a
# person (`?destinataire=<username>`, on their page). They pre-fill the form, nothing more: the form offers only what
# the person may choose anyway, routing decides server-side as always, and a value that names nothing usable is
# ignored without a word (no error, no 404).
PRODUCT_PARAM = "produit"
RECIPIENT_PARAM = "destinataire"


def _param(request, name: str) -> str:
    value = request.GET.get(name, "")
    return value if len(value) <= 200 else ""


@require_safe
def home(request):
    if not perms.can_submit(request.user):
        raise Http404
    cards = selectors.kind_cards()
    addressee = None
    if username := _param(request, RECIPIENT_PARAM):
        addressee = next(
            (
                choice
                for choice in selectors.current_staff()
                if choice.user.username == username and choice.user.pk != request.user.pk
            ),
            None,
        )
    if addressee is not None:
        query = urlencode({RECIPIENT_PARAM: addressee.user.username})
        cards = [dataclasses.replace(card, url=f"{card.url}?{query}") for card in cards]
    return render(request, "guichet/home.html", {"kinds": cards, "addressee": addressee})


def _submitted_message(ticket: Ticket) -> str:
    due = datetime_fr(ticket.first_response_due)
    if ticket.assignee is not None:
        who = f"{ticket.assignee.display_name} vous répondra"
    else:
        who = "L'équipe de l'Incubateur l'oriente vers la bonne personne"
    return f"Votre demande {ticket.reference} est envoyée. {who} : réponse attendue avant le {due}."


@require_http_methods(["GET", "POST"])
def new(request, kind: str):
    if kind not in Kind.values or not perms.can_submit(request.user):
        raise Http404
    form = TicketForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        kind=kind,
        user=request.user,
        product_ghid=_param(request, PRODUCT_PARAM),
        recipient_username=_param(request, RECIPIENT_PARAM),
    )
    if form.is_bound and form.is_valid():
        ticket = run_service(form, lambda: services.ticket_submit(requester=request.user, **form.submission()))
        if ticket is not None:
            # A replay (double click, resend) lands on the request the first submission created.
            messages.success(request, _submitted_message(ticket))
            return redirect(ticket)
    return render(
        request,
        "guichet/new.html",
        {
            "form": form,
            "kind_label": Kind(kind).label,
            "kind_info": info(kind),
            "addressee": form.prefilled_recipient,
            "product_outside": form.product_outside,
            "preview": _preview(form),
        },
    )


@dataclasses.dataclass
class Preview:
    """To whom routing sends the request as the form stands when it opens, for a person who came to write to
    `addressee` on a kind that routing attributes by itself."""

    assignee: object | None
    reaches_addressee: bool
    depends_on: str  # what the requester may still change that would change the answer, "" if nothing


def _preview(form: TicketForm) -> Preview | None:
    addressee = form.prefilled_recipient
    if addressee is None or form.kind_info.confidential:
        return None
    product = form.prefilled_product
    routed = route(kind=form.kind.value, product=product)
    depends = []
    if "topic" in form.fields:
        depends.append("le sujet")
    if "product" in form.fields:
        depends.append("le produit")
    if "ministry" in form.fields:
        depends.append("le ministère")
    return Preview(
        assignee=routed.assignee,
        reaches_addressee=routed.assignee is not None and routed.assignee.pk == addressee.pk,
        depends_on=_and(depends),
    )


def _and(items: list[str]) -> str:
    """« le sujet, le produit et le ministère »."""
    return items[0] if len(items) == 1 else (", ".join(items[:-1]) + " et " + items[-1] if items else "")


@require_safe
def mine(request):
    if not perms.can_submit(request.user):
        raise Http404
    page_obj = selectors.my_tickets_page(request.user, request.GET.get("page"))
    return render(request, "guichet/mine.html", {"page_obj": page_obj})


# --- The request page --------------------------------------------------------------------------------------------


def _ticket_or_404(request, reference: str) -> Ticket:
    ticket = Ticket.objects.for_user(request.user).for_page().named(reference).first()
    if ticket is None:
        raise Http404
    return ticket


def _render_ticket(request, ticket: Ticket, **bound_forms):
    """The request page; `bound_forms` (reply, status, assign, participant) replace the blank ones to show their
    errors next to their fields. Every page that shows the request records the read (of a confidential one, by
    anyone but its requester): the page itself and an action's form shown again with its errors alike (#13)."""
    user = request.user
    if request.method != "HEAD":  # a HEAD answer carries no content
        services.ticket_read(ticket=ticket, user=user)
    handler = perms.can_handle(user, ticket)
    requester_side = perms.is_requester_side(user, ticket)
    see_reads = perms.can_see_reads(user, ticket)
    notes = perms.can_write_internal_note(user, ticket)
    page = selectors.ticket_page(ticket, with_notes=notes, with_reads=see_reads)
    ticket_files = _attach_files(ticket, page.messages)

    staff: list[selectors.StaffChoice] | None = None

    def current_staff():
        nonlocal staff
        if staff is None:
            staff = selectors.current_staff()
        return staff

    reply_form = bound_forms.get("reply")
    if reply_form is None and perms.can_reply(user, ticket):
        reply_form = ReplyForm(can_write_note=notes)
    status_form = bound_forms.get("status")
    statuses = ticket.next_statuses(handler=handler, requester=requester_side)
    if status_form is None and statuses:
        status_form = StatusForm(ticket=ticket, statuses=statuses, requester=requester_side and not handler)
    assign_form = bound_forms.get("assign")
    if assign_form is None and perms.can_reassign(user, ticket):
        assign_form = AssignForm(ticket=ticket, staff=current_staff())
    participant_form = bound_forms.get("participant")
    if participant_form is None and perms.can_add_participant(user, ticket):
        participant_form = ParticipantForm(staff=_addable(current_staff(), ticket, page.participants))
    has_errors = any(form is not None and form.errors for form in bound_forms.values())
    return render(
        request,
        "guichet/ticket.html",
        {
            "ticket": ticket,
            "page": page,
            "is_requester": ticket.requester_id == user.pk,
            "requester_side": requester_side,
            "handler": handler,
            "can_see_reads": see_reads,
            "overdue": ticket.is_overdue(),
            "reply_form": reply_form,
            "status_form": status_form,
            "assign_form": assign_form,
            "participant_form": participant_form,
            "has_errors": has_errors,
            "ticket_files": ticket_files,
        },
    )


def _attach_files(ticket: Ticket, thread) -> list[Attachment]:
    """The request's own attachments; each message of the thread gets its `files` (one query). The request is the
    reader's already (`for_user`) and the thread holds only the messages they may read (internal notes for the
    people who handle it: the rule `Attachment.objects.for_user` applies too), so the files shown are the request's
    and those messages', nothing else; the download applies `Attachment.objects.for_user` again. No second scoping
    here: building its nested subqueries took 10 ms of Python a page, the plain query 0.6 ms (#19)."""
    by_message: dict[int | None, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(ticket=ticket):
        by_message.setdefault(attachment.message_id, []).append(attachment)
    for message in thread:
        message.files = by_message.get(message.pk, [])
    return by_message.get(None, [])


def _addable(staff: list[selectors.StaffChoice], ticket: Ticket, participants) -> list[selectors.StaffChoice]:
    """Staff who may be given access to a confidential request: not its requester, not already in."""
    inside = {ticket.requester_id, *(p.user_id for p in participants)}
    return [choice for choice in staff if choice.user.pk not in inside]


@require_safe
def ticket(request, reference: str):
    return _render_ticket(request, _ticket_or_404(request, reference))


@require_safe
def attachment(request, pk: int):
    """Download an attachment: only through `Attachment.objects.for_user` (the request's scoping, internal notes'
    files for those who read internal notes; a 404 outside), always as a download (`Content-Disposition:
    attachment`, the checked type, `nosniff`), never cached by a shared cache. Files are never under a public URL.
    Downloading a confidential request's file is a read of it (#13)."""
    found = Attachment.objects.for_user(request.user).select_related("ticket").filter(pk=pk).first()
    if found is None:
        raise Http404
    content_type = found.content_type or "application/octet-stream"
    if request.method == "HEAD":
        # The headers only: the file is neither opened nor read.
        response = HttpResponse(content_type=content_type)
        response["Content-Length"] = str(found.size)
        response["Content-Disposition"] = content_disposition_header(True, found.name)
    else:
        try:
            handle = found.file.open("rb")
        except OSError:
            raise Http404 from None
        services.ticket_read(ticket=found.ticket, user=request.user)
        response = FileResponse(handle, as_attachment=True, filename=found.name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_safe
def ticket_by_id(request, pk: int):
    """An address by id, from before the references: to the request's page for those who may see it, a 404 for
    anyone else (as for an id that names nothing)."""
    ticket = Ticket.objects.for_user(request.user).filter(pk=pk).only("reference").first()
    if ticket is None:
        raise Http404
    return redirect(ticket)


def _stale(request, ticket: Ticket):
    messages.error(request, str(services.StaleTicket(ticket)))
    return redirect(ticket)


# The actions: the form's errors and a service's refusal (`run_service`) show the page again with the form; a
# `NotAllowed` is a 404 (the middleware); a request changed since the page was shown goes back to it (`_stale`),
# whether the form's version says so or the save finds out.


@require_POST
def reply(request, reference: str):
    ticket = _ticket_or_404(request, reference)
    if not perms.can_reply(request.user, ticket):
        raise Http404
    form = ReplyForm(request.POST, request.FILES, can_write_note=perms.can_write_internal_note(request.user, ticket))
    if form.is_valid():
        body, internal = form.cleaned_data["body"], form.cleaned_data.get("internal", False)
        files = form.cleaned_data.get("pieces_jointes") or []
        if run_service(
            form,
            lambda: services.ticket_reply(
                ticket=ticket, author=request.user, body=body, internal=internal, attachments=files
            ),
        ):
            if internal:
                messages.success(request, "Votre note interne est ajoutée : le demandeur ne la voit pas.")
            else:
                messages.success(request, "Votre message est ajouté à la demande.")
            return redirect(ticket)
    return _render_ticket(request, ticket, reply=form)


@require_POST
def status(request, reference: str):
    ticket = _ticket_or_404(request, reference)
    handler = perms.can_handle(request.user, ticket)
    requester_side = perms.is_requester_side(request.user, ticket)
    if not (handler or requester_side):
        raise Http404
    statuses = ticket.next_statuses(handler=handler, requester=requester_side)
    form = StatusForm(request.POST, ticket=ticket, statuses=statuses, requester=requester_side and not handler)
    valid = form.is_valid()
    if form.is_stale(ticket):
        return _stale(request, ticket)
    if valid:
        previous = ticket.status
        try:  # the form's fields are the service's: status, version
            services.ticket_status_set(ticket=ticket, actor=request.user, **form.cleaned_data)
        except services.StaleTicket:  # changed between the version check above and the save
            return _stale(request, ticket)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if previous in (Status.RESOLVED, Status.CLOSED) and ticket.status == Status.IN_PROGRESS:
                messages.success(request, "La demande est rouverte.")
            else:
                messages.success(request, f"La demande est maintenant « {ticket.get_status_display().lower()} ».")
            return redirect(ticket)
    return _render_ticket(request, ticket, status=form)


@require_POST
def assign(request, reference: str):
    ticket = _ticket_or_404(request, reference)
    if not perms.can_reassign(request.user, ticket):
        raise Http404
    form = AssignForm(request.POST, ticket=ticket, staff=selectors.current_staff())
    valid = form.is_valid()
    if form.is_stale(ticket):
        return _stale(request, ticket)
    if valid:
        try:  # the form's fields are the service's: assignee, pole, version
            services.ticket_assign(ticket=ticket, actor=request.user, **form.cleaned_data)
        except services.StaleTicket:  # changed between the version check above and the save
            return _stale(request, ticket)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if ticket.assignee == request.user:
                messages.success(request, "La demande vous est attribuée.")
            else:
                name = ticket.assignee.display_name
                messages.success(request, f"La demande est attribuée à {name}, qui en est informé·e.")
            return redirect(ticket)
    return _render_ticket(request, ticket, assign=form)


@require_POST
def add_participant(request, reference: str):
    ticket = _ticket_or_404(request, reference)
    if not perms.can_add_participant(request.user, ticket):
        raise Http404
    participants = list(ticket.participants.all())
    form = ParticipantForm(request.POST, staff=_addable(selectors.current_staff(), ticket, participants))
    if form.is_valid():
        person = form.cleaned_data["user"]
        if run_service(form, lambda: services.ticket_participant_add(ticket=ticket, actor=request.user, user=person)):
            name = person.display_name
            messages.success(
                request, f"{name} a maintenant accès à la demande ; la personne qui l'a faite en est informée."
            )
            return redirect(ticket)
    return _render_ticket(request, ticket, participant=form)
