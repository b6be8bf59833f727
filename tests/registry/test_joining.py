"""Joining (#14): a teammate adds a newcomer, the incubator validates or refuses; a member proposes a product.

Every rule and right of `registry.services.joining` and `registry.perms` (can_propose_member, can_review…), through
the pages, with the real SMTP peer for the e-mails.
"""

import datetime
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st

from incubateur.accounts.models import LoginToken, User
from incubateur.core.errors import NotAllowed
from incubateur.core.models import JournalEntry, Notification, Visibility
from incubateur.registry import perms
from incubateur.registry.converters import identifier_problem
from incubateur.registry.enums import ReviewDecision, ReviewState
from incubateur.registry.models import Member, Review
from incubateur.registry.services import joining
from tests.factories import UserFactory
from tests.registry.factories import IncubatorFactory, MemberFactory, ProductFactory, TeamFactory, team_member
from tests.utils import run_tasks

WELCOME = re.compile(r"http://testserver(/bienvenue/[^/\s]+/)")
LOGIN = re.compile(r"http://testserver(/connexion/lien/[^/\s]+/)")


@pytest.fixture
def world(db):
    incubator = IncubatorFactory(ghid="incubateur-sud", title="Incubateur du Sud")
    product = ProductFactory(ghid="rdv.mjd", name="RDV Justice", incubator=incubator, phase="construction")
    teammate = team_member(product, username="alice.equipe", first_name="Alice", last_name="Équipe")
    reviewer = UserFactory(username="rose.incub", first_name="Rose", last_name="Incub")
    team = TeamFactory(ghid="equipe-sud", name="Équipe du Sud", incubator=incubator)
    MemberFactory(username="rose.incub", fullname="Rose Incub", user=reviewer).teams.add(team)
    other_incubator_member = UserFactory(username="omar.ailleurs")
    MemberFactory(username="omar.ailleurs", user=other_incubator_member).teams.add(TeamFactory(ghid="equipe-nord"))
    return {
        "incubator": incubator,
        "product": product,
        "teammate": teammate,
        "reviewer": reviewer,
        "elsewhere": other_incubator_member,
        "outsider": UserFactory(username="olga.dehors"),
        "staff": UserFactory(staff=True, email="staff@beta.gouv.fr"),
        "admin": UserFactory(admin=True),
    }


def propose(client, product, **changes):
    data = {
        "product": product.ghid,
        "first_name": "Jeanne",
        "last_name": "Dupré",
        "email": "Jeanne.Dupre@Example.org",
        "domaine": "Design",
        "role": "Designer",
        "start": timezone.localdate().isoformat(),
        "end": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
        "status": "independent",
        "employer": "Agence Exemple",
        **changes,
    }
    return client.post(reverse("registry:member_propose"), data)


def login(client, user):
    client.force_login(user)
    return client


def decide(client, review, decision, reason=""):
    url = reverse("registry:review_detail", args=[review.pk])
    first = client.post(url, {"decision": decision, "reason": reason})
    if first.status_code != 200 or "Confirmer la décision" not in first.content.decode():
        return first
    return client.post(url, {"decision": decision, "reason": reason, "confirmer": "1"})


def proposed_member(world) -> Member:
    return joining.member_propose(
        by=world["teammate"],
        product=world["product"],
        first_name="Jeanne",
        last_name="Dupré",
        email="jeanne.dupre@example.org",
        domaine="Design",
        role="Designer",
        start=timezone.localdate(),
        end=timezone.localdate() + datetime.timedelta(days=90),
        status="independent",
    )


# --- Proposing a member -------------------------------------------------------------------------------------------


def test_a_teammate_adds_a_newcomer_who_awaits_validation(client, world, smtp_server):
    page = login(client, world["teammate"]).get(reverse("registry:product_detail", args=["rdv.mjd"]))
    assert "Ajouter un membre à l'équipe" in page.content.decode()
    form = client.get(reverse("registry:member_propose") + "?produit=rdv.mjd").content.decode()
    assert '<option value="rdv.mjd" selected>' in form

    response = propose(client, world["product"])
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:product_detail", args=["rdv.mjd"])

    member = Member.objects.select_related("user").get(username="jeanne.dupre")
    assert member.review_state == ReviewState.PENDING
    assert member.fullname == "Jeanne Dupré" and member.domaine == "Design" and member.role == "Designer"
    assert member.user.email == "jeanne.dupre@example.org"
    assert member.user.is_active is False  # no link works before validation
    [mission] = member.missions.all()
    assert list(mission.products.all()) == [world["product"]] and mission.employer == "Agence Exemple"
    review = Review.objects.get(member=member)
    assert review.requested_by == world["teammate"] and review.decision == ""

    # Journaled internally only: nothing personal in public rows.
    rows = JournalEntry.objects.filter(action="registry.member_proposed")
    assert [row.visibility for row in rows] == [Visibility.INTERNAL]
    # The incubator's team is told, with the link to decide.
    run_tasks()
    [message] = smtp_server.messages
    assert message["To"] == world["reviewer"].email
    assert f"/validations/{review.pk}/" in message.get_content()

    # On the product's page, with its badge; not in the drop-in files nor the API's lists.
    client.logout()
    product_page = client.get(reverse("registry:product_detail", args=["rdv.mjd"])).content.decode()
    assert "Jeanne Dupré" in product_page and "en attente de validation" in product_page
    assert "jeanne.dupre" not in client.get("/api/v2.7/authors.json").content.decode()
    assert "jeanne.dupre" not in client.get("/api/v1/members").content.decode()
    assert client.get("/compteur_smiirl.json").json()["number"] == 1  # the teammate: the newcomer does not count yet

    # No login link before validation: the account is inactive.
    smtp_server.messages.clear()
    client.post("/connexion/", {"email": "jeanne.dupre@example.org"})
    run_tasks()
    assert smtp_server.messages == []


def test_an_address_that_has_an_account_is_refused_beside_the_field(client, world):
    UserFactory(email="deja@example.org")
    response = propose(login(client, world["teammate"]), world["product"], email="DEJA@example.org")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Un compte existe déjà avec cette adresse e-mail" in html
    assert "id_email-desc-error" in html or "fr-input-group--error" in html
    assert not Member.objects.filter(fullname="Jeanne Dupré").exists()


def test_the_mission_rules_apply_to_the_first_mission(client, world):
    far = (timezone.localdate() + datetime.timedelta(days=400)).isoformat()
    response = propose(login(client, world["teammate"]), world["product"], end=far)
    assert response.status_code == 200
    assert "hors agents publics" in response.content.decode()
    before = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = propose(client, world["product"], end=before)
    assert "La fin ne peut pas précéder le début" in response.content.decode()
    assert not Member.objects.filter(fullname="Jeanne Dupré").exists()


def test_usernames_are_prenom_nom_and_unique(world):
    assert joining.derive_username("Jean-Édouard", "de la Tour") == "jean-edouard.de-la-tour"
    MemberFactory(username="jeanne.dupre")
    UserFactory(username="jeanne.dupre2")
    assert joining.derive_username("Jeanne", "Dupré") == "jeanne.dupre3"


@given(first=st.text(max_size=40), last=st.text(max_size=40))
def test_a_derived_username_is_always_a_valid_identifier(first, last):
    username = joining.username_base(first, last)
    assert identifier_problem(username) is None
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)?", username)
    assert identifier_problem(username + "2") is None  # the suffix that makes it unique keeps it valid


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("teammate", True),
        ("reviewer", True),
        ("staff", True),
        ("admin", True),
        ("outsider", False),
        ("elsewhere", False),
    ],
)
def test_who_may_propose_a_member(world, who, allowed):
    assert perms.can_propose_member(world[who], world["product"]) is allowed
    assert (world["product"] in perms.products_open_to_proposals(world[who])) is allowed
    if not allowed:
        with pytest.raises(NotAllowed):
            proposed_member({**world, "teammate": world[who]})


def test_anonymous_may_propose_nothing(world):
    assert not perms.can_propose_member(AnonymousUser(), world["product"])
    assert not perms.can_propose_product(AnonymousUser())


def test_an_outsider_sees_an_empty_state_and_cannot_post_to_a_product(client, world):
    page = login(client, world["outsider"]).get(reverse("registry:member_propose")).content.decode()
    assert "Ce n'est le cas d'aucun produit pour l'instant" in page
    response = propose(client, world["product"])
    assert response.status_code == 200  # the product is not among the choices
    assert not Member.objects.filter(fullname="Jeanne Dupré").exists()


# --- Who reviews --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "before", "after"),
    [
        ("reviewer", True, True),  # a member of a team of the product's incubator
        ("teammate", False, False),  # the product's team proposes, the incubator decides
        ("elsewhere", False, False),  # another incubator's team
        ("outsider", False, False),
        ("staff", False, True),  # Incubator staff: only once escalated
        ("admin", True, True),
    ],
)
def test_who_may_decide(client, world, who, before, after):
    review = Review.objects.get(member=proposed_member(world))
    assert perms.can_review(world[who], review) is before
    assert (review in perms.reviews_for(world[who])) is before
    status = login(client, world[who]).get(reverse("registry:review_detail", args=[review.pk])).status_code
    assert status == (200 if before else 404)
    with freeze_time(timezone.now() + datetime.timedelta(days=5)):
        assert joining.reviews_escalate() == 1
        review.refresh_from_db()
        assert perms.can_review(world[who], review) is after
        assert (review in perms.reviews_for(world[who])) is after


def test_the_queue_has_an_empty_state(client, world):
    page = login(client, world["reviewer"]).get(reverse("registry:review_list")).content.decode()
    assert "Aucune demande n'attend votre décision." in page
    proposed_member(world)
    page = client.get(reverse("registry:review_list")).content.decode()
    assert "Membre : Jeanne Dupré" in page and "En attente (1)" in page


# --- Deciding -----------------------------------------------------------------------------------------------------


def test_validation_activates_the_account_and_sends_the_welcome_link(client, world, smtp_server):
    member = proposed_member(world)
    review = Review.objects.get(member=member)
    run_tasks()
    smtp_server.messages.clear()

    login(client, world["reviewer"])
    first = client.post(reverse("registry:review_detail", args=[review.pk]), {"decision": "valider"})
    assert "Confirmez-vous la validation" in first.content.decode()  # nothing decided yet
    review.refresh_from_db()
    assert review.decision == ""
    response = decide(client, review, "valider")
    assert response.status_code == 302

    review.refresh_from_db()
    member.refresh_from_db()
    assert review.decision == ReviewDecision.VALIDATE and review.decided_by == world["reviewer"]
    assert member.review_state == ReviewState.VALIDATED
    assert User.objects.get(pk=member.user_id).is_active

    run_tasks()
    by_recipient = {m["To"]: m for m in smtp_server.messages}
    assert set(by_recipient) == {"jeanne.dupre@example.org", world["teammate"].email}
    welcome = by_recipient["jeanne.dupre@example.org"].get_content()
    assert "Bienvenue dans la communauté beta.gouv.fr" in welcome
    assert "Lire et accepter la charte de la communauté" in welcome  # the onboarding checklist (community's YAML)
    assert "valable 72 heures" in welcome
    path = WELCOME.search(welcome).group(1)
    # The outbox never held the link.
    assert not any(path in body for body in Notification.objects.values_list("body", flat=True))
    assert "a validé le membre Jeanne Dupré" in by_recipient[world["teammate"].email].get_content()

    newcomer = client.__class__()
    for _ in range(2):  # a mail scanner opening the link neither uses nor burns it
        assert newcomer.get(path).status_code == 200
    landed = newcomer.post(path)
    assert landed.status_code == 302
    assert newcomer.session[SESSION_KEY] == str(member.user_id)
    assert landed["Location"] == "/mon-espace/parcours/"  # the onboarding checklist (the community app)
    # Single use.
    assert client.__class__().post(path).status_code == 410


def test_a_refusal_needs_a_reason_keeps_the_account_closed_and_hides_the_member(client, world, smtp_server):
    member = proposed_member(world)
    review = Review.objects.get(member=member)
    login(client, world["reviewer"])
    response = decide(client, review, "refuser")
    assert response.status_code == 200
    assert "Indiquez le motif du refus" in response.content.decode()
    review.refresh_from_db()
    assert review.decision == ""

    run_tasks()
    smtp_server.messages.clear()
    assert decide(client, review, "refuser", "Personne inconnue de l'équipe").status_code == 302
    member.refresh_from_db()
    assert member.review_state == ReviewState.REFUSED
    assert not User.objects.get(pk=member.user_id).is_active
    run_tasks()
    [told] = smtp_server.messages
    assert told["To"] == world["teammate"].email
    assert "Motif : Personne inconnue de l'équipe" in told.get_content()

    # Refused: appears nowhere; the account cannot log in.
    client.logout()
    assert "Jeanne Dupré" not in client.get(reverse("registry:product_detail", args=["rdv.mjd"])).content.decode()
    assert client.get(reverse("registry:member_detail", args=["jeanne.dupre"])).status_code == 404
    smtp_server.messages.clear()
    client.post("/connexion/", {"email": "jeanne.dupre@example.org"})
    run_tasks()
    assert smtp_server.messages == []


def test_a_decided_review_cannot_be_decided_again(client, world):
    review = Review.objects.get(member=proposed_member(world))
    joining.review_decide(review=review, by=world["reviewer"], decision="valider")
    response = decide(login(client, world["admin"]), review, "refuser", "Trop tard")
    assert response.status_code == 200
    assert "Votre décision" not in response.content.decode()
    review.refresh_from_db()
    assert review.decision == ReviewDecision.VALIDATE


# --- The welcome link ---------------------------------------------------------------------------------------------


def _welcome_path(world, smtp_server) -> tuple[str, Member]:
    member = proposed_member(world)
    joining.review_decide(review=Review.objects.get(member=member), by=world["reviewer"], decision="valider")
    run_tasks()
    [welcome] = [m for m in smtp_server.messages if m["To"] == "jeanne.dupre@example.org"]
    return WELCOME.search(welcome.get_content()).group(1), member


@pytest.mark.parametrize(("hours", "works"), [(71, True), (73, False)])
def test_the_welcome_link_lasts_72_hours(client, world, smtp_server, hours, works):
    start = timezone.now()
    with freeze_time(start) as clock:
        path, member = _welcome_path(world, smtp_server)
        clock.move_to(start + datetime.timedelta(hours=hours))
        response = client.post(path)
        assert (response.status_code == 302) is works
        assert (client.session.get(SESSION_KEY) == str(member.user_id)) is works
        if not works:
            assert response.status_code == 410
            assert "Demander un lien de connexion" in response.content.decode()


def test_a_login_link_asked_for_afterwards_lasts_15_minutes(client, world, smtp_server):
    path, member = _welcome_path(world, smtp_server)
    assert client.post(path).status_code == 302
    client.logout()
    smtp_server.messages.clear()
    client.post("/connexion/", {"email": "jeanne.dupre@example.org"})
    run_tasks()
    [message] = smtp_server.messages
    assert LOGIN.search(message.get_content())
    token = LoginToken.objects.filter(user_id=member.user_id).order_by("-created_at").first()
    assert token.expires_at - token.created_at == datetime.timedelta(minutes=15)


def test_the_welcome_email_is_not_sent_once_its_link_expired(world, smtp_server):
    start = timezone.now()
    with freeze_time(start) as clock:
        member = proposed_member(world)
        joining.review_decide(review=Review.objects.get(member=member), by=world["reviewer"], decision="valider")
        clock.move_to(start + datetime.timedelta(hours=73))  # the worker was down for three days
        run_tasks()
    assert not [m for m in smtp_server.messages if m["To"] == "jeanne.dupre@example.org"]


# --- Proposing a product ------------------------------------------------------------------------------------------


def _propose_product(client):
    return client.post(
        reverse("registry:product_propose"),
        {
            "name": "Aide Numérique",
            "pitch": "Aider les gens à faire leurs démarches.",
            "incubator": "incubateur-sud",
            "phase": "investigation",
            "phase_start": timezone.localdate().isoformat(),
        },
    )


def test_a_proposed_product_is_absent_from_public_reads_until_validated(client, world, smtp_server):
    response = _propose_product(login(client, world["outsider"]))
    assert response.status_code == 302
    assert response["Location"] == "/produits/aide-numerique/"
    page = client.get("/produits/aide-numerique/").content.decode()
    assert "en attente de validation" in page  # the proposer sees it, with its badge
    assert "Ajouter un membre à l'équipe" not in page
    review = Review.objects.get(product__ghid="aide-numerique")
    assert JournalEntry.objects.filter(visibility=Visibility.PUBLIC, object_repr="Aide Numérique").count() == 0

    def public_reads(c):
        return {
            "page": c.get("/produits/aide-numerique/").status_code,
            "list": "Aide Numérique" in c.get("/produits/").content.decode(),
            "incubator": "Aide Numérique" in c.get("/incubateurs/incubateur-sud/").content.decode(),
            "api": "aide-numerique" in c.get("/api/v1/startups").content.decode(),
            "api_one": c.get("/api/v1/startups/aide-numerique").status_code,
            "v27": "aide-numerique" in c.get("/api/v2.7/startups.json").content.decode(),
            "csv": "aide-numerique" in c.get("/api/v2.7/startups.csv").content.decode(),
            "v3": c.get("/api/v3/startups/aide-numerique.json").status_code,
        }

    hidden = {"page": 404, "list": False, "incubator": False, "api": False, "api_one": 404, "v27": False}
    hidden |= {"csv": False, "v3": 404}
    outsiders = [client.__class__(), login(client.__class__(), world["elsewhere"])]
    for other in outsiders:
        assert public_reads(other) == hidden
    for insider in (world["reviewer"], world["staff"]):
        assert login(client.__class__(), insider).get("/produits/aide-numerique/").status_code == 200

    joining.review_decide(review=review, by=world["reviewer"], decision="valider")
    shown = {"page": 200, "list": True, "incubator": True, "api": True, "api_one": 200, "v27": True}
    shown |= {"csv": True, "v3": 200}
    assert public_reads(client.__class__()) == shown
    [row] = JournalEntry.objects.filter(action="registry.product_validated")
    assert row.visibility == Visibility.PUBLIC and row.message == "Nouveau produit : Aide Numérique, incubé par " + (
        "Incubateur du Sud"
    )


def test_a_refused_product_stays_hidden(client, world):
    _propose_product(login(client, world["outsider"]))
    review = Review.objects.get(product__ghid="aide-numerique")
    joining.review_decide(review=review, by=world["reviewer"], decision="refuser", reason="Hors périmètre")
    assert client.__class__().get("/produits/aide-numerique/").status_code == 404
    assert "refusé" in client.get("/produits/aide-numerique/").content.decode()  # its proposer still sees why


def test_product_fields_are_checked(client, world):
    response = client.__class__()
    login(response, world["outsider"])
    answer = response.post(reverse("registry:product_propose"), {"name": "", "pitch": "", "phase": "x"})
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "Indiquez le nom du produit" in html and "Indiquez la mission du produit" in html


# --- Escalation ---------------------------------------------------------------------------------------------------

PARIS = datetime.timezone(datetime.timedelta(hours=1))  # December: Paris is UTC+1


@pytest.mark.parametrize(
    ("asked", "due"),
    [
        (datetime.datetime(2026, 12, 4, 10, 0, tzinfo=PARIS), datetime.datetime(2026, 12, 8, 10, 0, tzinfo=PARIS)),
        # Christmas (a Friday) and the weekend are not working days.
        (datetime.datetime(2026, 12, 23, 15, 0, tzinfo=PARIS), datetime.datetime(2026, 12, 28, 15, 0, tzinfo=PARIS)),
        # Asked on a Saturday: counted from Monday's start.
        (datetime.datetime(2026, 12, 5, 11, 0, tzinfo=PARIS), datetime.datetime(2026, 12, 9, 0, 0, tzinfo=PARIS)),
    ],
)
def test_escalation_is_due_after_two_working_days(asked, due):
    assert perms.review_escalation_due(asked) == due


def test_an_undecided_review_is_escalated_once_after_two_working_days(world, smtp_server):
    friday = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=PARIS)
    with freeze_time(friday) as clock:
        review = Review.objects.get(member=proposed_member(world))
        run_tasks()
        smtp_server.messages.clear()
        clock.move_to(datetime.datetime(2026, 12, 8, 9, 59, tzinfo=PARIS))  # Tuesday, a minute early
        assert joining.reviews_escalate(now=timezone.now()) == 0
        assert not perms.can_review(world["staff"], review)
        clock.move_to(datetime.datetime(2026, 12, 8, 10, 0, tzinfo=PARIS))
        assert joining.reviews_escalate(now=timezone.now()) == 1
        assert joining.reviews_escalate(now=timezone.now()) == 0  # idempotent: each review once
        clock.move_to(datetime.datetime(2026, 12, 9, 10, 0, tzinfo=PARIS))
        assert joining.reviews_escalate(now=timezone.now()) == 0
        run_tasks()
    review.refresh_from_db()
    assert review.escalated_at == datetime.datetime(2026, 12, 8, 10, 0, tzinfo=PARIS)
    recipients = sorted(m["To"] for m in smtp_server.messages)
    assert recipients == sorted([world["reviewer"].email, "staff@beta.gouv.fr"])
    assert all("Relance" in m["Subject"] for m in smtp_server.messages)
    assert perms.can_review(world["staff"], review)
    assert JournalEntry.objects.filter(action="registry.review_escalated").count() == 1


def test_a_decided_review_is_never_escalated(world, smtp_server):
    review = Review.objects.get(member=proposed_member(world))
    joining.review_decide(review=review, by=world["reviewer"], decision="refuser", reason="Non")
    with freeze_time(timezone.now() + datetime.timedelta(days=10)):
        assert joining.reviews_escalate(now=timezone.now()) == 0


def test_the_product_list_offers_to_propose_a_product_to_members_only(client, world):
    assert "Proposer un nouveau produit" not in client.get("/produits/").content.decode()
    assert "Proposer un nouveau produit" in login(client, world["outsider"]).get("/produits/").content.decode()


def test_the_queue_reads_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    login(client, world["reviewer"])

    def add(count):
        for n in range(count):
            joining.product_propose(
                by=world["outsider"],
                name=f"Produit proposé {Review.objects.count()}-{n}",
                pitch="Aider.",
                incubator=world["incubator"],
                sponsors=[],
                phase="investigation",
                phase_start=timezone.localdate(),
            )

    add(2)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("registry:review_list")).status_code == 200
    add(10)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("registry:review_list")).content.decode()
    assert "En attente (12)" in page
