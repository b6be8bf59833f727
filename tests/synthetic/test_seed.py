"""`manage.py seed_synthetic`: deterministic, every kind of request, confidential requests with their participants,
rows consistent with what the services would have written (routing, deadlines, active teams), the data of the pages
of #11–#15, and the fast writer (COPY on PostgreSQL) writing what bulk_create writes."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from incubateur.community import checklists
from incubateur.community.models import ChecklistTick
from incubateur.core.models import JournalEntry, Visibility
from incubateur.guichet import workdays
from incubateur.guichet.kinds import CONFIDENTIAL_KINDS, Kind
from incubateur.guichet.models import Attachment, Message, Offer, OfferStatus, Participant, Read, Status, Ticket
from incubateur.guichet.routing import route
from incubateur.organisation.models import Department
from incubateur.portfolios.models import Committee
from incubateur.programmes.models import Application, Call, Programme
from incubateur.recruitment.models import JobPost
from incubateur.recruitment.models import Kind as PostKind
from incubateur.recruitment.models import Status as PostStatus
from incubateur.registry.models import Member, Mission, Phase, Product
from incubateur.synthetic import generator
from incubateur.transparency import journal as transparency_journal
from tests.factories import UserFactory, person
from tests.organisation.helpers import load_organisation
from tests.registry.factories import ProductFactory

NOW = datetime.datetime(2026, 11, 25, 10, 30, tzinfo=datetime.UTC)


@pytest.fixture
def organisation():
    load_organisation(routing=True)
    call_command("load_programmes", stdout=StringIO())


def snapshot() -> dict:
    """What a seed wrote, without the primary keys (they differ from one run to the next)."""
    synthetic = {"ghid__startswith": generator.GHID_PREFIX}
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (
                Product,
                Phase,
                Member,
                Mission,
                Ticket,
                Message,
                Participant,
                Read,
                Offer,
                Call,
                Application,
            )
        },
        "products": list(
            Product.objects.filter(**synthetic)
            .order_by("pk")
            .values_list("ghid", "name", "pitch", "thematiques", "repository", "contact_dinum")[:5]
        ),
        "phases": list(
            Phase.objects.filter(product__ghid__startswith=generator.GHID_PREFIX)
            .order_by("pk")
            .values_list("product__ghid", "name", "start", "end")[:10]
        ),
        "members": list(Member.objects.order_by("pk").values_list("username", "fullname", "role", "domaine")[:10]),
        "missions": list(
            Mission.objects.order_by("pk").values_list("member__username", "start", "end", "status")[:10]
        ),
        "tickets": list(
            Ticket.objects.order_by("pk").values_list(
                "kind",
                "topic",
                "subject",
                "body",
                "status",
                "confidential",
                "product__ghid",
                "requester__username",
                "assignee__username",
                "routing_reason",
                "created_at",
                "first_response_due",
                "first_response_at",
                "closed_at",
            )[:20]
        ),
        "messages": list(
            Message.objects.order_by("pk").values_list("author__username", "internal", "body", "created_at")[:20]
        ),
        "applications": list(
            Application.objects.order_by("pk").values_list(
                "call__title", "product__ghid", "status", "amount_requested", "amount_granted"
            )[:10]
        ),
    }


def test_the_same_seed_gives_the_same_rows(organisation):
    generator.seed(scale=2, seed=7, now=NOW)
    first = snapshot()
    generator.delete()
    generator.seed(scale=2, seed=7, now=NOW)
    assert snapshot() == first
    generator.delete()
    generator.seed(scale=2, seed=8, now=NOW)
    other = snapshot()
    assert other["tickets"] != first["tickets"]
    assert other["members"] != first["members"]


def test_the_sizes_follow_the_scale(organisation):
    report = generator.seed(scale=3, seed=0)
    synthetic = Product.objects.filter(ghid__startswith=generator.GHID_PREFIX)
    assert synthetic.count() == 3
    assert Member.objects.filter(user__email__endswith="@" + generator.EMAIL_DOMAIN).count() == 30
    assert Ticket.objects.count() == 30
    assert report.counts["demandes"] == 30
    assert Call.objects.filter(title__endswith=generator.CALL_MARK).count() >= 4
    assert Application.objects.exists()
    assert "demandes : 30" in report.lines()


def test_every_kind_is_there_and_confidential_requests_have_their_participants(organisation):
    generator.seed(scale=1, seed=0, now=NOW)
    tickets = Ticket.objects.all()
    assert set(tickets.values_list("kind", flat=True)) == set(Kind.values)
    confidential = tickets.filter(confidential=True)
    assert set(confidential.values_list("kind", flat=True)) > set(CONFIDENTIAL_KINDS)  # and one marked so
    for ticket in confidential:
        participants = set(Participant.objects.filter(ticket=ticket).values_list("user", flat=True))
        assert ticket.assignee_id in participants
        assert ticket.pole_id is None and ticket.portfolio_id is None
        assert ticket.routing_reason.endswith("personne choisie par l'auteur de la demande")
        assert ticket.escalated_at is None  # never escalated to a pole lead
        outsider = next(s for s in (person("antoine.rivage"), person("pierre.boussole")) if s.pk not in participants)
        assert not Ticket.objects.for_user(outsider).filter(pk=ticket.pk).exists()
        assert Ticket.objects.for_user(ticket.requester).filter(pk=ticket.pk).exists()
    assert Read.objects.filter(ticket__confidential=True).exists()
    assert not Participant.objects.filter(ticket__confidential=False).exists()


def test_the_desk_has_overdue_closed_answered_requests_and_internal_notes(organisation):
    generator.seed(scale=1, seed=0, now=timezone.now())
    assert Ticket.objects.overdue().exists()
    assert Ticket.objects.filter(status=Status.CLOSED, closed_at__isnull=False, resolved_at__isnull=False).exists()
    assert Ticket.objects.filter(status=Status.IN_PROGRESS, first_response_at__isnull=False).exists()
    assert Message.objects.filter(internal=True).exists()
    assert Offer.objects.filter(status=OfferStatus.PENDING).exists()


def test_rows_are_what_the_services_would_have_written(organisation):
    generator.seed(scale=5, seed=3, now=NOW)
    for ticket in Ticket.objects.select_related("product", "requester", "assignee"):
        assert ticket.first_response_due == workdays.first_response_due(ticket.created_at)
        if ticket.product is not None and not ticket.team_owned:
            # Only a member of the product's active team can ask about it.
            assert Product.objects.with_active_member(ticket.requester).filter(pk=ticket.product.pk).exists()
        if ticket.first_response_at is not None and ticket.channel != "offre":
            first = Message.objects.filter(ticket=ticket, internal=False).exclude(author=ticket.requester).first()
            assert first is not None and first.created_at == ticket.first_response_at
        for message in Message.objects.filter(ticket=ticket):
            assert ticket.created_at <= message.created_at <= NOW
        if ticket.status == Status.CLOSED:
            assert ticket.created_at < ticket.resolved_at <= ticket.closed_at <= NOW
    # The routing is the routing table's: the same assignee and sentence as `route()` today.
    routed = Ticket.objects.filter(confidential=False, team_owned=False).select_related("product")[:40]
    assert routed
    for ticket in routed:
        expected = route(kind=ticket.kind, topic=ticket.topic, product=ticket.product, ministry=ticket.ministry)
        assert ticket.assignee == expected.assignee
        assert ticket.routing_reason == expected.reason
        assert set(ticket.copied.all()) == set(expected.copied)
    # An accepted offer opened a request owned by the team, handled by whoever offered.
    for offer in Offer.objects.filter(status=OfferStatus.ACCEPTED).select_related("ticket"):
        assert offer.ticket.team_owned and offer.ticket.assignee_id == offer.offered_by_id
    # Granted amounts stay within each call's cap and envelope.
    for call in Call.objects.filter(title__endswith=generator.CALL_MARK):
        granted = [a.amount_granted for a in call.applications.all() if a.amount_granted]
        assert sum(granted) <= call.envelope and all(amount <= call.cap for amount in granted)
    assert Committee.objects.exists()


def test_the_command_loads_what_is_missing_refuses_to_run_twice_and_replaces_with_force():
    assert not Department.objects.exists()
    out = StringIO()
    call_command("seed_synthetic", "--scale", "1", stdout=out)
    assert Department.objects.exists() and Programme.objects.exists()
    assert "load_organisation" in out.getvalue() and "demandes : 10" in out.getvalue()
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_synthetic", "--scale", "1", stdout=StringIO())
    # What is not synthetic stays.
    product = ProductFactory(ghid="un-vrai-produit")
    user = UserFactory(username="une.vraie.personne")
    out = StringIO()
    call_command("seed_synthetic", "--scale", "2", "--force", stdout=out)
    assert "supprimées" in out.getvalue()
    assert Ticket.objects.count() == 20
    assert Product.objects.filter(pk=product.pk).exists()
    assert type(user).objects.filter(pk=user.pk).exists()
    generator.delete()
    assert not generator.exists()
    assert Product.objects.filter(pk=product.pk).exists() and not Ticket.objects.exists()


def test_the_fast_writer_writes_what_bulk_create_writes(organisation):
    """`_bulk` (COPY on PostgreSQL, executemany on SQLite) and `_rows` (plain tuples) against bulk_create: the same
    columns and values (enums, aware datetimes, JSON, defaults, auto_now), ascending fresh primary keys."""
    generator.seed(scale=1, seed=0, now=NOW)
    ticket = Ticket.objects.order_by("pk").first()
    fields = [
        f.attname
        for f in Ticket._meta.concrete_fields
        if f.attname not in ("id", "reference", "updated_at", "idempotency_key")
    ]

    def copy(reference: str) -> Ticket:
        values = {name: getattr(ticket, name) for name in fields}
        return Ticket(**values, reference=reference, idempotency_key=reference)

    [orm] = Ticket.objects.bulk_create([copy("G-AAAA-AAAA")])
    [fast] = generator._bulk(Ticket, [copy("G-BBBB-BBBB")])
    assert fast.pk > orm.pk and not fast._state.adding
    rows = {t.reference: t for t in Ticket.objects.filter(pk__in=[orm.pk, fast.pk])}
    for name in fields:
        assert getattr(rows["G-AAAA-AAAA"], name) == getattr(rows["G-BBBB-BBBB"], name), name
    assert rows["G-BBBB-BBBB"].updated_at is not None

    data = {"kind": "autre", "nested": {"list": [1, "é"]}}
    by_orm = JournalEntry.objects.bulk_create(
        [JournalEntry(at=NOW, action="x.orm", message="m", visibility=Visibility.INTERNAL, object_id="1", data=data)]
    )[0]
    [pk] = generator._rows(
        JournalEntry,
        ("at", "action", "message", "visibility", "object_id", "data"),
        [(NOW, "x.fast", "m", Visibility.INTERNAL, "1", data)],
    )
    assert pk > by_orm.pk
    written = JournalEntry.objects.get(pk=pk)
    assert (written.at, written.visibility, written.data, written.actor_id, written.object_repr) == (
        NOW,
        Visibility.INTERNAL,
        data,
        None,
        "",
    )


def test_the_new_pages_have_their_data_and_delete_removes_it(organisation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        generator.seed(scale=10, seed=0, now=NOW)
    posts = JobPost.objects.filter(product__ghid__startswith=generator.GHID_PREFIX)
    assert posts.count() == 5
    today = NOW.date()
    assert posts.open_public(today).filter(kind=PostKind.EMPLOI).exists()
    assert posts.open_public(today).filter(kind=PostKind.MISSION).exists()
    assert posts.open_for_community(today).exclude(pk__in=posts.open_public(today)).exists()
    assert posts.filter(status=PostStatus.PUBLIC, unpublish_on__lte=today).exists()  # expired
    assert posts.filter(status=PostStatus.POURVU, closed_at__isnull=False).exists()
    shown = transparency_journal.published()
    assert shown.filter(action="recruitment.published").count() == posts.filter(published_at__isnull=False).count()
    assert shown.filter(action="recruitment.closed").exists()
    ticks = ChecklistTick.objects.all()
    assert ticks.exists() and ticks.values("member").distinct().count() == 10  # one member in ten of 100
    for tick in ticks:
        assert checklists.item(tick.checklist, tick.item) is not None
    attachments = list(Attachment.objects.select_related("ticket").order_by("pk"))
    assert len(attachments) == 10 and not any(a.ticket.confidential for a in attachments)
    assert all(a.file.storage.exists(a.file.name) for a in attachments)
    assert attachments[0].file.read() == "Pièce jointe synthétique n°1.\n".encode()

    with django_capture_on_commit_callbacks(execute=True):
        generator.delete()
    assert not JobPost.objects.exists() and not ChecklistTick.objects.exists() and not Attachment.objects.exists()
    assert not JournalEntry.objects.filter(action__startswith="recruitment.").exists()
    assert not any(a.file.storage.exists(a.file.name) for a in attachments)
