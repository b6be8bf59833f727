"""Reminders before the end of a member's last mission, the departure steps and the monthly summary, on a frozen
clock: each sent once (also with two workers), the catch-up rule, a new end restarts the cycle, J+30 leaves the
incubator teams, the account stays open."""

import datetime
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse
from freezegun import freeze_time

from incubateur.community.models import ChecklistTick, IncubatorDigest, Reminder
from incubateur.community.personal_data import export
from incubateur.community.services import send_incubator_digests, send_reminders
from incubateur.community.services.digests import months_before
from incubateur.community.services.housekeeping import tick
from incubateur.community.services.reminders import due_step
from incubateur.core import journal
from incubateur.core.models import JournalEntry, Notification, Visibility
from incubateur.core.roles import Role, role_of
from incubateur.registry.models import Mission
from tests.community.helpers import member_with_account
from tests.registry.factories import IncubatorFactory, MissionFactory, ProductFactory, TeamFactory

TODAY = datetime.date(2027, 3, 10)
DAY = datetime.timedelta(days=1)


def at(day: datetime.date) -> datetime.datetime:
    """9:00 in Paris on `day` (the worker runs all day; the day is Paris's)."""
    return datetime.datetime.combine(day, datetime.time(8, 0), tzinfo=datetime.UTC)


def sent(kind: str, recipient: str | None = None):
    rows = Notification.objects.filter(kind=kind)
    return rows.filter(recipient=recipient) if recipient else rows


@pytest.fixture
def frozen():
    with freeze_time(at(TODAY)):
        yield


@pytest.fixture
def cast(frozen):
    """A product, a leaving member on it (last mission ends in 30 days) and a teammate who stays."""
    incubator = IncubatorFactory(ghid="incubateur-test", title="Incubateur Test")
    product = ProductFactory(ghid="produit-test", name="Produit Test", incubator=incubator, phase="construction")
    leaving = member_with_account("lou.partante", start=TODAY - 300 * DAY, end=TODAY + 30 * DAY, products=[product])
    staying = member_with_account("sam.reste", start=TODAY - 300 * DAY, end=None, products=[product])
    return {"incubator": incubator, "product": product, "leaving": leaving, "staying": staying}


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (-31, None),
        (-30, "j-30"),
        (-23, "j-30"),  # 7 days of catch-up
        (-22, None),
        (-15, "j-15"),
        (-8, "j-15"),
        (-7, None),
        (-2, "j-2"),
        (0, "j-2"),
        (1, "j+1"),
        (8, "j+1"),
        (9, None),
        (30, "j+30"),
        (37, "j+30"),
        (38, None),
        (400, None),
    ],
)
def test_the_step_due_is_the_most_recent_within_its_catch_up(offset, expected):
    end = datetime.date(2027, 6, 30)
    assert due_step(end, end + offset * DAY) == expected


def test_each_step_is_sent_once_on_its_day(cast):
    leaving, staying = cast["leaving"], cast["staying"]
    end = TODAY + 30 * DAY
    mission = leaving.missions.get()
    TeamFactory(ghid="equipe-test", name="Équipe Test", incubator=cast["incubator"]).members.add(leaving)
    day = TODAY
    while day <= end + 40 * DAY:
        with freeze_time(at(day)):
            send_reminders(now=at(day))
            send_reminders(now=at(day) + datetime.timedelta(hours=6))  # the worker runs again later that day
        day += DAY
    assert sorted(Reminder.objects.filter(member=leaving).values_list("kind", flat=True)) == sorted(
        ["j-30", "j-15", "j-2", "j+1", "j+30"]
    )
    assert set(Reminder.objects.values_list("end", flat=True)) == {end}
    assert sent("community.mission_ending", leaving.user.email).count() == 3
    assert sent("community.mission_ending_team", staying.user.email).count() == 3
    assert not sent("community.mission_ending_team", leaving.user.email).exists()
    assert sent("community.offboarding", leaving.user.email).count() == 1
    assert sent("community.teams_left", leaving.user.email).count() == 1
    assert Notification.objects.count() == 3 + 3 + 1 + 1
    first = sent("community.mission_ending").earliest("created_at")
    extend = f"http://testserver/membres/lou.partante/missions/{mission.pk}/prolonger/"
    assert first.subject == "Votre mission se termine le 9 avril 2027"
    assert "dans 30 jours" in first.body and extend.removeprefix("http://testserver") in first.body
    team = sent("community.mission_ending_team").earliest("created_at")
    assert "Produit Test" in team.body and "prolonger en un clic" in team.body
    offboarding = sent("community.offboarding").get()
    assert reverse("community:my_checklist") in offboarding.body
    # J+30: out of the incubator's teams, journaled; the account stays open.
    assert not leaving.teams.exists()
    entry = JournalEntry.objects.get(action="community.teams_left")
    assert "Équipe Test" in entry.message and entry.visibility == Visibility.INTERNAL
    leaving.user.refresh_from_db()
    assert leaving.user.is_active and role_of(leaving.user) == Role.MEMBER


def test_the_links_are_absolute(cast, settings):
    settings.BASE_URL = "https://incubateur.example.org"
    with freeze_time(at(TODAY)):
        send_reminders(now=at(TODAY))
    body = sent("community.mission_ending").get().body
    mission = cast["leaving"].missions.get()
    assert f"https://incubateur.example.org/membres/lou.partante/missions/{mission.pk}/prolonger/" in body
    assert "https://incubateur.example.org/mon-espace/parcours/" in body


def test_a_missed_step_is_caught_up_once_and_only_the_most_recent(frozen):
    # J-30 (16 days ago) and J-15 (yesterday) were both missed: J-15 only.
    late = member_with_account("tom.tard", start=TODAY - 300 * DAY, end=TODAY + 14 * DAY)
    # J-30 was 10 days ago, beyond the catch-up; J-15 not yet: nothing.
    too_late = member_with_account("zoe.trop", start=TODAY - 300 * DAY, end=TODAY + 20 * DAY)
    # Alumni of long ago (the imported registry): never touched.
    alumnus = member_with_account("ali.ancien", start=TODAY - 900 * DAY, end=TODAY - 300 * DAY)
    TeamFactory().members.add(alumnus)
    report = send_reminders(now=at(TODAY))
    assert report.total == 1
    assert list(Reminder.objects.values_list("member__username", "kind")) == [("tom.tard", "j-15")]
    with freeze_time(at(TODAY + 12 * DAY)):
        send_reminders(now=at(TODAY + 12 * DAY))
    assert set(Reminder.objects.filter(member=late).values_list("kind", flat=True)) == {"j-15", "j-2"}
    assert set(Reminder.objects.filter(member=too_late).values_list("kind", flat=True)) == {"j-15"}
    assert alumnus.teams.exists() and not Reminder.objects.filter(member=alumnus).exists()


def test_no_reminder_while_a_mission_has_no_end_or_a_later_one_follows(frozen):
    parallel = member_with_account("paul.parallele", start=TODAY - 300 * DAY, end=TODAY + 30 * DAY)
    MissionFactory(member=parallel, start=TODAY - 100 * DAY, end=None)
    following = member_with_account("fanny.suite", start=TODAY - 300 * DAY, end=TODAY + 30 * DAY)
    MissionFactory(member=following, start=TODAY + 31 * DAY, end=TODAY + 200 * DAY)
    assert send_reminders(now=at(TODAY)).total == 0


def test_an_extended_mission_restarts_the_cycle(cast):
    leaving = cast["leaving"]
    send_reminders(now=at(TODAY))
    assert Reminder.objects.get().kind == "j-30"
    Mission.objects.filter(member=leaving).update(end=TODAY + 90 * DAY)  # extended by 60 days
    for day in (TODAY + 15 * DAY, TODAY + 30 * DAY):  # the old J-15 and J-2/J+1 days: nothing for the old end
        with freeze_time(at(day)):
            assert send_reminders(now=at(day)).total == 0
    with freeze_time(at(TODAY + 60 * DAY)):
        send_reminders(now=at(TODAY + 60 * DAY))
    assert set(Reminder.objects.values_list("kind", "end")) == {
        ("j-30", TODAY + 30 * DAY),
        ("j-30", TODAY + 90 * DAY),
    }
    assert sent("community.mission_ending", leaving.user.email).count() == 2


def test_two_workers_one_after_the_other_send_once(cast):
    tick(now=at(TODAY))
    tick(now=at(TODAY))
    assert Reminder.objects.count() == 1
    assert sent("community.mission_ending").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_time_send_each_reminder_once():
    """Two threads, two connections, released together on twenty members due the same day: each reminder once.
    On PostgreSQL the second INSERT of a `Reminder` waits on the first's uncommitted row, then fails and its
    transaction (outbox rows included) rolls back."""
    if connection.vendor != "postgresql":
        pytest.skip("Needs row-level concurrency: PostgreSQL (scripts/test.sh postgres).")
    product = ProductFactory()
    for n in range(20):
        member_with_account(f"membre{n}.course", start=TODAY - 300 * DAY, end=TODAY + 15 * DAY, products=[product])
    barrier, errors, reports = threading.Barrier(2), [], []

    def worker():
        try:
            barrier.wait(10)
            reports.append(send_reminders(now=at(TODAY)))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sum(report.total for report in reports) == 20
    assert Reminder.objects.count() == 20
    assert sent("community.mission_ending").count() == 20
    # Each member's own reminder, and the 19 teammates told about each of them: 20 × 19 team e-mails.
    assert sent("community.mission_ending_team").count() == 20 * 19


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_loses_the_race_sends_nothing():
    """The other worker inserted the `Reminder` row and has not committed yet: ours waits, then gives up."""
    if connection.vendor != "postgresql":
        pytest.skip("Needs row-level concurrency: PostgreSQL (scripts/test.sh postgres).")
    member = member_with_account("lina.course", start=TODAY - 300 * DAY, end=TODAY + 30 * DAY)
    inserted, release, errors = threading.Event(), threading.Event(), []

    def other_worker():
        try:
            with transaction.atomic():
                Reminder.objects.create(member=member, kind="j-30", end=TODAY + 30 * DAY)
                inserted.set()
                release.wait(10)
        except Exception as exc:
            errors.append(exc)
        finally:
            inserted.set()
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert inserted.wait(10)
    result = {}
    ours = threading.Thread(
        target=lambda: (result.setdefault("r", send_reminders(now=at(TODAY))), connections.close_all())
    )
    ours.start()
    ours.join(1)  # blocked on the other's row
    assert ours.is_alive()
    release.set()
    thread.join(10)
    ours.join(10)
    assert errors == [] and result["r"].total == 0
    assert Reminder.objects.count() == 1 and not Notification.objects.exists()


def test_an_expired_member_still_logs_in_and_opens_the_extend_page(client, cast):
    leaving = cast["leaving"]
    after = TODAY + 70 * DAY  # past J+30
    with freeze_time(at(after)):
        Mission.objects.filter(member=leaving).update(end=TODAY + 30 * DAY)
        send_reminders(now=at(TODAY + 60 * DAY))
        send_reminders(now=at(after))
        client.post(reverse("accounts:login"), {"email": leaving.user.email})
        assert sent("accounts.login_link", leaving.user.email).exists()
        client.force_login(leaving.user)
        mission = leaving.missions.get()
        response = client.get(reverse("registry:mission_extend", args=[leaving.username, mission.pk]))
        assert response.status_code == 200
        assert "Mon parcours de départ" in client.get(reverse("community:my_checklist")).content.decode()


# --- The monthly summary ----------------------------------------------------------------------------------------


@pytest.fixture
def incubator_team(cast):
    incubator = cast["incubator"]
    lead = member_with_account("ines.incubateur", start=TODAY - 900 * DAY, end=None)
    TeamFactory(ghid="equipe-incubateur", name="Équipe de l'incubateur", incubator=incubator).members.add(lead)
    fresh = ProductFactory(ghid="produit-frais", name="Produit Frais", incubator=incubator, phase="acceleration")
    with journal_transaction():
        journal.record(
            actor=None,
            action="registry.product_updated",
            message="Fiche modifiée",
            visibility=Visibility.PUBLIC,
            obj=fresh,
        )
    ProductFactory(ghid="produit-arrete", name="Produit Arrêté", incubator=incubator, phase="abandon")
    return {"lead": lead, "fresh": fresh}


def journal_transaction():

    return transaction.atomic()


def test_the_monthly_summary_is_sent_once_per_incubator_and_month(cast, incubator_team):
    lead = incubator_team["lead"]
    assert send_incubator_digests(now=at(TODAY)) == 1
    assert send_incubator_digests(now=at(TODAY + 5 * DAY)) == 0
    tick(now=at(TODAY + 6 * DAY))
    digest = sent("community.incubator_digest").get()
    assert digest.recipient == lead.user.email
    assert digest.subject == "[Incubateur Test] Synthèse de mars 2027"
    assert "Produit Test (dernier changement le 10 mars 2026)" in digest.body  # its phase started a year ago
    assert "Produit Frais" not in digest.body  # edited on the platform today
    assert "Produit Arrêté" not in digest.body  # not in an active phase
    assert "Lou Test, le 9 avril 2027" in digest.body  # mission ends within 30 days
    assert "Sam Test" not in digest.body
    assert "Rien à remplir" in digest.body
    assert IncubatorDigest.objects.get().month == datetime.date(2027, 3, 1)
    with freeze_time(at(datetime.date(2027, 4, 2))):
        assert send_incubator_digests(now=at(datetime.date(2027, 4, 2))) == 1
    assert IncubatorDigest.objects.count() == 2


def test_a_month_with_nothing_to_say_sends_nothing(frozen):
    incubator = IncubatorFactory()
    lead = member_with_account("ines.calme", start=TODAY - 900 * DAY, end=None)
    TeamFactory(incubator=incubator).members.add(lead)
    assert send_incubator_digests(now=at(TODAY)) == 0
    assert IncubatorDigest.objects.count() == 1 and not Notification.objects.exists()


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2027, 3, 10), 6, datetime.date(2026, 9, 10)),
        (datetime.date(2027, 8, 31), 6, datetime.date(2027, 2, 28)),
        (datetime.date(2028, 8, 31), 6, datetime.date(2028, 2, 29)),
        (datetime.date(2027, 1, 15), 1, datetime.date(2026, 12, 15)),
    ],
)
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


# --- The command, personal data ---------------------------------------------------------------------------------


def test_the_command_runs_the_same_chores(cast, capsys):
    call_command("send_reminders")
    call_command("send_reminders")
    out = capsys.readouterr().out
    assert "Rappels de fin de mission envoyés (j-30 : 1)." in out
    assert "Rappels de fin de mission envoyés (aucun)." in out
    assert Reminder.objects.count() == 1


def test_the_personal_data_export_has_ticks_and_reminders(cast):

    leaving = cast["leaving"]
    ChecklistTick.objects.create(member=leaving, checklist="arrivee", item="charte", done_by=leaving.user)
    send_reminders(now=at(TODAY))
    data = export(leaving.user)
    assert [row["etape"] for row in data["parcours"]] == ["charte"]
    assert data["rappels_de_fin_de_mission"][0]["fin"] == "2027-04-09"
    assert export(cast["staying"].user) == {"parcours": [], "rappels_de_fin_de_mission": []}
