"""A member's missions, self-service (#14): who may (perms.py), the rules and the services (journal, e-mail), the
pages (add, change, extend in one click, end, delete) and the member page."""

import datetime
import re
from html import unescape

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone
from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st

from incubateur.core import pagecache
from incubateur.core.models import JournalEntry, Notification, Visibility
from incubateur.core.text import date_fr
from incubateur.registry import perms
from incubateur.registry.enums import ReviewState
from incubateur.registry.models import Member, Mission
from incubateur.registry.services import missions as services
from tests.factories import UserFactory
from tests.registry.factories import (
    IncubatorFactory,
    MemberFactory,
    MissionFactory,
    ProductFactory,
    TeamFactory,
)

TODAY = timezone.localdate()
EMPLOYER = "Société Secrète SARL"


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def months(n: int) -> datetime.date:
    return TODAY + relativedelta(months=n)


def text(response) -> str:
    html = response.content.decode()
    html = html[html.index("<main") : html.index("</main>")]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def field_error(response, field: str) -> str:
    html = response.content.decode()
    assert f'aria-describedby="id_{field}-desc-error"' in html, f"no error on {field}"
    start = html.index(f'id="id_{field}-desc-error"')
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html[start : html.index("</div>", start)])).split()[1:])


class World:
    """A product of an incubator, Jeanne Dupont on it (her own account), and people around her."""

    def __init__(self):
        self.incubator = IncubatorFactory(ghid="incubateur-justice", title="Incubateur Justice")
        self.product = ProductFactory(ghid="dossier-facile", name="DossierFacile", incubator=self.incubator)
        self.other_product = ProductFactory(ghid="autre-produit", name="Autre produit")
        self.owner = UserFactory(username="jeanne.dupont", first_name="Jeanne", last_name="Dupont")
        self.member = MemberFactory(username="jeanne.dupont", fullname="Jeanne Dupont", user=self.owner)
        self.mission = MissionFactory(
            member=self.member, products=[self.product], start=days(-100), end=days(30), employer=EMPLOYER
        )
        self.teammate = self._with_fiche("paul.equipe", products=[self.product])
        self.former_teammate = self._with_fiche("ancien.equipe", products=[self.product], start=-400, end=-10)
        self.elsewhere = self._with_fiche("ailleurs.equipe", products=[self.other_product])
        self.incubator_team = self._with_fiche("lea.incubateur")
        TeamFactory(incubator=self.incubator).members.add(self.incubator_team.member)
        self.other_incubator_team = self._with_fiche("autre.incubateur")
        TeamFactory(incubator=IncubatorFactory()).members.add(self.other_incubator_team.member)
        self.staff = UserFactory(staff=True)
        self.admin = UserFactory(admin=True)
        self.stranger = UserFactory()

    @staticmethod
    def _with_fiche(username: str, products=(), start: int = -50, end: int = 50):
        user = UserFactory(username=username)
        member = MemberFactory(username=username, user=user)
        if products:
            MissionFactory(member=member, products=list(products), start=days(start), end=days(end))
        return user


@pytest.fixture
def world():
    return World()


# --- Permissions ----------------------------------------------------------------------------------------------

# Who edits Jeanne's mission on DossierFacile, adds her a mission, and is held to the 6-month limit.
RIGHTS = [
    # person, edits, adds, limited
    ("owner", True, True, True),
    ("teammate", True, True, True),
    ("incubator_team", True, True, False),
    ("staff", True, True, False),
    ("admin", True, True, False),
    ("former_teammate", False, False, True),
    ("elsewhere", False, False, True),
    ("other_incubator_team", False, False, True),
    ("stranger", False, False, True),
]


@pytest.mark.parametrize(("who", "edits", "adds", "limited"), RIGHTS)
def test_mission_rights(world, who, edits, adds, limited, django_assert_max_num_queries):
    user = getattr(world, who)
    mission = Mission.objects.select_related("member").get(pk=world.mission.pk)
    with django_assert_max_num_queries(1):
        assert perms.can_edit_mission(user, mission) is edits
    with django_assert_max_num_queries(1):
        assert perms.can_add_mission(user, world.member) is adds
    with django_assert_max_num_queries(1):
        assert perms.mission_limit_applies(user, mission) is limited
    # The member page's batch answers as the one-mission function does.
    missions = list(Mission.objects.select_related("member").prefetch_related("missionproduct_set"))
    editable = perms.editable_mission_ids(user, missions)
    assert editable == {m.pk for m in missions if perms.can_edit_mission(user, m)}


def test_nobody_without_an_active_account(world):
    mission = Mission.objects.select_related("member").get(pk=world.mission.pk)
    for user in (None, AnonymousUser()):
        assert not perms.can_edit_mission(user, mission)
        assert not perms.can_add_mission(user, world.member)
        assert perms.editable_mission_ids(user, [mission]) == set()
    world.owner.is_active = False
    world.owner.save()
    assert not perms.can_edit_mission(world.owner, mission)
    assert not perms.can_add_mission(world.owner, world.member)


def test_a_member_without_missions_is_added_missions_by_themself_and_the_incubator_only(world):
    user = UserFactory()
    member = MemberFactory(user=user)
    assert perms.can_add_mission(user, member)
    assert perms.can_add_mission(world.staff, member)
    assert not perms.can_add_mission(world.teammate, member)
    assert not perms.can_add_mission(world.incubator_team, member)


def test_an_expired_member_still_edits_their_own_missions(world):
    world.mission.end = days(-40)
    world.mission.save()
    mission = Mission.objects.select_related("member").get(pk=world.mission.pk)
    assert not Member.objects.active().filter(pk=world.member.pk).exists()
    assert perms.can_edit_mission(world.owner, mission)
    # Her teammates of then are not her teammates now: the product's *active* members only.
    assert perms.can_edit_mission(world.teammate, mission)


def test_limit_follows_the_products_given(world):
    assert perms.mission_limit_applies(world.incubator_team, products=[world.product]) is False
    assert perms.mission_limit_applies(world.incubator_team, products=[world.other_product]) is True
    assert perms.mission_limit_applies(world.incubator_team, products=[]) is True
    assert perms.mission_limit_applies(world.staff, products=[]) is False


@pytest.mark.parametrize(
    ("who", "start", "recently_added", "deletes"),
    [
        ("owner", -100, False, False),  # imported, started: end it, do not delete it
        ("owner", 10, False, True),  # not started yet
        ("owner", -100, True, True),  # added on the platform within the last days
        ("staff", -100, False, False),
        ("admin", -100, False, True),  # administrators delete any
        ("stranger", 10, True, False),  # never outside one's scope
    ],
)
def test_can_delete_mission(world, who, start, recently_added, deletes):
    user = getattr(world, who)
    if recently_added:
        mission = services.mission_add(
            member=world.member, by=world.owner, start=days(start), end=days(start + 60), status="admin"
        )
    else:
        mission = MissionFactory(member=world.member, start=days(start), end=days(start + 60))
    mission = Mission.objects.select_related("member").prefetch_related("missionproduct_set").get(pk=mission.pk)
    assert perms.can_delete_mission(user, mission) is deletes
    editable = perms.editable_mission_ids(user, [mission])
    assert (mission.pk in perms.deletable_mission_ids(user, [mission], editable)) is deletes


def test_a_mission_added_long_ago_is_no_longer_deleted(world):
    with freeze_time(TODAY - datetime.timedelta(days=perms.MISSION_DELETE_DAYS + 1)):
        mission = services.mission_add(
            member=world.member, by=world.owner, start=days(-100), end=days(20), status="admin"
        )
    mission = Mission.objects.select_related("member").get(pk=mission.pk)
    assert not perms.can_delete_mission(world.owner, mission)


# --- Rules ----------------------------------------------------------------------------------------------------

dates = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2100, 12, 31))


@given(
    start=dates,
    end=st.none() | dates,
    status=st.sampled_from(["admin", "independent", "service"]),
    limit_applies=st.booleans(),
    today=dates,
)
def test_date_rule(start, end, status, limit_applies, today):
    errors = services.date_errors(start=start, end=end, status=status, limit_applies=limit_applies, today=today)
    ordered = end is None or end >= start
    within = not limit_applies or status == "admin" or (end is not None and end <= today + relativedelta(months=6))
    assert (errors == {}) is (ordered and within)
    assert set(errors) <= {"end"}


@override_settings(MISSION_MAX_MONTHS_AHEAD=2)
def test_the_limit_is_a_setting():
    today = datetime.date(2026, 1, 31)
    assert services.latest_end(today) == datetime.date(2026, 3, 31)
    assert services.date_errors(
        start=today, end=datetime.date(2026, 4, 1), status="service", limit_applies=True, today=today
    )


def _errors(exc: ValidationError) -> dict:
    return exc.message_dict


@pytest.mark.parametrize(
    ("who", "values", "field", "message"),
    [
        ("owner", {"start": days(10), "end": days(5)}, "end", "ne peut pas précéder le début"),
        ("owner", {"end": months(7)}, "end", "Au plus tard le"),
        ("owner", {"end": None}, "end", "Indiquez une date de fin"),
        ("teammate", {"end": months(6) + datetime.timedelta(days=1)}, "end", "Au plus tard le"),
        ("owner", {"status": "benevole"}, "status", "Choisissez un statut"),
        ("owner", {"employer": "x" * 301}, "employer", "300 caractères"),
        ("staff", {"start": days(10), "end": days(9)}, "end", "ne peut pas précéder le début"),
    ],
)
def test_mission_add_refuses(world, who, values, field, message):
    arguments = {"start": days(0), "end": months(3), "status": "independent", "products": [world.product], **values}
    with pytest.raises(ValidationError) as refused:
        services.mission_add(member=world.member, by=getattr(world, who), **arguments)
    assert message in " ".join(_errors(refused.value)[field])
    assert not JournalEntry.objects.filter(action="registry.mission_added").exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("who", "status", "end"),
    [
        ("owner", "admin", months(24)),  # a public agent has no limit
        ("owner", "admin", None),
        ("owner", "independent", months(6)),  # the limit itself
        ("incubator_team", "service", months(24)),
        ("staff", "independent", None),
        ("admin", "service", months(36)),
    ],
)
def test_mission_add_accepts(world, who, status, end):
    mission = services.mission_add(
        member=world.member, by=getattr(world, who), start=days(1), end=end, status=status, products=[world.product]
    )
    assert mission.end == end
    # Overlapping missions are fine: she now has two running side by side.
    assert world.member.missions.count() == 2


def test_products_must_be_validated_unless_the_member_joins_them(world):
    pending = ProductFactory(ghid="en-attente", name="Produit en attente", review_state=ReviewState.PENDING)
    refused = ProductFactory(ghid="refuse", name="Produit refusé", review_state=ReviewState.REFUSED)
    for product in (pending, refused):
        with pytest.raises(ValidationError) as error:
            services.mission_add(
                member=world.member, by=world.owner, start=days(0), end=days(30), status="admin", products=[product]
            )
        assert _errors(error.value)["products"] == [f"Produit non validé par son incubateur : « {product.name} »."]
    # The product a pending member joins; then, later, other missions on it.
    newcomer = MemberFactory(review_state=ReviewState.PENDING)
    services.mission_add(
        member=newcomer,
        by=world.staff,
        start=days(0),
        end=days(30),
        status="admin",
        products=[pending],
        joining=pending,
    )
    services.mission_add(
        member=newcomer, by=world.staff, start=days(31), end=days(60), status="admin", products=[pending]
    )
    with pytest.raises(ValidationError):
        services.mission_add(
            member=newcomer, by=world.staff, start=days(0), end=days(30), status="admin", products=[refused]
        )


def test_update_checks_the_limit_only_when_the_end_or_status_changes(world):
    # An imported mission ending far ahead: its products can still be corrected by its member.
    world.mission.end = months(20)
    world.mission.save()
    changed = services.mission_update(
        mission=world.mission,
        by=world.owner,
        start=world.mission.start,
        end=world.mission.end,
        status=world.mission.status,
        employer=EMPLOYER,
        products=[world.product, world.other_product],
    )
    assert changed == ["products"]
    with pytest.raises(ValidationError) as refused:
        services.mission_update(
            mission=world.mission,
            by=world.owner,
            start=world.mission.start,
            end=months(21),
            status=world.mission.status,
            employer=EMPLOYER,
            products=[world.product],
        )
    assert list(_errors(refused.value)) == ["end"]


# --- Services: journal and e-mail -----------------------------------------------------------------------------


def _journal(action: str) -> JournalEntry:
    [entry] = JournalEntry.objects.filter(action=action)
    assert entry.visibility == Visibility.PUBLIC
    assert EMPLOYER not in entry.message
    assert EMPLOYER not in str(entry.data)
    assert EMPLOYER not in entry.object_repr
    return entry


def _mail_to(address: str) -> Notification:
    [mail] = Notification.objects.filter(kind=services.NOTIFICATION_KIND, channel="email")
    assert mail.recipient == address
    assert EMPLOYER not in mail.body
    return mail


def test_extend_journals_without_the_employer_and_mails_the_member(world):
    new_end = months(3)
    services.mission_extend(mission=world.mission, by=world.teammate, end=new_end)
    entry = _journal("registry.mission_extended")
    assert entry.message == f"Mission de Jeanne Dupont prolongée jusqu'au {date_fr(new_end)}"
    assert entry.actor == world.teammate
    assert entry.data["products"] == ["dossier-facile"]
    mail = _mail_to(world.owner.email)
    assert mail.subject == "Votre mission a été prolongée"
    assert f"prolongée jusqu'au {date_fr(new_end)}" in mail.body
    assert "/membres/jeanne.dupont/" in mail.body


def test_no_mail_when_the_member_made_the_change_or_has_no_account(world):
    services.mission_extend(mission=world.mission, by=world.owner, end=months(3))
    assert _journal("registry.mission_extended").actor == world.owner
    assert not Notification.objects.exists()
    orphan = MemberFactory(fullname="Sans Compte")
    mission = services.mission_add(member=orphan, by=world.staff, start=days(0), end=days(10), status="admin")
    services.mission_end(mission=mission, by=world.staff)
    assert not Notification.objects.exists()


def test_add_update_end_delete_each_journal_and_mail(world):
    mission = services.mission_add(
        member=world.member,
        by=world.staff,
        start=days(1),
        end=days(90),
        status="service",
        employer=EMPLOYER,
        products=[world.product, world.product],
    )
    assert [p.ghid for p in mission.products.all()] == ["dossier-facile"]
    assert mission.order == world.mission.order + 1
    added = _journal("registry.mission_added")
    assert (
        added.message
        == f"Mission de Jeanne Dupont ajoutée : du {date_fr(days(1))} au {date_fr(days(90))} (DossierFacile)"
    )
    _mail_to(world.owner.email).delete()

    changed = services.mission_update(
        mission=mission,
        by=world.staff,
        start=days(1),
        end=days(60),
        status="independent",
        employer="Autre SAS",
        products=[world.other_product],
    )
    assert changed == ["end", "status", "employer", "products"]
    updated = _journal("registry.mission_updated")
    assert updated.message.startswith("Mission de Jeanne Dupont modifiée (fin, statut, employeur, produits)")
    assert "Autre SAS" not in updated.message and "Autre SAS" not in str(updated.data)
    assert "Autre SAS" not in _mail_to(world.owner.email).body
    Notification.objects.all().delete()
    assert (
        services.mission_update(
            mission=mission,
            by=world.staff,
            start=days(1),
            end=days(60),
            status="independent",
            employer="Autre SAS",
            products=[world.other_product],
        )
        == []
    )
    assert JournalEntry.objects.filter(action="registry.mission_updated").count() == 1
    assert not Notification.objects.exists()

    services.mission_update(
        mission=mission,
        by=world.staff,
        start=days(1),
        end=days(30),
        status="independent",
        employer="Autre SAS",
        products=[world.other_product],
    )
    assert JournalEntry.objects.filter(action="registry.mission_updated").first().message == (
        f"Mission de Jeanne Dupont raccourcie : elle se termine le {date_fr(days(30))}"
    )
    Notification.objects.all().delete()

    services.mission_end(mission=world.mission, by=world.incubator_team)
    world.mission.refresh_from_db()
    assert world.mission.end == TODAY
    assert _journal("registry.mission_ended").message == f"Mission de Jeanne Dupont terminée le {date_fr(TODAY)}"
    _mail_to(world.owner.email).delete()

    services.mission_delete(mission=mission, by=world.owner)
    assert not Mission.objects.filter(pk=mission.pk).exists()
    deleted = _journal("registry.mission_deleted")
    assert "supprimée : saisie par erreur" in deleted.message
    assert not Notification.objects.exists()  # she deleted it herself


def test_end_refuses_dates_outside_the_mission(world):
    with pytest.raises(ValidationError) as before:
        services.mission_end(mission=world.mission, by=world.owner, end=days(-200))
    assert list(_errors(before.value)) == ["end"]
    with pytest.raises(ValidationError) as after:
        services.mission_end(mission=world.mission, by=world.owner, end=days(31))
    assert "prolongez-la" in _errors(after.value)["end"][0]
    services.mission_end(mission=world.mission, by=world.owner, end=days(10))
    assert "se terminera le" in JournalEntry.objects.get(action="registry.mission_ended").message


def test_extend_refuses_an_earlier_end_and_beyond_the_limit(world):
    for end in (days(30), days(20)):
        with pytest.raises(ValidationError):
            services.mission_extend(mission=world.mission, by=world.owner, end=end)
    with pytest.raises(ValidationError) as refused:
        services.mission_extend(mission=world.mission, by=world.owner, end=months(7))
    assert "Au plus tard le" in _errors(refused.value)["end"][0]
    services.mission_extend(mission=world.mission, by=world.incubator_team, end=months(7))
    open_ended = MissionFactory(member=world.member, end=None, status="admin")
    with pytest.raises(ValidationError):
        services.mission_extend(mission=open_ended, by=world.owner, end=months(1))


def test_proposed_extension(world):
    # Three months after the current end…
    assert services.proposed_extension(world.owner, world.mission) == days(30) + relativedelta(months=3)
    # …after today for an ended mission…
    world.mission.end = days(-40)
    assert services.proposed_extension(world.owner, world.mission) == months(3)
    # …capped by the limit…
    world.mission.end = months(5)
    assert services.proposed_extension(world.owner, world.mission) == months(6)
    assert services.proposed_extension(world.staff, world.mission) == months(8)
    # …and nothing when already at the limit, or without an end.
    world.mission.end = months(6)
    assert services.proposed_extension(world.owner, world.mission) is None
    world.mission.end = None
    assert services.proposed_extension(world.staff, world.mission) is None


# --- Pages ----------------------------------------------------------------------------------------------------


def _url(world, action: str, mission=None) -> str:
    mission = mission or world.mission
    return f"/membres/{world.member.username}/missions/{mission.pk}/{action}/"


def test_expired_member_extends_in_one_click(world, client):
    """The reminders' link: an expired member logs in and extends their own mission (never locked out)."""
    world.mission.end = days(-40)
    world.mission.save()
    client.force_login(world.owner)
    page = client.get(_url(world, "prolonger"))
    assert page.status_code == 200
    proposal = months(3)
    assert f"Nouvelle fin proposée : {date_fr(proposal)}" in text(page)
    assert "elle est terminée" in text(page)
    response = client.post(_url(world, "prolonger"), {"end": proposal.isoformat()})
    assert response.status_code == 302
    assert response["Location"] == "/membres/jeanne.dupont/"
    world.mission.refresh_from_db()
    assert world.mission.end == proposal
    assert Member.objects.active().filter(pk=world.member.pk).exists()
    assert f"prolongée jusqu'au {date_fr(proposal)}" in text(client.get(response["Location"]))


def test_extend_page_at_the_limit_has_no_button(world, client):
    world.mission.end = months(6)
    world.mission.save()
    client.force_login(world.owner)
    page = client.get(_url(world, "prolonger"))
    assert "la date la plus lointaine possible" in text(page)
    assert "Prolonger jusqu'au" not in text(page)
    tampered = client.post(_url(world, "prolonger"), {"end": months(9).isoformat()})
    assert tampered.status_code == 200
    assert "Au plus tard le" in text(tampered)
    world.mission.refresh_from_db()
    assert world.mission.end == months(6)


def test_add_page(world, client):
    client.force_login(world.teammate)
    assert client.get(f"/membres/{world.member.username}/missions/ajouter/").status_code == 200
    url = f"/membres/{world.member.username}/missions/ajouter/"
    refused = client.post(
        url,
        {
            "start": days(0).isoformat(),
            "end": months(8).isoformat(),
            "status": "service",
            "products": ["dossier-facile"],
        },
    )
    assert refused.status_code == 200
    assert "Au plus tard le" in field_error(refused, "end")
    assert "<title>Erreur : Ajouter une mission de Jeanne Dupont" in refused.content.decode()
    added = client.post(
        url,
        {
            "start": days(0).isoformat(),
            "end": months(2).isoformat(),
            "status": "service",
            "employer": EMPLOYER,
            "products": ["dossier-facile", "autre-produit"],
        },
    )
    assert added.status_code == 302
    mission = world.member.missions.latest("pk")
    assert sorted(p.ghid for p in mission.products.all()) == ["autre-produit", "dossier-facile"]
    assert mission.employer == EMPLOYER
    _mail_to(world.owner.email)


def test_add_page_offers_validated_products_only(world, client):
    ProductFactory(ghid="pas-encore", name="Pas encore validé", review_state=ReviewState.PENDING)
    client.force_login(world.owner)
    page = client.get(f"/membres/{world.member.username}/missions/ajouter/").content.decode()
    assert 'value="dossier-facile"' in page
    assert 'value="pas-encore"' not in page
    refused = client.post(
        f"/membres/{world.member.username}/missions/ajouter/",
        {"start": days(0).isoformat(), "end": days(9).isoformat(), "status": "admin", "products": ["pas-encore"]},
    )
    assert "Produit inconnu ou non validé" in field_error(refused, "products")


def test_edit_page(world, client):
    client.force_login(world.incubator_team)
    page = client.get(_url(world, "modifier"))
    assert page.status_code == 200
    assert f'value="{EMPLOYER}"' in page.content.decode()
    response = client.post(
        _url(world, "modifier"),
        {
            "start": world.mission.start.isoformat(),
            "end": months(12).isoformat(),
            "status": "independent",
            "employer": EMPLOYER,
            "products": ["dossier-facile"],
        },
    )
    assert response.status_code == 302
    world.mission.refresh_from_db()
    assert world.mission.end == months(12)
    entry = JournalEntry.objects.get(action="registry.mission_updated")
    assert entry.message == f"Mission de Jeanne Dupont prolongée jusqu'au {date_fr(months(12))}"
    wrong_order = client.post(
        _url(world, "modifier"),
        {"start": days(5).isoformat(), "end": days(1).isoformat(), "status": "independent", "products": []},
    )
    assert "ne peut pas précéder le début" in field_error(wrong_order, "end")


def test_end_page(world, client):
    client.force_login(world.owner)
    page = client.get(_url(world, "terminer"))
    assert f'value="{TODAY.isoformat()}"' in page.content.decode()
    assert "ne ferme pas le compte" in text(page)
    response = client.post(_url(world, "terminer"), {"end": TODAY.isoformat()})
    assert response.status_code == 302
    world.mission.refresh_from_db()
    assert world.mission.end == TODAY
    refused = client.post(_url(world, "terminer"), {"end": days(5).isoformat()})
    assert "prolongez-la" in field_error(refused, "end")


def test_delete_page(world, client):
    client.force_login(world.owner)
    assert client.get(_url(world, "supprimer")).status_code == 404  # imported and started: end it instead
    future = services.mission_add(member=world.member, by=world.owner, start=days(1), end=days(9), status="admin")
    page = client.get(_url(world, "supprimer", future))
    assert "saisie par erreur" in text(page)
    assert client.post(_url(world, "supprimer", future)).status_code == 302
    assert not Mission.objects.filter(pk=future.pk).exists()


@pytest.mark.parametrize("who", ["former_teammate", "elsewhere", "other_incubator_team", "stranger"])
def test_pages_are_404_outside_ones_scope(world, client, who):
    client.force_login(getattr(world, who))
    for action in ("modifier", "prolonger", "terminer", "supprimer"):
        assert client.get(_url(world, action)).status_code == 404
        assert client.post(_url(world, action), {"end": months(1).isoformat()}).status_code == 404
    assert client.get(f"/membres/{world.member.username}/missions/ajouter/").status_code == 404
    # Another member's mission under this member's address is a 404 too.
    client.force_login(world.owner)
    teammate_mission = Mission.objects.filter(member__username="paul.equipe").get()
    assert client.get(f"/membres/jeanne.dupont/missions/{teammate_mission.pk}/modifier/").status_code == 404
    world.mission.refresh_from_db()
    assert world.mission.end == days(30)


# --- The member page ------------------------------------------------------------------------------------------


def test_member_page_buttons_follow_the_rights(world, client):
    url = f"/membres/{world.member.username}/"
    anonymous = client.get(url).content.decode()
    assert "Prolonger" not in anonymous and "Ajouter une mission" not in anonymous
    assert EMPLOYER not in anonymous
    client.force_login(world.teammate)
    page = client.get(url).content.decode()
    assert _url(world, "prolonger") in page
    assert _url(world, "modifier") in page
    assert _url(world, "terminer") in page
    assert _url(world, "supprimer") not in page
    assert "/membres/jeanne.dupont/missions/ajouter/" in page
    assert EMPLOYER not in page
    client.force_login(world.elsewhere)
    page = client.get(url).content.decode()
    assert _url(world, "modifier") not in page and "Ajouter une mission" not in page


def test_member_page_active_with_parallel_missions(world, client):
    """One ended mission and one running: active (beta.gouv.fr#20839), on the page and in the API alike."""
    MissionFactory(member=world.member, start=days(-700), end=days(-400))
    page = text(client.get(f"/membres/{world.member.username}/"))
    assert "membre actif" in page and "alumni" not in page
    assert client.get(f"/api/v1/members/{world.member.username}").json()["active"] is True
    world.mission.end = days(-1)
    world.mission.save()
    page = text(client.get(f"/membres/{world.member.username}/"))
    assert "alumni" in page and "membre actif" not in page
    assert client.get(f"/api/v1/members/{world.member.username}").json()["active"] is False
    # The active filter of the list agrees.
    usernames = [m["id"] for m in client.get("/api/v1/members?active=false").json()["items"]]
    assert "jeanne.dupont" in usernames


def test_member_page_pending_badge(world, client):
    pending = MemberFactory(username="nouveau.venu", review_state=ReviewState.PENDING)
    assert "en attente de validation" in text(client.get(f"/membres/{pending.username}/"))
    assert "en attente de validation" not in text(client.get(f"/membres/{world.member.username}/"))


def test_member_page_queries_are_flat(world, client, django_assert_max_num_queries):
    client.force_login(world.teammate)
    url = f"/membres/{world.member.username}/"
    client.get(url)
    with django_assert_max_num_queries(14) as few:
        client.get(url)
    for n in range(8):
        MissionFactory(member=world.member, products=[world.product, world.other_product], start=days(-n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


@pytest.fixture
def page_cache_on(settings):
    settings.PUBLIC_PAGE_CACHE = True
    pagecache._local.entries.clear()  # the process-local copies outlive each test's rolled-back database
    yield
    pagecache._local.entries.clear()


def test_a_products_only_change_refreshes_the_cached_public_page(world, client, page_cache_on):
    """The member page is cached for anonymous visitors until the registry changes: a change of products alone
    (no save of the mission itself) must make it stale too."""
    bare = MissionFactory(member=world.member, start=days(-10), end=days(10), status="admin")
    url = f"/membres/{world.member.username}/"
    assert "Autre produit" not in text(client.get(url))
    assert "Autre produit" not in text(client.get(url))  # served from the cache
    services.mission_update(
        mission=bare,
        by=world.staff,
        start=bare.start,
        end=bare.end,
        status=bare.status,
        employer="",
        products=[world.other_product],
    )
    assert "Autre produit" in text(client.get(url))
