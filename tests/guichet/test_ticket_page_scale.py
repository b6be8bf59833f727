"""The request page and the attachment download at scale (#19): the attachments are scoped by a lookup of their own
request (never a list of every request the account sees), and the staff's and poles' selects are written in Python
with the same HTML as Django's templates."""

import copy
import re

import pytest
from django import forms
from django.db import connection
from django.test import Client

from incubateur.guichet import services
from incubateur.guichet.forms.fields import Select, StaffChoiceField
from incubateur.guichet.forms.requester import AssignForm, ParticipantForm
from incubateur.guichet.models import Attachment
from incubateur.guichet.selectors.requester import StaffChoice, current_staff
from incubateur.guichet.services.attachments import attachments_add
from incubateur.organisation.models import Pole
from tests.guichet.factories import submit

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def with_django_selects(form: forms.Form) -> forms.Form:
    """The same form with Django's own `Select` (its templates) wherever ours is."""
    for field in form.fields.values():
        if isinstance(field.widget, Select):
            widget = copy.copy(field.widget)  # its attributes as the DSFR form set them (group_class, class…)
            widget.__class__ = forms.Select
            field.widget = widget
    return form


# --- The selects: the same HTML as Django's ------------------------------------------------------------------------


def test_the_assign_form_is_the_same_html_as_with_djangos_select(cast):
    ticket = submit(cast)
    staff = current_staff()
    assert len(staff) > 3 and Pole.objects.count() > 3
    ours = AssignForm(ticket=ticket, staff=staff)
    assert isinstance(ours.fields["assignee"].widget, Select) and isinstance(ours.fields["pole"].widget, Select)
    assert str(ours) == str(with_django_selects(AssignForm(ticket=ticket, staff=staff)))
    # Bound, a person chosen and an error on the pole: the selected option and the error attributes too.
    data = {"attribution-assignee": str(staff[1].user.pk), "attribution-pole": "nope", "attribution-version": "1"}
    bound, django_bound = (AssignForm(data, ticket=ticket, staff=staff) for _ in range(2))
    assert not bound.is_valid() and not with_django_selects(django_bound).is_valid()
    assert str(bound) == str(django_bound)
    assert "selected" in str(bound["assignee"]) and "aria-invalid" in str(bound["pole"])


def test_the_participant_form_is_the_same_html_as_with_djangos_select(cast):
    staff = current_staff()
    assert str(ParticipantForm(staff=staff)) == str(with_django_selects(ParticipantForm(staff=staff)))
    bound, django_bound = (ParticipantForm({"acces-user": ""}, staff=staff) for _ in range(2))
    assert not bound.is_valid() and not with_django_selects(django_bound).is_valid()
    assert str(bound) == str(django_bound)  # required: the error, `required` on the select


@pytest.mark.parametrize(
    "attrs",
    [
        {},
        {"required": True, "disabled": False, "data-x": 'a "quoted" <b> & c'},
        {"class": "fr-select", "multiple": True},
    ],
)
def test_the_select_escapes_and_groups_as_djangos(attrs):
    choices = [
        ("", "Choisir"),
        ('Groupe <un> & "deux"', [("1", "L'Équipe <b>"), ("2", "Pôle & co")]),
        (3, "Trois « trois »"),
    ]
    for value in (None, "", "1", 3, "<script>"):
        ours = Select(attrs=attrs, choices=choices).render("champ", value, {"id": "id_champ"})
        django = forms.Select(attrs=attrs, choices=choices).render("champ", value, {"id": "id_champ"})
        assert ours == django
    assert "<b>" not in ours and "&lt;b&gt;" in ours


def test_a_staff_label_is_escaped(cast):
    staff = [StaffChoice(user=cast.assignee, label='Pierre <script>alert("x")</script> — coach')]
    field = StaffChoiceField()
    field.set_staff(staff)
    html = field.widget.render("personne", None)
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_the_request_page_shows_every_current_staff_member_and_pole(cast):
    ticket = submit(cast)
    html = client_for(cast.other_staff).get(ticket.get_absolute_url()).content.decode()
    assignee = re.search(r'<select name="attribution-assignee".*?</select>', html, re.S).group(0)
    for choice in current_staff():
        assert f'<option value="{choice.user.pk}">' in assignee
    pole = re.search(r'<select name="attribution-pole".*?</select>', html, re.S).group(0)
    assert pole.count("<option") == Pole.objects.count() + 1


# --- Attachments: scoped by their own request ----------------------------------------------------------------------


def attach(ticket, by, name="note.txt") -> Attachment:
    return attachments_add(ticket=ticket, files=[(name, "text/plain", b"Bonjour\n")], by=by)[0]


def ticket_scans(queryset) -> list[str]:
    """The lines of SQLite's plan that walk the requests table (under its name or any alias the query gives it)."""
    sql, params = queryset.query.sql_with_params()
    names = {"guichet_ticket", *re.findall(r'"guichet_ticket" (\w+)', sql)}
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        lines = [str(row[-1]) for row in cursor.fetchall()]
    return [line for line in lines if re.match(r"SCAN (\w+)", line) and line.split()[1] in names]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
@pytest.mark.parametrize("who", ["other_staff", "requester", "other_member"])
def test_reading_attachments_never_scans_the_requests(cast, who):
    """The request's scope is a lookup of the attachment's own request by its key: the plan never walks the
    requests table (a list of every request the account sees: 100 ms at 100,000 requests on SQLite)."""
    ticket = submit(cast)
    attachment = attach(ticket, cast.requester)
    user = getattr(cast, who)
    for queryset in (
        Attachment.objects.for_user(user).filter(ticket=ticket),
        Attachment.objects.for_user(user).select_related("ticket").filter(pk=attachment.pk),
    ):
        assert ticket_scans(queryset) == []


def test_the_request_page_lists_the_files_the_reader_may_see(cast):
    ticket = submit(cast)
    attach(ticket, cast.requester, "demande.txt")
    services.ticket_reply(
        ticket=ticket,
        author=cast.assignee,
        body="Note",
        internal=True,
        attachments=[("note.txt", "text/plain", b"Interne\n")],
    )
    staff_html = client_for(cast.other_staff).get(ticket.get_absolute_url()).content.decode()
    requester_html = client_for(cast.requester).get(ticket.get_absolute_url()).content.decode()
    assert "demande.txt" in staff_html and "note.txt" in staff_html
    assert "demande.txt" in requester_html and "note.txt" not in requester_html


def test_the_page_links_exactly_the_files_the_reader_may_download(cast):
    """The page reads the request's files without `Attachment.objects.for_user` (the request and its thread are
    scoped already): for everyone who sees the page, its links are exactly the files that scope lets them
    download, on a request and on a confidential one, with files on the request, a reply and an internal note."""
    plain = submit(cast)
    secret = submit(cast, kind="mal-etre", subject="Confidentiel", recipient=cast.assignee)
    for ticket in (plain, secret):
        attach(ticket, cast.requester, "demande.txt")
        for internal in (False, True):
            services.ticket_reply(
                ticket=ticket,
                author=cast.assignee,
                body="Note" if internal else "Réponse",
                internal=internal,
                attachments=[("note.txt" if internal else "reponse.txt", "text/plain", b"Texte\n")],
            )
    seen = 0
    for user in (cast.requester, cast.teammate, cast.assignee, cast.other_staff, cast.pole_lead, cast.admin):
        client = client_for(user)
        for ticket in (plain, secret):
            response = client.get(ticket.get_absolute_url())
            allowed = {a.pk for a in Attachment.objects.for_user(user).filter(ticket=ticket)}
            if response.status_code == 404:
                assert not allowed, user.username
                continue
            links = {int(pk) for pk in re.findall(r'href="/guichet/pieces-jointes/(\d+)/"', response.content.decode())}
            assert links == allowed, (user.username, ticket.confidential)
            seen += 1
    assert seen >= 6  # the requester and the handlers saw pages with files
