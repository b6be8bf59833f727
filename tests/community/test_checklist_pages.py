"""« Mon parcours », one member's checklist and the Pôle Animation's overview: who sees, who ticks what."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from incubateur.community import checklists
from incubateur.community.models import Checklist, ChecklistTick
from incubateur.community.services import checklist_tick
from incubateur.core.errors import NotAllowed
from incubateur.core.models import JournalEntry
from tests.community.helpers import animation_user, member_with_account
from tests.factories import UserFactory
from tests.registry.factories import MemberFactory, MissionFactory

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def newcomer():
    return member_with_account("nora.arrivee", start=TODAY - 10 * DAY, end=TODAY + 100 * DAY)


def tick_post(client, url, key, done="1", checklist="arrivee"):
    return client.post(url, {"parcours": checklist, "etape": key, "fait": done})


def test_my_checklist_shows_my_onboarding_and_my_progress(client, newcomer):
    ChecklistTick.objects.create(member=newcomer, checklist=Checklist.ONBOARDING, item="charte")
    client.force_login(newcomer.user)
    response = client.get(reverse("community:my_checklist"))
    html = response.content.decode()
    total = len(checklists.items_for(Checklist.ONBOARDING, "Développement"))
    assert "Mon parcours d'arrivée" in html
    assert f"1 étape sur {total}" in html
    assert "Renseigner son compte GitHub" in html  # a developer's item
    assert "Découvrir le Système de design" not in html  # a designer's one
    assert "Le Pôle Animation coche cette étape." in html
    # The workshop is the Pôle Animation's: no button for the member.
    assert 'Marquer <span class="fr-sr-only">« Atelier d&#x27;embarquement suivi » </span>comme faite' not in html
    assert (
        'Marquer <span class="fr-sr-only">« Lire et accepter la charte de la communauté » </span>comme faite'
        not in html
    )  # ticked already
    assert 'Remettre <span class="fr-sr-only">« Lire et accepter la charte de la communauté » </span>à faire' in html


def test_the_member_ticks_and_unticks_their_own_items_journaled(client, newcomer):
    client.force_login(newcomer.user)
    url = reverse("community:my_checklist")
    response = tick_post(client, url, "tchap")
    assert response.status_code == 302 and response["Location"].startswith(url + "?parcours=arrivee")
    tick = ChecklistTick.objects.get(member=newcomer)
    assert (tick.item, tick.checklist, tick.done_by) == ("tchap", "arrivee", newcomer.user)
    assert tick_post(client, url, "tchap").status_code == 302  # a double click changes nothing
    assert ChecklistTick.objects.filter(member=newcomer).count() == 1
    entry = JournalEntry.objects.get(action="community.checklist_ticked")
    assert entry.visibility == "internal" and "Rejoindre les salons Tchap" in entry.message
    tick_post(client, url, "tchap", done="0")
    assert not ChecklistTick.objects.filter(member=newcomer).exists()
    assert JournalEntry.objects.filter(action="community.checklist_unticked").count() == 1


def test_the_member_cannot_tick_the_animation_items_nor_someone_else(client, newcomer):
    other = member_with_account("otto.autre", start=TODAY - 5 * DAY, end=TODAY + 50 * DAY)
    client.force_login(newcomer.user)
    assert tick_post(client, reverse("community:my_checklist"), "atelier-embarquement").status_code == 404
    assert client.get(reverse("community:member_checklist", args=[other.username])).status_code == 404
    assert tick_post(client, reverse("community:member_checklist", args=[other.username]), "charte").status_code == 404
    assert client.get(reverse("community:overview")).status_code == 404
    assert not ChecklistTick.objects.exists()
    with pytest.raises(NotAllowed):
        checklist_tick(member=newcomer, checklist="arrivee", item_key="atelier-embarquement", by=newcomer.user)


def test_an_unknown_or_foreign_item_is_refused_with_a_message(client, newcomer):
    client.force_login(newcomer.user)
    url = reverse("community:my_checklist")
    response = tick_post(client, url, "accessibilite-design", checklist="arrivee")  # a designer's item
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert "Cette étape n&#x27;existe pas dans ce parcours." in response.content.decode()
    tick_post(client, url, "charte", checklist="nimporte")
    assert not ChecklistTick.objects.exists()


def test_the_animation_ticks_the_workshop_and_sees_everyone(client, newcomer):
    animator = animation_user()
    client.force_login(animator)
    url = reverse("community:member_checklist", args=[newcomer.username])
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200 and "Parcours d'arrivée de Nora Test" in html
    assert 'Marquer <span class="fr-sr-only">« Atelier d&#x27;embarquement suivi » </span>comme faite' in html
    assert tick_post(client, url, "atelier-embarquement").status_code == 302
    assert tick_post(client, url, "charte").status_code == 302
    assert ChecklistTick.objects.filter(member=newcomer, done_by=animator).count() == 2
    overview = client.get(reverse("community:overview")).content.decode()
    assert "Nora Test" in overview and "2 / " in overview


def test_staff_follow_read_only_and_admins_tick(client, newcomer):
    client.force_login(UserFactory(staff=True))
    url = reverse("community:member_checklist", args=[newcomer.username])
    html = client.get(url).content.decode()
    assert "Atelier d&#x27;embarquement suivi" in html and "comme faite" not in html
    assert tick_post(client, url, "charte").status_code == 404
    assert client.get(reverse("community:overview")).status_code == 200
    client.force_login(UserFactory(admin=True))
    assert tick_post(client, url, "atelier-embarquement").status_code == 302
    assert ChecklistTick.objects.filter(member=newcomer, item="atelier-embarquement").exists()


def test_the_offboarding_comes_once_the_last_mission_ended(client):
    leaver = member_with_account("lea.depart", start=TODAY - 400 * DAY, end=TODAY - 3 * DAY)
    client.force_login(leaver.user)
    html = client.get(reverse("community:my_checklist")).content.decode()
    assert "Mon parcours de départ" in html and "Faire la passation" in html
    assert tick_post(client, reverse("community:my_checklist"), "passation", checklist="depart").status_code == 302
    assert ChecklistTick.objects.get(member=leaver).checklist == "depart"
    # A new mission to come: back to onboarding.
    MissionFactory(member=leaver, start=TODAY + 10 * DAY, end=TODAY + 100 * DAY)
    assert "Mon parcours d'arrivée" in client.get(reverse("community:my_checklist")).content.decode()
    # The other checklist stays readable.
    html = client.get(reverse("community:my_checklist") + "?parcours=depart").content.decode()
    assert "Mon parcours de départ" in html and "n'est pas le parcours en cours" in html


def test_without_a_fiche_the_page_says_so(client):
    client.force_login(UserFactory())
    html = client.get(reverse("community:my_checklist")).content.decode()
    assert "Mon parcours d'arrivée" in html and "aucune fiche" in html


def test_my_space_links_to_my_checklist(client, newcomer):
    client.force_login(newcomer.user)
    assert reverse("community:my_checklist") in client.get(reverse("public:my_space")).content.decode()


def test_the_overview_lists_newcomers_and_leavers_with_filters(client, newcomer):
    member_with_account("dina.design", start=TODAY - 20 * DAY, end=None, domaine="Design")
    member_with_account("vieux.routier", start=TODAY - 900 * DAY, end=TODAY + 30 * DAY)  # not a newcomer
    member_with_account("lea.depart", start=TODAY - 400 * DAY, end=TODAY - 3 * DAY)
    member_with_account("ancien.depart", start=TODAY - 900 * DAY, end=TODAY - 300 * DAY)  # left long ago
    client.force_login(animation_user())
    html = client.get(reverse("community:overview")).content.decode()
    assert "Nora Test" in html and "Dina Test" in html
    assert "Vieux Test" not in html and "Lea Test" not in html
    html = client.get(reverse("community:overview"), {"parcours": "depart"}).content.decode()
    assert "Lea Test" in html and "Ancien Test" not in html and "Nora Test" not in html
    html = client.get(reverse("community:overview"), {"domaine": "Design"}).content.decode()
    assert "Dina Test" in html and "Nora Test" not in html
    html = client.get(reverse("community:overview"), {"q": "nora"}).content.decode()
    assert "Nora Test" in html and "Dina Test" not in html
    html = client.get(reverse("community:overview"), {"q": "personne"}).content.decode()
    assert "Aucun membre ne correspond à ces filtres." in html


def _newcomers(count: int, start: int):
    for n in range(start, start + count):
        member = MemberFactory(username=f"arrivant{n}", fullname=f"Arrivant {n}", domaine="Design")
        MissionFactory(member=member, start=TODAY - DAY * (n % 30), end=TODAY + 100 * DAY)
        ChecklistTick.objects.create(member=member, checklist="arrivee", item="charte")


@pytest.mark.parametrize("parcours", ["arrivee", "depart"])
def test_the_overview_queries_stay_flat(client, django_assert_max_num_queries, parcours):
    client.force_login(animation_user())
    _newcomers(3, 0)
    with django_assert_max_num_queries(8) as small:
        assert client.get(reverse("community:overview"), {"parcours": parcours}).status_code == 200
    _newcomers(30, 3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("community:overview"), {"parcours": parcours})
    if parcours == "arrivee":
        assert "33 nouveaux arrivants" in response.content.decode()
