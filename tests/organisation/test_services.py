"""Write use cases of the organisation: loading the file (the real one, then changed), and the staff actions."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from incubateur.core.models import JournalEntry, Visibility
from incubateur.organisation import services
from incubateur.organisation.models import (
    Commitment,
    ContactChannel,
    Department,
    Pole,
    Portfolio,
    Position,
    Reason,
)
from tests.factories import UserFactory
from tests.organisation.helpers import ORGANISATION_FILE, REAL_ORGANISATION_FILE

User = get_user_model()
KINDS = ["personnes", "pôles", "portefeuilles", "postes", "contacts", "raisons", "engagements"]


def person(username: str):
    return User.objects.get(username=username)


def current_positions(username: str):
    return Position.objects.current().filter(person__username=username).select_related("pole", "portfolio")


def public_messages() -> list[str]:
    return list(JournalEntry.objects.filter(visibility=Visibility.PUBLIC).values_list("message", flat=True))


def report_lines(output: str) -> dict[str, str]:
    """`personnes : 26 créées, …` → {"personnes": "26 créées, …"}."""
    lines = {}
    for line in output.splitlines()[1:]:
        kind, _, counts = line.strip().partition(" : ")
        lines[kind] = counts
    return lines


def load(path=ORGANISATION_FILE) -> str:
    out = StringIO()
    call_command("load_organisation", str(path), stdout=out)
    return out.getvalue()


def real_data() -> dict:
    return yaml.safe_load(REAL_ORGANISATION_FILE.read_text(encoding="utf-8"))


def fixture_data() -> dict:
    """The tests' fictional organisation, to change and load again."""
    return yaml.safe_load(ORGANISATION_FILE.read_text(encoding="utf-8"))


def write(tmp_path, data: dict) -> Path:
    path = tmp_path / "organisation.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def pole_entry(data: dict, slug: str) -> dict:
    return next(pole for pole in data["poles"] if pole["slug"] == slug)


# --- Loading the real file (data/organisation.yaml) ------------------------------------------------------


def test_loading_the_real_file_creates_everyone_and_says_so(real_organisation):
    assert report_lines(real_organisation) == {
        "personnes": "37 créées, 0 modifiée, 0 inchangée",
        "pôles": "8 créés, 0 modifié, 0 inchangé",
        "portefeuilles": "10 créés, 0 modifié, 0 inchangé",
        "postes": "39 créés, 0 modifié, 0 inchangé",
        "contacts": "3 créés, 0 modifié, 0 inchangé",
        "raisons": "7 créées, 0 modifiée, 0 inchangée",
        "engagements": "5 créés, 0 modifié, 0 inchangé",
    }
    assert User.objects.count() == 37
    assert User.objects.filter(positions__in=Position.objects.current()).distinct().count() == 37
    assert Position.objects.current().count() == 39
    assert Pole.objects.count() == 8
    assert Portfolio.objects.count() == 10
    assert Reason.objects.count() == 7
    assert Commitment.objects.count() == 5
    assert Department.objects.count() == 1


def test_every_person_of_the_file_holds_their_role(real_organisation):
    data = real_data()
    names = {p["username"]: (p["first_name"], p["last_name"]) for p in data["people"]}
    for user in User.objects.all():
        assert (user.first_name, user.last_name) == names.pop(user.username)
    assert names == {}
    for pole in data["poles"]:
        for order, entry in enumerate(pole.get("positions") or []):
            position = Position.objects.current().get(pole__slug=pole["slug"], person__username=entry["person"])
            assert (position.title, position.is_lead, position.order, position.portfolio) == (
                entry["title"],
                entry.get("lead", False),
                order,
                None,
            )
    for entry in data["portfolios"]:
        portfolio = Portfolio.objects.get(slug=entry["slug"])
        assert portfolio.manager.username == entry["manager"]
        position = Position.objects.current().get(portfolio=portfolio)
        assert position.pole.slug == "partenariats"
        assert position.person == portfolio.manager
        assert position.title == f"Responsable de portefeuille : {entry['label']}"


def test_spot_checks_of_the_real_organisation(real_organisation):
    paul = person("paul.burgun")
    assert paul.get_full_name() == "Paul Burgun"
    assert {
        (p.pole.slug, p.is_lead, p.portfolio.label if p.portfolio else None) for p in current_positions("paul.burgun")
    } == {
        ("acceleration", True, None),
        ("partenariats", False, "Justice"),
    }
    assert Pole.objects.get(slug="acceleration").lead == paul
    assert Portfolio.objects.get(slug="justice").manager == paul

    assert {
        (p.pole.slug, p.is_lead, p.portfolio.label if p.portfolio else None) for p in current_positions("mael.inizan")
    } == {
        ("coaching", True, None),
        ("partenariats", False, "Logement"),
    }
    assert person("mael.inizan").get_full_name() == "Maël Inizan"

    department = Department.objects.get()
    assert department.operations_lead == person("emmanuelle.graff")
    assert department.fallback_pole.slug == "direction"
    assert department.fallback_pole.lead == person("ishan.bhojwani")

    assert person("elsa.le-duigou").get_full_name() == "Elsa Le Duigou"
    assert person("chaib.martinez").get_full_name() == "Chaïb Martinez"
    assert person("magali.marcel").get_full_name() == "Magali Marcel-Garreau"
    assert person("benjamin.d.doberset").get_full_name() == "Benjamin Doberset"
    assert Pole.objects.get(slug="animation").lead == person("benjamin.d.doberset")
    assert Pole.objects.get(slug="partenariats").lead is None
    assert [p.title for p in current_positions("emmanuelle.graff")] == [
        "Responsable des opérations et de coordination de projets (PMO)"
    ]


def test_everyone_is_incubator_staff_with_their_beta_gouv_address(real_organisation):
    for user in User.objects.all():
        assert user.email == f"{user.username}@beta.gouv.fr"
        assert user.is_incubator_staff
        assert not user.has_usable_password()
    assert person("elsa.le-duigou").email == "elsa.le-duigou@beta.gouv.fr"


def test_addresses_follow_the_member_email_domain_setting(settings):
    settings.MEMBER_EMAIL_DOMAIN = "exemple.gouv.fr"
    load()
    assert person("pierre.boussole").email == "pierre.boussole@exemple.gouv.fr"
    assert not User.objects.filter(email__endswith="@beta.gouv.fr").exists()


def test_contacts_reasons_and_commitments(real_organisation):
    department = Department.objects.get()
    assert department.contact_email == "dinum@beta.gouv.fr"
    assert department.mattermost_channel == "incubateur-animation"
    assert department.recruitment_url == "https://beta.gouv.fr/recrutement"
    channels = {(c.kind, c.value): c for c in ContactChannel.objects.select_related("pole")}
    assert set(channels) == {
        ("email", "dinum@beta.gouv.fr"),
        ("email", "animation@beta.gouv.fr"),
        ("mattermost", "incubateur-animation"),
    }
    assert channels[("email", "animation@beta.gouv.fr")].pole.slug == "animation"
    assert channels[("email", "dinum@beta.gouv.fr")].href == "mailto:dinum@beta.gouv.fr"
    assert channels[("mattermost", "incubateur-animation")].href.startswith("https://mattermost.")
    assert Reason.objects.count() == 7
    assert Reason.objects.first().code == "doute-produit"
    assert Commitment.objects.count() == 5
    assert department.commitments_intro
    assert department.commitments_outro


def test_the_load_is_journaled_publicly_once_per_change_and_internally_once_per_run(organisation):
    # One row per position started and per portfolio given: what the community may read.
    assert (
        JournalEntry.objects.filter(visibility=Visibility.PUBLIC, action="organisation.position_started").count() == 28
    )
    assert (
        JournalEntry.objects.filter(visibility=Visibility.PUBLIC, action="organisation.portfolio_manager").count()
        == 10
    )
    assert "Pierre Boussole est désormais responsable du portefeuille Justice" in public_messages()
    loaded = JournalEntry.objects.get(action="organisation.loaded")
    assert loaded.visibility == Visibility.INTERNAL
    assert loaded.message.startswith("Organisation chargée depuis organisation.yaml : personnes : 26 créées")


def test_a_second_load_changes_nothing(organisation):
    rows = {model: model.objects.count() for model in [User, Pole, Position, Portfolio, ContactChannel, Reason]}
    public = JournalEntry.objects.filter(visibility=Visibility.PUBLIC).count()
    second = report_lines(load())
    assert set(second) == set(KINDS)
    for kind, counts in second.items():
        assert counts.startswith(("0 créé, 0 modifié, ", "0 créée, 0 modifiée, ")), f"{kind} : {counts}"
        assert "terminé" not in counts, f"{kind} : {counts}"
    assert second["postes"] == "0 créé, 0 modifié, 28 inchangés"
    assert {model: model.objects.count() for model in rows} == rows
    assert JournalEntry.objects.filter(visibility=Visibility.PUBLIC).count() == public


# --- Loading a changed file ------------------------------------------------------------------------


def test_removing_a_person_from_the_file_ends_their_position_and_keeps_their_account(tmp_path, organisation):
    data = fixture_data()
    data["people"] = [p for p in data["people"] if p["username"] != "odilon.bastide"]
    acceleration = pole_entry(data, "acceleration")
    acceleration["positions"] = [p for p in acceleration["positions"] if p["person"] != "odilon.bastide"]

    report = report_lines(load(write(tmp_path, data)))

    assert report["postes"] == "0 créé, 0 modifié, 27 inchangés, 1 terminé ou retiré"
    odilon = person("odilon.bastide")  # the account stays
    assert not odilon.is_incubator_staff
    position = Position.objects.get(person=odilon)
    assert position.end_date == timezone.localdate() - timedelta(days=1)
    assert not position.is_current
    assert public_messages()[0] == "Odilon Bastide a quitté Le Pôle Accélération (Expert accélération)"
    # And a third load, with the same file, changes nothing more.
    assert "terminé" not in load(write(tmp_path, data))


def test_a_person_who_changes_pole_leaves_one_and_joins_the_other(tmp_path, organisation):
    data = fixture_data()
    acceleration = pole_entry(data, "acceleration")
    acceleration["positions"] = [p for p in acceleration["positions"] if p["person"] != "caius.marelle"]
    pole_entry(data, "animation")["positions"].append({"person": "caius.marelle", "title": "Animateur"})

    load(write(tmp_path, data))

    assert [(p.pole.slug, p.title) for p in current_positions("caius.marelle")] == [("animation", "Animateur")]
    assert person("caius.marelle").is_incubator_staff
    messages = public_messages()[:2]
    assert "Caïus Marelle a quitté Le Pôle Accélération (Expert accélération)" in messages
    assert "Caïus Marelle a rejoint Le Pôle Animation et Expertises (Animateur)" in messages


def test_a_new_title_updates_the_position_in_place(tmp_path, organisation):
    data = fixture_data()
    pole_entry(data, "produits-incubes")["positions"][0]["title"] = "Développeur senior"
    report = report_lines(load(write(tmp_path, data)))
    assert report["postes"] == "0 créé, 1 modifié, 27 inchangés"
    assert [p.title for p in current_positions("simon.mistral")] == ["Développeur senior"]


def test_a_portfolio_given_to_someone_else_in_the_file(tmp_path, organisation):
    data = fixture_data()
    next(p for p in data["portfolios"] if p["slug"] == "justice")["manager"] = "aubin.houblon"

    report = report_lines(load(write(tmp_path, data)))

    assert report["portefeuilles"] == "0 créé, 1 modifié, 9 inchangés"
    assert report["postes"] == "1 créé, 0 modifié, 27 inchangés, 1 terminé ou retiré"
    assert Portfolio.objects.get(slug="justice").manager == person("aubin.houblon")
    assert [p.pole.slug for p in current_positions("pierre.boussole")] == ["acceleration"]
    assert person("pierre.boussole").is_incubator_staff  # he still leads the Pôle Accélération
    assert "Aubin Houblon est désormais responsable du portefeuille Justice" in public_messages()[:3]


def test_a_member_of_the_community_who_joins_keeps_their_account(tmp_path, organisation):
    member = UserFactory(username=None, email="zoe.durand@beta.gouv.fr", first_name="Zoé", last_name="D.")
    data = fixture_data()
    data["people"].append({"username": "zoe.durand", "first_name": "Zoé", "last_name": "Durand"})
    pole_entry(data, "coaching")["positions"].append({"person": "zoe.durand", "title": "Coach produit"})

    report = report_lines(load(write(tmp_path, data)))

    assert report["personnes"] == "0 créée, 1 modifiée, 26 inchangées"
    member.refresh_from_db()
    assert (member.username, member.last_name, member.is_incubator_staff) == ("zoe.durand", "Durand", True)


# --- portfolio_set_manager -------------------------------------------------------------------------


def test_portfolio_set_manager_moves_the_position_and_writes_a_public_row(organisation):
    staff = person("emilie.grenat")
    newcomer = UserFactory(username="camille.durand", first_name="Camille", last_name="Durand")
    portfolio = Portfolio.objects.get(slug="travail-insertion-armees")
    assert not newcomer.is_incubator_staff

    services.portfolio_set_manager(portfolio=portfolio, manager=newcomer, by=staff)

    portfolio.refresh_from_db()
    assert portfolio.manager == newcomer
    position = Position.objects.current().get(portfolio=portfolio)
    assert (position.person, position.pole.slug, position.title) == (
        newcomer,
        "partenariats",
        "Responsable de portefeuille : Travail, Insertion et Armées",
    )
    assert list(current_positions("yasmine.mimosa")) == []
    assert Position.objects.get(person__username="yasmine.mimosa").end_date is not None
    entry = JournalEntry.objects.about(portfolio).get(action="organisation.portfolio_manager", actor=staff)
    assert entry.visibility == Visibility.PUBLIC
    assert entry.message == "Camille Durand est désormais responsable du portefeuille Travail, Insertion et Armées"
    assert entry.data == {"manager": "camille.durand", "previous": "yasmine.mimosa"}
    # Staff flags: the new manager holds a position now, the previous one none.
    newcomer.refresh_from_db()
    assert newcomer.is_incubator_staff
    assert not person("yasmine.mimosa").is_incubator_staff


def test_portfolio_set_manager_to_someone_who_holds_another_position(organisation):
    portfolio = Portfolio.objects.get(slug="justice")
    services.portfolio_set_manager(portfolio=portfolio, manager=person("gael.ivoire"), by=None)
    assert {p.portfolio.slug for p in current_positions("gael.ivoire") if p.portfolio} == {"logement", "justice"}
    assert [p.pole.slug for p in current_positions("pierre.boussole")] == ["acceleration"]
    assert person("pierre.boussole").is_incubator_staff
    assert person("gael.ivoire").is_incubator_staff


def test_portfolio_set_manager_to_the_same_person_does_nothing(organisation):
    rows = JournalEntry.objects.count()
    portfolio = Portfolio.objects.get(slug="justice")
    services.portfolio_set_manager(portfolio=portfolio, manager=person("pierre.boussole"), by=None)
    assert JournalEntry.objects.count() == rows
    assert Position.objects.current().filter(portfolio=portfolio).count() == 1


def test_portfolio_set_manager_to_nobody_leaves_it_vacant(organisation):
    portfolio = Portfolio.objects.get(slug="interieur")
    services.portfolio_set_manager(portfolio=portfolio, manager=None, by=person("igor.balise"))
    portfolio.refresh_from_db()
    assert portfolio.manager is None
    assert not Position.objects.current().filter(portfolio=portfolio).exists()
    assert public_messages()[0] == "Le portefeuille Intérieur n'a plus de responsable"
    assert not person("theo.dolmen").is_incubator_staff


# --- position_add / position_end -------------------------------------------------------------------


def test_position_add_starts_a_position_and_makes_the_person_staff(organisation):
    newcomer = UserFactory(username="camille.durand", first_name="Camille", last_name="Durand")
    pole = Pole.objects.get(slug="animation")
    position = services.position_add(pole=pole, person=newcomer, title="Animatrice", by=person("flora.bruine"))
    assert position.is_current
    assert (position.pole, position.title, position.is_lead, position.order) == (pole, "Animatrice", False, 3)
    newcomer.refresh_from_db()
    assert newcomer.is_incubator_staff
    entry = JournalEntry.objects.first()
    assert (entry.message, entry.visibility, entry.actor) == (
        "Camille Durand a rejoint Le Pôle Animation et Expertises (Animatrice)",
        Visibility.PUBLIC,
        person("flora.bruine"),
    )
    assert pole.lead == person("bastien.d.dolomie")


def test_position_add_as_lead_takes_the_lead_over(organisation):
    newcomer = UserFactory(username="camille.durand")
    pole = Pole.objects.get(slug="animation")
    services.position_add(pole=pole, person=newcomer, title="Responsable", is_lead=True, by=None)
    assert pole.lead == newcomer
    assert Position.objects.current().filter(pole=pole, is_lead=True).count() == 1
    # The previous lead stays in the pole.
    assert [p.is_lead for p in current_positions("bastien.d.dolomie")] == [False]


def test_position_end_ends_it_and_keeps_the_history(organisation):
    position = Position.objects.current().get(person__username="odilon.bastide")
    services.position_end(position=position, by=person("pierre.boussole"))
    position.refresh_from_db()
    assert position.end_date == timezone.localdate() - timedelta(days=1)
    assert position.start_date <= position.end_date
    odilon = person("odilon.bastide")
    assert odilon.is_active
    assert not odilon.is_incubator_staff
    entry = JournalEntry.objects.first()
    assert entry.message == "Odilon Bastide a quitté Le Pôle Accélération (Expert accélération)"
    assert entry.visibility == Visibility.PUBLIC
    assert entry.actor == person("pierre.boussole")


def test_position_end_keeps_staff_who_hold_another_position(organisation):
    position = Position.objects.current().get(person__username="pierre.boussole", portfolio=None)
    services.position_end(position=position, by=None)
    assert person("pierre.boussole").is_incubator_staff
    assert Pole.objects.get(slug="acceleration").lead is None


def test_position_end_refuses_a_portfolio_position(organisation):
    position = Position.objects.current().get(portfolio__slug="justice")
    rows = JournalEntry.objects.count()
    with pytest.raises(ValueError, match="changez le responsable du portefeuille"):
        services.position_end(position=position, by=None)
    position.refresh_from_db()
    assert position.end_date is None
    assert JournalEntry.objects.count() == rows
    assert Portfolio.objects.get(slug="justice").manager == person("pierre.boussole")


def test_make_run_loads_into_an_empty_database_only_and_keeps_online_edits():
    out = StringIO()
    call_command("load_organisation", str(ORGANISATION_FILE), "--if-empty", stdout=out)
    assert "personnes : 26 créées" in out.getvalue()
    justice = Portfolio.objects.get(slug="justice")
    services.portfolio_set_manager(portfolio=justice, manager=UserFactory(), by=None)
    out = StringIO()
    call_command("load_organisation", str(ORGANISATION_FILE), "--if-empty", stdout=out)
    assert "Organisation déjà chargée" in out.getvalue()
    justice.refresh_from_db()
    assert justice.manager.username != "pierre.boussole"
    # Without the flag, the file wins again.
    load()
    justice.refresh_from_db()
    assert justice.manager.username == "pierre.boussole"
