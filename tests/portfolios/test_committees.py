"""Investment committees: recording one (the page and the service), the committee event on the product's public
history, a phase change decided with it, what is refused, and the product's committees page."""

import datetime
import re
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

# The URLs (and the API's pydantic schemas) load before any clock is frozen: under freeze_time, `datetime.date`
# is freezegun's class, which pydantic cannot describe.
import config.urls  # noqa: F401
from incubateur.core.models import JournalEntry, Visibility
from incubateur.portfolios import services
from incubateur.portfolios.models import Committee, CommitteeDecision
from incubateur.registry.models import Event, Phase
from tests.factories import UserFactory, person
from tests.organisation.helpers import justice_product

NOW = "2026-03-16 09:00:00"  # a Monday, 10:00 in Paris
TODAY = datetime.date(2026, 3, 16)


@pytest.fixture
def clock():
    """The clock frozen at NOW; request it first, so that the organisation is loaded on that day too."""
    with freeze_time(NOW) as frozen:
        yield frozen


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def main_text(response) -> str:
    content = response.content.decode()
    html = content[content.index("<main") : content.index("</main>")]
    html = re.sub(r"</?(?:a|strong|em|span|b)(?:\s[^>]*)?>", "", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def field_errors(response, name: str) -> str:
    """The error text shown right after the field `name` (DSFR: inside its group, below the input)."""
    html = response.content.decode()
    block = re.search(rf'<div id="id_{name}-desc-error">(.*?)</div>', html, flags=re.S)
    assert block, f"no error shown next to « {name} »"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", block.group(1))).split())


@pytest.fixture
def product(organisation):
    made = justice_product(phase=None)
    Phase.objects.create(product=made, name="construction", start=datetime.date(2025, 5, 5))
    return made


@pytest.fixture
def staff(organisation):
    return person("antoine.rivage")


URL = "/equipe/produits/justice-pour-tous/comites/"
NEW = URL + "nouveau/"


# --- Recording ------------------------------------------------------------------------------------------------


def test_recording_a_committee_writes_a_public_committee_event_on_the_product(clock, product, staff):
    client = client_for(staff)
    response = client.post(
        NEW,
        {
            "date": "2026-03-12",
            "decision": "poursuite",
            "attendees": "Camille, intrapreneure\nLa sponsor, directrice",
            "deck_url": "https://exemple.beta.gouv.fr/comite-mars.pdf",
            "budget_requested": "450000",
            "budget_granted": "400000",
            "comment": "Le ratio coût/impact s'améliore.",
        },
    )
    assert (response.status_code, response["Location"]) == (302, URL)

    committee = Committee.objects.get(product=product)
    assert (committee.date, committee.decision, committee.next_due) == (
        datetime.date(2026, 3, 12),
        CommitteeDecision.CONTINUE,
        datetime.date(2026, 9, 12),
    )
    assert (committee.budget_requested, committee.budget_granted, committee.recorded_by) == (450_000, 400_000, staff)
    assert committee.attendees == "Camille, intrapreneure\nLa sponsor, directrice"

    [event] = Event.objects.filter(product=product)
    assert (event.name, event.date, event.comment) == ("committee", datetime.date(2026, 3, 12), "Poursuite (6 mois)")
    # Public: the product's history is published with the registry, and the journal says it publicly.
    public = JournalEntry.objects.get(action="registry.event_added")
    assert public.visibility == Visibility.PUBLIC
    assert public.message == "Justice pour tous : comité d'investissement le 12 mars 2026"
    internal = JournalEntry.objects.get(action="programmes.committee_recorded")
    assert internal.visibility == Visibility.INTERNAL
    assert internal.actor == staff
    # Nothing else changed: no phase.
    assert list(Phase.objects.filter(product=product).values_list("name", "end")) == [("construction", None)]

    page = client.get(URL)
    assert "Comité du 12 mars 2026 enregistré : Poursuite (6 mois)." in main_text(page)


def test_a_phase_change_ends_the_current_phase_and_starts_the_new_one(clock, product, staff):
    client = client_for(staff)
    response = client.post(NEW, {"date": "2026-03-10", "decision": "poursuite", "phase": "acceleration"})
    assert response.status_code == 302
    phases = list(Phase.objects.filter(product=product).order_by("start").values_list("name", "start", "end"))
    assert phases == [
        ("construction", datetime.date(2025, 5, 5), datetime.date(2026, 3, 10)),
        ("acceleration", datetime.date(2026, 3, 10), None),
    ]
    assert Committee.objects.get(product=product).phase == "acceleration"
    assert set(
        JournalEntry.objects.filter(action__in=["registry.phase_ended", "registry.phase_added"]).values_list(
            "action", "visibility"
        )
    ) == {("registry.phase_ended", Visibility.PUBLIC), ("registry.phase_added", Visibility.PUBLIC)}
    text = main_text(client.get(URL))
    assert "Le produit passe en phase « accélération »." in text
    assert "Phase actuelle : accélération, depuis le 10 mars 2026" in text


def test_a_future_date_is_refused_next_to_the_field(clock, product, staff):
    response = client_for(staff).post(NEW, {"date": "2026-03-17", "decision": "poursuite"})
    assert response.status_code == 200
    assert field_errors(response, "date") == "Un comité s'enregistre une fois tenu : la date est dans le futur."
    assert "Erreur : Enregistrer un comité" in response.content.decode()
    assert not Committee.objects.exists() and not Event.objects.exists()
    # Today is fine (the committee was held this morning).
    assert client_for(staff).post(NEW, {"date": "2026-03-16", "decision": "arret"}).status_code == 302
    text = main_text(client_for(staff).get(URL))
    assert "Le dernier comité a décidé l'arrêt : aucun autre comité n'est attendu." in text
    assert "Prochain comité attendu" not in text


def test_the_service_refuses_a_future_date_too(clock, product, staff):
    with pytest.raises(ValidationError) as caught:
        services.committee_record(
            product=product, actor=staff, date=datetime.date(2026, 3, 17), decision=CommitteeDecision.CONTINUE
        )
    assert "date" in caught.value.message_dict
    assert not Committee.objects.exists()


def test_errors_are_shown_next_to_their_fields(clock, product, staff):
    response = client_for(staff).post(
        NEW, {"date": "", "decision": "", "deck_url": "pas une adresse", "budget_requested": "-5"}
    )
    assert response.status_code == 200
    assert field_errors(response, "date") == "Indiquez la date du comité."
    assert field_errors(response, "decision") == "Choisissez la décision du comité."
    assert field_errors(response, "deck_url") == (
        "Saisissez une adresse web valide, par exemple https://exemple.beta.gouv.fr/comite.pdf."
    )
    assert field_errors(response, "budget_requested") == "Le montant ne peut pas être négatif."
    assert "Le formulaire contient 4 erreurs" in main_text(response)
    assert not Committee.objects.exists()


def test_a_phase_the_product_already_had_is_refused_next_to_the_field(clock, product, staff):
    Phase.objects.create(
        product=product, name="investigation", start=datetime.date(2025, 1, 6), end=datetime.date(2025, 5, 4)
    )
    response = client_for(staff).post(NEW, {"date": "2026-03-10", "decision": "poursuite", "phase": "investigation"})
    assert response.status_code == 200
    assert field_errors(response, "phase") == "Le produit a déjà connu cette phase."
    assert not Committee.objects.exists() and not Event.objects.exists()
    assert Phase.objects.get(product=product, name="construction").end is None


def test_only_incubator_staff_record_committees(product):
    member = UserFactory(username="camille.membre")
    assert client_for(member).get(NEW).status_code == 404
    assert client_for(member).post(NEW, {"date": "2025-01-01", "decision": "arret"}).status_code == 404
    assert not Committee.objects.exists()
    assert client_for(person("antoine.rivage")).get("/equipe/produits/inconnu/comites/nouveau/").status_code == 404


def test_the_form_starts_with_today(product, staff):
    response = client_for(staff).get(NEW)
    assert response.status_code == 200
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in response.content.decode()


# --- The product's committees page ----------------------------------------------------------------------------


def test_the_committees_page_lists_recorded_committees_and_the_imported_history(clock, product, staff):
    # From beta.gouv.fr's history (as the import writes it).
    Event.objects.create(
        product=product, name="committee", date=datetime.date(2025, 6, 2), comment="Comité de lancement"
    )
    Event.objects.create(product=product, name="product_launch", date=datetime.date(2025, 7, 1), order=1)
    services.committee_record(
        product=product,
        actor=staff,
        date=datetime.date(2025, 12, 1),
        decision=CommitteeDecision.PROVISIONAL,
        attendees="La sponsor",
        deck_url="https://exemple.beta.gouv.fr/decembre.pdf",
        budget_requested=250_000,
        budget_granted=80_000,
        comment="Revenir avec des chiffres d'usage",
    )

    response = client_for(staff).get(URL)
    assert response.status_code == 200
    text = main_text(response)
    assert "Comités d'investissement de « Justice pour tous »" in text
    assert "Phase actuelle : construction, depuis le 5 mai 2025" in text
    assert "Portefeuille : Justice (Pierre Boussole)" in text
    assert "Prochain comité attendu avant le 1er février 2026 En retard" in text
    assert (
        "1er décembre 2025 Poursuite provisoire (1 à 2 mois) 250 000 € 80 000 € — 1er février 2026 "
        "La sponsor Support de présentation du comité du 1er décembre 2025 Revenir avec des chiffres d'usage"
    ) in text
    html = response.content.decode()
    assert 'href="https://exemple.beta.gouv.fr/decembre.pdf"' in html
    assert (
        'fr-btn--icon-left" href="/equipe/produits/justice-pour-tous/comites/nouveau/">Enregistrer un comité' in html
    )
    # The imported committee, once; the committee recorded here is not repeated as history; no other event.
    history = text[text.index("Historique importé de beta.gouv.fr") :]
    assert "Comité du 2 juin 2025 — Comité de lancement" in history
    assert "1er décembre 2025" not in history
    assert "lancement du produit" not in history
    # The Justice manager's board is linked for those who may open it only.
    board_link = 'href="/equipe/portefeuilles/pierre.boussole/"'
    assert board_link not in html
    assert board_link not in client_for(person("yasmine.mimosa")).get(URL).content.decode()  # another manager
    assert board_link in client_for(person("pierre.boussole")).get(URL).content.decode()
    assert board_link in client_for(person("igor.balise")).get(URL).content.decode()


def test_the_committees_page_of_a_product_without_any(clock, product, staff):
    text = main_text(client_for(staff).get(URL))
    assert "Aucun comité n'a encore été enregistré ici pour ce produit." in text
    assert "L'historique public du produit ne mentionne aucun autre comité." in text
    assert "Enregistrer un comité" in text
    # No committee known: none is due, and the product is not late (the phase started on 5 May 2025).
    assert (
        "Aucun comité connu : ni enregistré ici, ni dans l'historique public du produit. Le premier reste à "
        "planifier ; il n'est pas compté en retard."
    ) in text
    assert "En retard" not in text and "Prochain comité attendu" not in text


def test_a_later_committee_of_the_history_sets_the_due_date_on_the_committees_page(clock, product, staff):
    services.committee_record(
        product=product, actor=staff, date=datetime.date(2025, 9, 1), decision=CommitteeDecision.PROVISIONAL
    )
    Event.objects.create(product=product, name="committee", date=datetime.date(2025, 12, 15), order=3)
    text = main_text(client_for(staff).get(URL))
    assert "Prochain comité attendu avant le 15 juin 2026 Enregistrer" in text
    assert "Comité du 15 décembre 2025" in text


def test_the_committees_page_is_for_staff_and_known_products(product, staff):
    assert client_for(staff).get("/equipe/produits/inconnu/comites/").status_code == 404
    assert client_for(UserFactory(username="camille.membre")).get(URL).status_code == 404
    assert client_for(UserFactory(admin=True)).get(URL).status_code == 200
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/connexion/?next=")
