"""Personal data: `manage.py export_person` gives a person everything the platform holds about them — and nothing of
another person's confidential request — and `manage.py purge` anonymises what the retention periods have made
unnecessary: confidential requests closed long enough ago, accounts unused long enough that nothing still needs."""

import datetime
import json
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from freezegun import freeze_time

from incubateur.accounts.api_auth import api_token_issue
from incubateur.accounts.models import ApiToken, LoginToken, User
from incubateur.accounts.services import login_link_request
from incubateur.core import journal
from incubateur.core.models import JournalEntry, Notification, NotificationStatus, Visibility
from incubateur.guichet import services
from incubateur.guichet.models import Message, Read, Ticket
from incubateur.organisation.models import Pole, Position
from incubateur.portfolios.models import Committee
from incubateur.programmes.models import (
    Application,
    ApplicationStatus,
    Call,
    Programme,
    Review,
    SelectionCriterion,
)
from tests.factories import UserFactory, person
from tests.registry.factories import MemberFactory, MissionFactory, OrganisationFactory, ProductFactory, team_member

SECRET_SUBJECT = "Objet-SECRET-5d1e"
SECRET_BODY = "Corps-SECRET-a0c4"
SECRET_REPLY = "Reponse-SECRET-77b2"
SECRET_NOTE = "Note-SECRET-3e9f"
SECRETS = (SECRET_SUBJECT, SECRET_BODY, SECRET_REPLY, SECRET_NOTE)


@pytest.fixture
def justice_product(organisation):
    sponsor = OrganisationFactory(ghid="dir-justice", name="Direction de la Justice", domaine_ministeriel="justice")
    product = ProductFactory(ghid="justice-pour-tous", name="Justice pour tous", phase="construction")
    product.productsponsor_set.create(organisation=sponsor, order=0)
    return product


def export_of(who: str, tmp_path) -> tuple[dict, str]:
    path = tmp_path / "export.json"
    call_command("export_person", who, output=str(path), stderr=StringIO())
    text = path.read_text(encoding="utf-8")
    return json.loads(text), text


def strings(value) -> list[str]:
    """Every string in a JSON document, keys included."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


# --- export_person ---------------------------------------------------------------------------------------------


@pytest.fixture
def confidential(justice_product):
    """A confidential `mal-etre` request by A (a product's team member) to B (Gaël Ivoire, staff), with a read by B,
    B's reply, B's internal note and A's answer. C is other staff, D an administrator: neither has any part in it."""
    a = team_member(justice_product, username="camille.requerante")
    b = person("gael.ivoire")
    ticket = services.ticket_submit(
        requester=a, kind="mal-etre", subject=SECRET_SUBJECT, body=SECRET_BODY, recipient=b
    )
    services.ticket_read(ticket=ticket, user=b)
    services.ticket_reply(ticket=ticket, author=b, body=SECRET_REPLY)
    services.ticket_reply(ticket=ticket, author=b, body=SECRET_NOTE, internal=True)
    services.ticket_reply(ticket=ticket, author=a, body="Merci de votre réponse")
    return SimpleNamespace(
        a=a, b=b, c=person("antoine.rivage"), d=UserFactory(username="admin.site", admin=True), ticket=ticket
    )


def test_the_requester_exports_their_confidential_request_with_what_they_may_read(confidential, tmp_path):
    data, text = export_of("camille.requerante", tmp_path)

    assert set(data) == {"accounts", "registry", "guichet", "programmes", "portfolios", "community"}
    assert data["accounts"]["compte"]["identifiant"] == "camille.requerante"
    assert data["registry"]["fiche"]["identifiant"] == "camille.requerante"
    assert [m["produits"] for m in data["registry"]["missions"]] == [["Justice pour tous"]]
    [request] = data["guichet"]["demandes"]
    assert request["reference"] == confidential.ticket.reference
    assert (request["objet"], request["message"], request["confidentielle"]) == (SECRET_SUBJECT, SECRET_BODY, True)
    # The replies they read on the page; never the handler's internal note.
    assert [m["message"] for m in request["messages"]] == [SECRET_REPLY, "Merci de votre réponse"]
    assert SECRET_NOTE not in text
    assert request["personnes_ayant_acces"] == ["Gaël Ivoire"]
    assert [r["par"] for r in request["consultations"]] == ["Gaël Ivoire"]
    # The confidential journal rows of their own request come with it; the accounts' journal has none.
    actions = [e["action"] for e in data["guichet"]["journal_de_mes_demandes_confidentielles"]]
    assert actions == ["guichet.ticket_submitted", "guichet.reply_added"]
    assert not [e for e in data["accounts"]["journal"] if e["action"].startswith("guichet.")]


def test_the_recipient_exports_the_reference_and_dates_only(confidential, tmp_path):
    data, text = export_of("gael.ivoire@beta.gouv.fr", tmp_path)

    assert data["accounts"]["compte"]["identifiant"] == "gael.ivoire"
    assert not [s for s in SECRETS if s in text]
    assert data["guichet"]["demandes"] == []
    [handled] = data["guichet"]["demandes_traitees"]
    assert set(handled) == {"reference", "role", "creee_le", "close_le"}
    assert handled["reference"] == confidential.ticket.reference
    assert handled["role"] == ["attribuée", "personne ayant accès", "a écrit"]
    assert [r["demande"] for r in data["guichet"]["consultations"]] == [confidential.ticket.reference]
    # Their replies and notes on it are confidential journal rows: not listed.
    assert data["guichet"]["journal_de_mes_demandes_confidentielles"] == []
    assert not [e for e in data["accounts"]["journal"] if confidential.ticket.reference in e["message"]]


@pytest.mark.parametrize("who", ["antoine.rivage", "admin.site"])
def test_a_third_person_exports_nothing_of_it(confidential, tmp_path, who):
    data, text = export_of(who, tmp_path)

    assert data["accounts"]["compte"]["identifiant"] == who
    assert not [s for s in SECRETS if s in text]
    assert confidential.ticket.reference not in strings(data)
    assert all(value == [] for value in data["guichet"].values())


def test_no_password_hash_no_token_secret(confidential, tmp_path):
    a = confidential.a
    a.set_password("Mot-de-passe-tres-secret")
    a.save()
    token, secret = api_token_issue(user=a, name="Mon script")
    login_link_request(email=a.email, ip="203.0.113.5")
    login_token = LoginToken.objects.get(user=a)
    # (the link itself is never stored: the worker writes its secret into the e-mail at send time)
    assert "/connexion/lien/" not in Notification.objects.get(kind="accounts.login_link").body

    data, text = export_of(a.email.upper(), tmp_path)  # an address, in any case

    for forbidden in (a.password, secret, token.token_hash, login_token.token_hash):
        assert forbidden not in text
    assert [t["nom"] for t in data["accounts"]["jetons_d_api"]] == ["Mon script"]
    assert [t["demande_depuis"] for t in data["accounts"]["liens_de_connexion"]] == ["203.0.113.5"]
    assert "accounts.login_link" in [n["type"] for n in data["accounts"]["notifications_recues"]]
    assert "accounts.api_token_issued" not in text  # issued by nobody (`by=None`): not an action of theirs


def test_applications_reviews_committees_and_offers(confidential, justice_product, tmp_path):
    a, b = confidential.a, confidential.b
    now = timezone.now()
    call = Call.objects.create(
        programme=Programme.objects.create(slug="fast", name="FAST"),
        title="FAST 18",
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now - datetime.timedelta(days=1),
        created_by=b,
    )
    criterion = SelectionCriterion.objects.create(call=call, label="Impact", weight=2)
    # Decided, results not published: the applicant still reads "en comité", without the amount.
    application = Application.objects.create(
        call=call,
        product=justice_product,
        applicant=a,
        answers={"probleme": "Réponse de Camille"},
        status=ApplicationStatus.LAUREATE,
        amount_granted=120_000,
        decision_reasons="Motifs-internes",
        decided_by=b,
        decided_at=now,
        submitted_at=now - datetime.timedelta(days=2),
    )
    Review.objects.create(
        application=application,
        reviewer=b,
        scores={str(criterion.pk): 4},
        comment="Commentaire de Gaël",
        submitted_at=now,
    )
    committee = Committee.objects.create(
        product=justice_product, date=now.date(), decision="poursuite", recorded_by=b, comment="Comité-interne"
    )
    pierre = person("pierre.boussole")
    offer = services.offer_propose(
        offered_by=pierre, product=justice_product, topic="Aide juridique", message="Je peux"
    )
    accepted = services.offer_accept(offer=offer, member_user=a)

    mine, _ = export_of("camille.requerante", tmp_path)
    [applied] = mine["programmes"]["candidatures"]
    assert applied["reponses"] == {"probleme": "Réponse de Camille"}
    assert (applied["statut"], applied["montant_accorde"], applied["motifs_de_la_decision"]) == (
        "En comité",
        None,
        None,
    )
    assert [(o["role"], o["sujet"]) for o in mine["guichet"]["offres_d_aide"]] == [("décidée", "Aide juridique")]
    assert accepted.reference in [d["reference"] for d in mine["guichet"]["demandes"]]

    theirs, text = export_of("gael.ivoire", tmp_path)
    [review] = theirs["programmes"]["evaluations"]
    assert (review["candidature"], review["notes"], review["commentaire"]) == (
        f"n°{application.pk}",
        {"Impact": 4},
        "Commentaire de Gaël",
    )
    assert theirs["portfolios"]["comites_enregistres"][0]["reference"] == f"n°{committee.pk}"
    assert theirs["programmes"]["candidatures_decidees"][0]["reference"] == f"n°{application.pk}"
    assert [c["titre"] for c in theirs["programmes"]["appels_crees"]] == ["FAST 18"]
    assert "Réponse de Camille" not in text and "Comité-interne" not in text

    offered, _ = export_of("pierre.boussole", tmp_path)
    assert [(o["role"], o["message"]) for o in offered["guichet"]["offres_d_aide"]] == [("proposée", "Je peux")]
    assert [d["reference"] for d in offered["guichet"]["demandes_traitees"]] == [accepted.reference]


def test_an_unknown_person_is_an_error(organisation):
    with pytest.raises(CommandError, match="Personne inconnue"):
        call_command("export_person", "personne.inconnue", stdout=StringIO())


# --- purge: confidential requests ------------------------------------------------------------------------------

T0 = "2024-01-10 10:00:00"  # a Wednesday


@pytest.fixture
def clock():
    """Frozen at T0; request it before the organisation, so that its positions start that day."""
    with freeze_time(T0) as frozen:
        yield frozen


def purge(*args) -> str:
    out = StringIO()
    call_command("purge", *args, stdout=out)
    return out.getvalue()


def close(ticket, handler):
    ticket = Ticket.objects.get(pk=ticket.pk)  # as the page reads it (replies moved its version)
    services.ticket_status_set(ticket=ticket, actor=handler, status="resolu")
    services.ticket_status_set(ticket=ticket, actor=handler, status="clos")


def state(ticket) -> tuple:
    ticket = Ticket.objects.get(pk=ticket.pk)
    return (
        ticket.subject,
        ticket.body,
        ticket.idempotency_key,
        ticket.kind,
        ticket.status,
        ticket.created_at,
        ticket.closed_at,
        list(Message.objects.filter(ticket=ticket).values_list("body", flat=True)),
        Read.objects.filter(ticket=ticket).count(),
    )


def test_purge_anonymises_confidential_requests_closed_long_enough_ago(clock, justice_product):
    a = team_member(justice_product, username="camille.requerante")
    b = person("gael.ivoire")

    def confidential(subject: str):
        ticket = services.ticket_submit(requester=a, kind="mal-etre", subject=subject, body=SECRET_BODY, recipient=b)
        services.ticket_read(ticket=ticket, user=b)
        services.ticket_reply(ticket=ticket, author=b, body=SECRET_REPLY)
        services.ticket_reply(ticket=ticket, author=b, body=SECRET_NOTE, internal=True)
        return ticket

    old = services.ticket_submit(
        requester=a, kind="mal-etre", subject=SECRET_SUBJECT, body=SECRET_BODY, recipient=b, idempotency_key="cle-1"
    )
    services.ticket_read(ticket=old, user=b)
    services.ticket_reply(ticket=old, author=b, body=SECRET_REPLY)
    services.ticket_reply(ticket=old, author=b, body=SECRET_NOTE, internal=True)
    close(old, b)
    normal = services.ticket_submit(
        requester=a, kind="doute-produit", subject="Question ordinaire", body="Texte", product=justice_product
    )
    close(normal, normal.assignee)
    still_open = confidential("Toujours ouverte")
    clock.move_to("2024-03-10 10:00:00")
    recent = confidential("Close plus tard")
    close(recent, b)

    clock.move_to("2026-02-20 10:00:00")  # old: closed 25 months ago; recent: 23 months ago
    before = {t.pk: state(t) for t in (old, normal, still_open, recent)}
    journal_rows = JournalEntry.objects.count()

    out = purge("--dry-run")
    assert "guichet — demandes : 1, messages : 2, consultations : 1" in out
    assert "Simulation" in out
    assert {t.pk: state(t) for t in (old, normal, still_open, recent)} == before
    assert JournalEntry.objects.count() == journal_rows

    out = purge()
    assert "guichet — demandes : 1, messages : 2, consultations : 1" in out
    subject, body, key, kind, status, created_at, closed_at, messages, reads = state(old)
    assert (subject, body, key, reads) == ("[anonymisé]", "[anonymisé]", None, 0)
    assert messages == ["[anonymisé]", "[anonymisé]"]
    assert (kind, status, created_at, closed_at) == before[old.pk][3:7]
    for kept in (normal, still_open, recent):
        assert state(kept) == before[kept.pk]
    entry = JournalEntry.objects.get(action="guichet.confidential_anonymised")
    assert (entry.actor, entry.visibility, entry.data) == (
        None,
        Visibility.INTERNAL,
        {
            "demandes": 1,
            "messages": 2,
            "consultations": 1,
        },
    )
    assert not [s for s in SECRETS if s in entry.message]
    # The journal keeps the facts of the request (who submitted, who replied).
    assert JournalEntry.objects.about(old).filter(actor=a, action="guichet.ticket_submitted").exists()

    after = {t.pk: state(t) for t in (old, normal, still_open, recent)}
    out = purge()
    assert "guichet — demandes : 0, messages : 0, consultations : 0" in out
    assert {t.pk: state(t) for t in (old, normal, still_open, recent)} == after
    assert JournalEntry.objects.count() == journal_rows + 1


# --- purge: inactive accounts ----------------------------------------------------------------------------------


def test_purge_anonymises_inactive_accounts_nothing_needs(settings):
    settings.RETENTION_INACTIVE_ACCOUNTS_YEARS = 3
    with freeze_time("2022-01-05 10:00:00") as clock:
        then = timezone.now()
        old = dict(last_login=then)
        inactive = UserFactory(username="ines.inactive", first_name="Inès", last_name="Inactive", **old)
        never = UserFactory(username="nadia.jamais", first_name="", last_name="", last_login=None)
        active = UserFactory(username="alix.active", first_name="Alix", last_name="Active", **old)
        admin = UserFactory(username="ada.admin", admin=True, **old)
        pole = Pole.objects.create(slug="pole", name="Pôle")
        staff = UserFactory(username="sam.poste", staff=True, **old)
        Position.objects.create(pole=pole, person=staff, title="Chargée de mission", start_date=then.date())
        left = UserFactory(username="lou.partie", **old)
        Position.objects.create(
            pole=pole, person=left, title="Ancien poste", start_date=then.date(), end_date=then.date()
        )
        member = UserFactory(username="mo.mission", **old)
        MissionFactory(member=MemberFactory(username="mo.mission", user=member), start=then.date(), end=None)
        finished = UserFactory(username="fin.mission", **old)
        MissionFactory(member=MemberFactory(username="fin.mission", user=finished), start=then.date(), end=then.date())
        name = inactive.get_full_name()
        api_token_issue(user=inactive, name="Script", by=inactive)
        login_link_request(email=inactive.email, ip="203.0.113.5")
        with transaction.atomic():  # rows that quote people, as the guichet's reassignments and accesses do
            journal.record(
                actor=active,
                action="test.reassigned",
                message="Demande G-1 réattribuée de Inès Inactive à Alix Active",
                visibility=Visibility.INTERNAL,
                data={"from": "ines.inactive", "to": "alix.active", "seen": [{"by": "ines.inactive"}]},
            )
            journal.record(
                actor=active,
                action="test.access",
                message="nadia.jamais a maintenant accès à la demande G-2 (Inès reste informée)",
                visibility=Visibility.INTERNAL,
                data={"user": "nadia.jamais", "note": "nadia.jamais, sans nom"},
            )

        clock.move_to("2024-03-01 10:00:00")
        User.objects.filter(pk=active.pk).update(last_login=timezone.now())
        clock.move_to("2025-03-01 10:00:00")  # 3 years and 2 months after the others' last login

        def snapshot():
            return list(User.objects.order_by("pk").values()), ApiToken.objects.count(), LoginToken.objects.count()

        before = snapshot()
        out = purge("--dry-run")
        assert "accounts — comptes : 4, liens de connexion : 1, jetons d'API : 1, notifications : 1" in out
        assert snapshot() == before

        out = purge()
        assert "accounts — comptes : 4, liens de connexion : 1, jetons d'API : 1, notifications : 1" in out
        for gone in (inactive, never, left, finished):
            gone.refresh_from_db()
            assert (gone.email, gone.username, gone.first_name, gone.last_name, gone.is_active) == (
                f"anonyme-{gone.pk}@invalid",
                None,
                "",
                "",
                False,
            )
            assert not gone.has_usable_password()
        for kept in (active, admin, staff, member):
            assert User.objects.get(pk=kept.pk).email == kept.email
        assert not ApiToken.objects.filter(user=inactive).exists()
        assert not LoginToken.objects.filter(user=inactive).exists()
        # The journal keeps the fact and who did it (the anonymised account), not their address.
        issued = JournalEntry.objects.get(action="accounts.api_token_issued")
        assert issued.actor_id == inactive.pk
        assert inactive.email in issued.message and "ines.inactive" not in issued.message
        assert issued.object_repr == inactive.email and name not in issued.object_repr
        sent = JournalEntry.objects.get(action="accounts.login_link_sent")
        assert "ines.inactive" not in sent.message
        # ... nor their name, nor their username: the others, and a first name alone, are left as they were.
        reassigned = JournalEntry.objects.get(action="test.reassigned")
        assert reassigned.message == f"Demande G-1 réattribuée de {inactive.email} à Alix Active"
        assert reassigned.data == {"from": inactive.email, "to": "alix.active", "seen": [{"by": inactive.email}]}
        access = JournalEntry.objects.get(action="test.access")
        assert access.message == f"{never.email} a maintenant accès à la demande G-2 (Inès reste informée)"
        assert access.data == {"user": never.email, "note": f"{never.email}, sans nom"}
        summary = JournalEntry.objects.get(action="accounts.inactive_anonymised")
        assert (summary.actor, summary.visibility, summary.data["comptes"]) == (None, Visibility.INTERNAL, 4)
        notification = Notification.objects.get(kind="accounts.login_link")
        assert (notification.recipient, notification.body, notification.status) == (
            inactive.email,
            "[anonymisé]",
            NotificationStatus.EXPIRED,
        )

        after, journal_rows = snapshot(), JournalEntry.objects.count()
        out = purge()
        assert "accounts — comptes : 0, liens de connexion : 0, jetons d'API : 0, notifications : 0" in out
        assert snapshot() == after
        assert JournalEntry.objects.count() == journal_rows
