"""The staff desk (à traiter, par pôle, non attribuées, en retard) and a request recorded on someone's behalf.

Views stay thin: scoped read (404 outside it) → `perms` → `services` → redirect with a message.
"""

import threading
from collections import OrderedDict
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods, require_safe

from incubateur.core.decorators import staff_required
from incubateur.core.errors import NotAllowed
from incubateur.core.text import date_fr, datetime_fr
from incubateur.guichet import perms, services
from incubateur.guichet.forms.desk import DeskFilterForm, OnBehalfForm
from incubateur.guichet.models import Ticket
from incubateur.guichet.routing import pole_of
from incubateur.guichet.selectors import desk as selectors
from incubateur.ui.forms import run_service


@staff_required
@require_safe
def desk(request):
    user = request.user
    poles = selectors.poles()
    data = request.GET.copy()
    if not data.get("pole"):  # « Mon pôle » unless another pole is chosen
        mine = pole_of(user)
        if mine is not None:
            data["pole"] = mine.slug
    form = DeskFilterForm(data, poles=poles)
    values = form.values()
    filters = selectors.DeskFilters(
        kind=values["type"], status=values["statut"], product=values["produit"], q=values["q"]
    )
    tab = request.GET.get("vue", "")
    if tab not in selectors.TABS:
        tab = selectors.MINE
    pole = next((p for p in poles if p.slug == values["pole"]), None)
    now = timezone.now()
    scope = selectors.desk_scope(user, filters)
    counts = selectors.tab_counts(scope, user=user, pole=pole, now=now)
    rows = selectors.in_tab(scope, tab, user=user, pole=pole, now=now)
    page_obj = selectors.desk_page(rows, tab, request.GET.get("curseur"))
    # The pagination's links keep the tab and the filters; only the cursor changes.
    kept = {key: value for key, value in request.GET.items() if key not in ("curseur", "page")}
    return render(
        request,
        "guichet/desk.html",
        {
            "filters_html": filters_html(form, tab=tab, poles=poles, filters=filters, pole=pole),
            "filters": filters,
            "tab": tab,
            "tab_label": selectors.TABS[tab],
            "tabs": selectors.tab_links(counts, current=tab, filters=filters, pole=pole),
            "tab_count": counts[tab],
            "tab_count_label": selectors.count_label(counts[tab]),
            "pole": pole,
            "page_obj": page_obj,
            "rows_html": desk_rows(page_obj.object_list),
            "first_url": "?" + urlencode(kept),
            "next_url": "?" + urlencode({**kept, "curseur": page_obj.next_cursor}) if page_obj.has_next else None,
            "previous_url": (
                "?" + urlencode({**kept, "curseur": page_obj.previous_cursor}) if page_obj.has_previous else None
            ),
            "empty_message": selectors.EMPTY[tab],
        },
    )


# --- The desk's filters --------------------------------------------------------------------------------------


class FiltersCache:
    """The filter form's markup (`_desk_filters.html`), kept in this process: rendering its fields through the
    DSFR field templates costs more than the rest of the page's template.

    Key: the tab, the value of each of the form's fields in the submitted data (after the view put « Mon pôle »
    in it) and the poles offered (slug and name). The markup is a function of these alone: the form is bound to
    that data with those choices (its errors follow from them), `filters` and `pole` are read from its values,
    and nothing of the reader or of the requests is in it. Invalidation: none is needed — a change to what the
    markup shows (a pole renamed, added or removed) changes the key. At most MAX entries, the least recently used
    dropped first (a search term typed once takes one entry, never more).
    """

    MAX = 256

    def __init__(self):
        self.entries: OrderedDict[tuple, str] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple, render) -> str:
        with self.lock:
            html = self.entries.get(key)
            if html is not None:
                self.entries.move_to_end(key)
                return html
        html = render()
        with self.lock:
            self.entries[key] = html
            while len(self.entries) > self.MAX:
                self.entries.popitem(last=False)
        return html


FILTERS = FiltersCache()


def filters_html(form: DeskFilterForm, *, tab: str, poles: list, filters, pole) -> str:
    key = (
        tab,
        tuple((name, form.data.get(name)) for name in form.fields),
        tuple((p.slug, p.name) for p in poles),
    )
    context = {"form": form, "tab": tab, "filters": filters, "pole": pole}
    return FILTERS.get(key, lambda: render_to_string("guichet/_desk_filters.html", context))


# --- The desk's table, row by row ------------------------------------------------------------------------------
#
# The rows of the desk's table are written here with `format_html` (every value escaped, as the template engine's
# autoescape does), not by a `{% for %}` in the template: 25 rows of a dozen cells each cost the template engine
# most of the page's time (a lookup chain per `{{ }}`). Nothing is cached: each row is written from the ticket read
# for this request, so nothing can be stale or another reader's. tests/guichet/test_desk_rows.py checks the markup
# equals what the former template wrote, cell by cell.

ROW = (
    "<tr><td>{}</td><td>{}{}</td>"
    '<td class="incubateur-col--secondary">{}</td>'
    '<td class="incubateur-col--secondary">{}</td>'
    '<td class="incubateur-col--secondary">{}</td>'
    "<td>{}</td><td>{}</td><td>{}</td></tr>"
)
UNASSIGNED_BADGE = mark_safe(
    '<span class="fr-badge fr-badge--sm fr-badge--info fr-badge--no-icon">Non attribuée</span>'
)
LATE_BADGE = mark_safe('<p class="fr-badge fr-badge--sm fr-badge--error">En retard</p>')


# A valid reference, replaced by each row's own in the address `reverse` gives once per table.
_PLACEHOLDER = "G-2222-2222"


def _person(user) -> str:
    return user.get_full_name() or user.email


class _Table:
    """What every row of one table shares, looked up once: the ticket's address around its reference, the labels
    of the choices (what `get_FOO_display` reads, without its per-call lookups) and the current time zone."""

    def __init__(self):
        head, _, tail = reverse("guichet:ticket", args=[_PLACEHOLDER]).partition(_PLACEHOLDER)
        self.url = (head, tail)
        self.labels = {
            name: {value: str(label) for value, label in Ticket._meta.get_field(name).flatchoices}
            for name in ("kind", "topic", "status", "channel")
        }
        self.zone = timezone.get_current_timezone()

    def label(self, ticket, name: str) -> str:
        value = getattr(ticket, name)
        return self.labels[name].get(value, value)

    def local(self, moment):
        """The moment as Paris reads it, naive: `date_fr`/`datetime_fr` then format it as they are (no lookup)."""
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def subject(self, ticket) -> SafeString:
        url = ticket.reference.join(self.url)
        if ticket.confidential:
            return format_html(
                '<a href="{}">Demande confidentielle<span class="fr-sr-only"> {}</span></a>'
                '<p class="fr-badge fr-badge--sm fr-badge--warning fr-badge--no-icon fr-mt-1v">Confidentielle</p>',
                url,
                ticket.reference,
            )
        return format_html('<a href="{}">{}</a>', url, ticket.subject)

    def first_response(self, ticket) -> SafeString | str:
        if ticket.late:
            due = datetime_fr(self.local(ticket.first_response_due))
            return format_html('{}<p class="fr-text--sm fr-mb-0">{}</p>', LATE_BADGE, due)
        if ticket.first_response_at:
            return "Répondu le " + date_fr(self.local(ticket.first_response_at))
        return datetime_fr(self.local(ticket.first_response_due))

    def row(self, ticket) -> SafeString:
        """One row: `ticket` carries its product, requester and assignee (`desk_page`) and `late` (whether it is
        overdue now)."""
        kind = self.label(ticket, "kind")
        if ticket.topic:
            kind = f"{kind} — {self.label(ticket, 'topic')}"
        recorded = ""
        if ticket.recorded_by_id:
            recorded = format_html(
                '<p class="fr-text--xs fr-mb-0">Enregistrée pour le demandeur ({})</p>', self.label(ticket, "channel")
            )
        return format_html(
            ROW,
            ticket.reference,
            self.subject(ticket),
            recorded,
            kind,
            ticket.product.name if ticket.product else "—",
            _person(ticket.requester),
            _person(ticket.assignee) if ticket.assignee else UNASSIGNED_BADGE,
            self.label(ticket, "status"),
            self.first_response(ticket),
        )


def desk_rows(tickets) -> SafeString:
    """The rows of the desk's table (`<tr>`…), every value escaped by `format_html`."""
    if not tickets:
        return mark_safe("")
    table = _Table()
    return mark_safe("".join(table.row(ticket) for ticket in tickets))


@staff_required
@require_http_methods(["GET", "POST"])
def new_on_behalf(request):
    if not perms.can_submit_on_behalf(request.user):
        raise Http404
    form = OnBehalfForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        arguments = form.submission()
        try:
            ticket = run_service(form, lambda: services.ticket_submit(recorded_by=request.user, **arguments))
        except NotAllowed as error:
            # Not a 404 here: the requester typed in the form may be the one refused (an inactive account).
            form.add_error(None, str(error))
            ticket = None
        if ticket is not None:
            requester = arguments["requester"].display_name
            if ticket.replayed:
                messages.info(request, f"Cette demande était déjà enregistrée pour {requester} ({ticket.reference}).")
            else:
                messages.success(
                    request,
                    f"La demande {ticket.reference} est enregistrée pour {requester} ; un e-mail l'en informe.",
                )
            if Ticket.objects.for_user(request.user).filter(pk=ticket.pk).exists():
                return redirect(ticket)
            # A confidential request to someone else: even the person who typed it does not read it afterwards.
            messages.info(
                request,
                f"Cette demande confidentielle est transmise à {ticket.assignee.display_name} : seuls cette personne "
                "et le demandeur peuvent la lire.",
            )
            return redirect("guichet:desk")
    return render(
        request,
        "guichet/on_behalf.html",
        {"form": form, "requester_products": form.requester_products() if form.is_bound else []},
    )
