"""Staff triage of received mails (the guichet by e-mail, #18): the held ones (unverified or unknown sender, a reply
token that does not match its sender…), each shown with its text, to turn into a request or set aside.

Scoped by `InboundMail.objects.for_user` (a mail about a confidential request only for the people who see it);
outside it, a 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from incubateur.core.decorators import staff_required
from incubateur.core.errors import NotAllowed
from incubateur.guichet import perms
from incubateur.guichet.forms.mail import MailQualifyForm
from incubateur.guichet.mail.parse import parse
from incubateur.guichet.models import InboundMail
from incubateur.guichet.models import InboundMailOutcome as Result
from incubateur.guichet.services.mail import mail_dismiss, mail_qualify
from incubateur.ui.forms import run_service

PAGE_SIZE = 50


def _scoped(request, pk: int) -> InboundMail:
    if not perms.can_submit_on_behalf(request.user):
        raise NotAllowed("Réservé à l'équipe de l'Incubateur.")
    return get_object_or_404(InboundMail.objects.for_user(request.user).select_related("ticket"), pk=pk)


@staff_required
@require_safe
def mail_inbox(request):
    tab = "tous" if request.GET.get("vue") == "tous" else "a-trier"
    mails = InboundMail.objects.for_user(request.user).select_related("ticket").defer("raw")
    if tab == "a-trier":
        mails = mails.held()
    page = Paginator(mails, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "guichet/mail_inbox.html", {"page_obj": page, "tab": tab})


@staff_required
@require_http_methods(["GET", "POST"])
def mail_detail(request, pk: int):
    mail = _scoped(request, pk)
    inbound = parse(bytes(mail.raw))
    can_qualify = mail.outcome == Result.HELD and mail.ticket_id is None
    initial = {"requester": mail.sender, "subject": inbound.subject[:200], "body": inbound.text[:10_000]}
    form = MailQualifyForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and can_qualify and form.is_valid():
        values = form.cleaned_data
        ticket = run_service(
            form,
            lambda: mail_qualify(
                mail=mail,
                actor=request.user,
                requester=values["requester"],
                kind=values["kind"],
                topic=values["topic"],
                subject=values["subject"],
                body=values["body"],
                product=values["product"],
            ),
        )
        if ticket is not None:
            messages.success(request, f"La demande {ticket.reference} est enregistrée.")
            return redirect(ticket)
    context = {
        "mail": mail,
        "text": inbound.text,
        "attachments": inbound.attachments,
        "form": form,
        "can_qualify": can_qualify,
        "can_dismiss": mail.outcome == Result.HELD,
    }
    return render(request, "guichet/mail_detail.html", context)


@staff_required
@require_POST
def mail_set_aside(request, pk: int):
    mail = _scoped(request, pk)
    if mail.outcome == Result.HELD:
        mail_dismiss(mail=mail, actor=request.user)
        messages.success(request, "Le message est écarté : rien n'a été publié, personne n'a été prévenu.")
    return redirect("guichet:mail_inbox")
