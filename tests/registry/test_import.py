"""`manage.py import_betagouv`: the real sample, small trees of our own for each error and warning, accounts,
updates, and the promise that a refused import writes nothing."""

import datetime
import os
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction

from incubateur.core.models import JournalEntry, Visibility
from incubateur.registry import cache, content
from incubateur.registry.models import (
    Event,
    Incubator,
    Member,
    Mission,
    MissionProduct,
    Organisation,
    Phase,
    Product,
    ProductIncubator,
    ProductSponsor,
    Team,
)
from tests.factories import UserFactory
from tests.registry.factories import MemberFactory
from tests.utils import SAMPLE

User = get_user_model()
MODELS = [
    Organisation,
    Incubator,
    Product,
    ProductSponsor,
    ProductIncubator,
    Phase,
    Event,
    Team,
    Member,
    Member.teams.through,
    Mission,
    MissionProduct,
    User,
    JournalEntry,
]


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def run(path, *args) -> str:
    out = StringIO()
    call_command("import_betagouv", str(path), *args, stdout=out)
    return out.getvalue()


def refused(path, *args) -> str:
    """The CommandError's message; checks that nothing was written."""
    before = row_counts()
    with pytest.raises(CommandError) as caught:
        run(path, *args)
    assert row_counts() == before
    return str(caught.value)


# --- A small tree of our own ----------------------------------------------------------------------------
# Written out in full, so that the line numbers in the expected messages can be read off the text.

FILES = {
    "_organisations/min-exemple.md": """---
name: Direction interministérielle du numérique
acronym: DINUM
domaine_ministeriel: spm
type: administration-centrale
---
""",
    "_organisations/agence-exemple.md": """---
name: Agence de la transition écologique
acronym: AGEX
domaine_ministeriel: environnement
type: operateur
---
""",
    "_incubators/fabrique-exemple.md": """---
title: Incubateur de la DINUM
owner: /organisations/min-exemple
contact: incubateur@exemple.gouv.fr
address: 20 avenue de l'Exemple, Paris
website: https://incubateur.exemple.gouv.fr
github: ''
highlighted_startups:
  - mon-service
---
L'incubateur **interministériel**.
""",
    "_incubators/LAB-EXEMPLE.md": """---
title: Laboratoire de l'Exemple
owner: /organisations/agence-exemple
---
""",
    "_startups/mon-service.md": """---
title: Mon service
mission: Simplifier une démarche longue
incubator: fabrique-exemple
sponsors:
  - /organisations/min-exemple
contact: contact@mon-service.exemple.gouv.fr
link: 'https://mon-service.exemple.gouv.fr '
stats: true
analyse_risques: false
thematiques:
  - Emploi
fast:
  promotion: 12
  montant: 150000
redirect_from:
  - /startups/ancien-nom
phases:
  - name: investigation
    start: 2023-01-02
    end: 2023-06-30
  - name: construction
    start: 2023-07-01
events:
  - name: product_launch
    date: 2023-09-01
  - name: committee
    date: 2023-06-15
    comment: Passage en comité
---
## Problème

Une démarche longue.
""",
    "_startups/autre-service.md": """---
title: Autre service
mission: Aider les usagers
incubator: fabrique-exemple
incubators:
  - LAB-EXEMPLE
  - fabrique-exemple
contact_dinum: alix.dupont
phases:
  - name: investigation
    start: '2024-03-01'
---
""",
    "_authors/alix.dupont.md": """---
fullname: Alix Dupont
role: Développeuse
domaine: Développement
missions:
  - start: 2023-01-02
    end: 2024-12-31
    status: independent
    employer: Une SAS
    startups:
      - mon-service
teams:
  - /teams/animation
memberType: beta
badges:
  - segur
---
Alix écrit du code.
""",
    "_authors/dominique.durand.md": """---
fullname: Dominique Durand
role: Coach
domaine: Coaching
missions:
  - start: 2022-05-01
    end: 2023-04-30
    status: admin
  - start: 2023-05-01
    status: service
    startups:
      - autre-service
      - mon-service
previously:
  - mon-service
---
""",
    "_teams/animation.md": """---
name: Animation
mission: Animer la communauté
incubator: fabrique-exemple
---
""",
}


class Tree:
    def __init__(self, root: Path):
        self.root = root
        for rel, text in FILES.items():
            self.write(rel, text)

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()


@pytest.fixture
def tree(tmp_path) -> Tree:
    return Tree(tmp_path / "content")


def line(output: str, label: str) -> str:
    """The report's line for a kind (not the progress line), without the count of rows absent from the tree
    (the sample's, when it was imported earlier in this module)."""
    return next(
        li.strip().split(" ; ")[0]
        for li in output.splitlines()
        if li.strip().startswith(f"{label} : ") and "créé" in li
    )


def test_a_small_tree_is_imported_with_its_lists_and_references(tree, settings):
    settings.MEMBER_EMAIL_DOMAIN = "exemple.gouv.fr"
    before = row_counts()
    output = run(tree.root)
    assert line(output, "organisations") == "organisations : 2 créées, 0 modifiée, 0 inchangée, 0 avertissement"
    assert line(output, "membres") == "membres : 2 créés, 0 modifié, 0 inchangé, 0 avertissement"
    assert line(output, "comptes") == "comptes : 2 créés, 0 existant relié"
    after = row_counts()
    assert {name: after[name] - before[name] for name in after} == {
        "Organisation": 2,
        "Incubator": 2,
        "Product": 2,
        "ProductSponsor": 1,
        "ProductIncubator": 3,
        "Phase": 3,
        "Event": 2,
        "Team": 1,
        "Member": 2,
        "Member_teams": 1,
        "Mission": 3,
        "MissionProduct": 3,
        "User": 2,
        "JournalEntry": 1,
    }

    service = Product.objects.get(ghid="mon-service")
    assert service.name == "Mon service" and service.pitch == "Simplifier une démarche longue"
    assert service.description == "## Problème\n\nUne démarche longue.\n"
    assert service.link == "https://mon-service.exemple.gouv.fr"  # the trailing space is not kept
    assert (service.stats, service.analyse_risques, service.mon_service_securise) == (True, False, None)
    assert (service.fast_promotion, service.fast_amount) == (12, 150000)
    assert service.redirect_from == ["/startups/ancien-nom"]
    assert service.principal_incubator.ghid == "fabrique-exemple"
    assert [s.organisation.ghid for s in service.productsponsor_set.all()] == ["min-exemple"]
    assert [(p.name, p.start, p.end) for p in service.phases.all()] == [
        ("investigation", datetime.date(2023, 1, 2), datetime.date(2023, 6, 30)),
        ("construction", datetime.date(2023, 7, 1), None),
    ]
    # Events keep the order of the file, not of their dates.
    assert [(e.name, e.comment) for e in service.events.all()] == [
        ("product_launch", ""),
        ("committee", "Passage en comité"),
    ]
    assert service.extra == {}

    other = Product.objects.get(ghid="autre-service")
    # Co-incubation: `incubator` is the principal one; `incubators` lists them all, in order.
    assert [(link.incubator.ghid, link.is_principal, link.order) for link in other.productincubator_set.all()] == [
        ("fabrique-exemple", True, 1),
        ("LAB-EXEMPLE", False, 0),
    ]
    assert other.phases.get().start == datetime.date(2024, 3, 1)  # a date written as a quoted string
    assert other.contact_dinum == "alix.dupont"

    incubator = Incubator.objects.get(ghid="fabrique-exemple")
    assert incubator.owner.ghid == "min-exemple"
    assert incubator.description == "L'incubateur **interministériel**.\n"
    assert incubator.highlighted_products == ["mon-service"]

    camille = Member.objects.get(username="alix.dupont")
    assert (camille.fullname, camille.role, camille.domaine, camille.member_type) == (
        "Alix Dupont",
        "Développeuse",
        "Développement",
        "beta",
    )
    assert camille.bio == "Alix écrit du code.\n"
    assert camille.extra == {"badges": ["segur"]}
    assert [t.ghid for t in camille.teams.all()] == ["animation"]
    assert (camille.user.email, camille.user.username) == ("alix.dupont@exemple.gouv.fr", "alix.dupont")
    assert (camille.user.first_name, camille.user.last_name) == ("Alix", "Dupont")
    assert not camille.user.has_usable_password()
    mission = camille.missions.get()
    assert (mission.start, mission.end, mission.status, mission.employer) == (
        datetime.date(2023, 1, 2),
        datetime.date(2024, 12, 31),
        "independent",
        "Une SAS",
    )
    assert [p.ghid for p in mission.products.all()] == ["mon-service"]

    dominique = Member.objects.get(username="dominique.durand")
    first, second = dominique.missions.all()
    assert (first.order, first.end, second.order, second.end) == (0, datetime.date(2023, 4, 30), 1, None)
    assert [mp.product.ghid for mp in MissionProduct.objects.filter(mission=second)] == [
        "autre-service",
        "mon-service",
    ]
    assert dominique.extra == {"previously": ["mon-service"]}
    assert Team.objects.get(ghid="animation").incubator.ghid == "fabrique-exemple"


def test_the_import_writes_one_internal_journal_row_and_bumps_the_cache_stamp(tree):
    stamp = cache.version()
    journal = JournalEntry.objects.filter(action="registry.import_betagouv")
    run(tree.root)
    entries = journal.count()
    entry = journal.latest("pk")
    assert entry.visibility == Visibility.INTERNAL
    assert entry.actor is None
    assert entry.message.startswith("Import de beta.gouv.fr (2 organisations, 2 incubateurs, 2 produits")
    assert entry.data["created"] == {"organisations": 2, "incubators": 2, "products": 2, "members": 2, "teams": 1}
    assert entry.data["accounts_created"] == 2
    assert cache.version() != stamp

    # A second import changes nothing: the stamp stays, and the journal says so.
    stamp = cache.version()
    output = run(tree.root)
    assert line(output, "produits") == "produits : 0 créé, 0 modifié, 2 inchangés, 0 avertissement"
    assert line(output, "comptes") == "comptes : 0 créé, 0 existant relié"
    assert cache.version() == stamp
    assert journal.count() == entries + 1


def test_a_checkout_is_read_through_its_content_folder(tree):
    assert "membres : 2 créés" in run(tree.root.parent)


def test_a_path_that_is_no_tree_is_refused(tmp_path):
    message = refused(tmp_path)
    assert "ni un dépôt beta.gouv.fr (avec content/) ni son dossier content/" in message


# --- Updates ---------------------------------------------------------------------------------------------


def test_a_changed_file_updates_its_row_and_only_it(tree):
    run(tree.root)
    tree.edit("_startups/mon-service.md", "mission: Simplifier une démarche longue", "mission: Simplifier")
    tree.edit("_authors/alix.dupont.md", "    end: 2024-12-31\n", "    end: 2025-06-30\n")
    output = run(tree.root)
    assert line(output, "produits") == "produits : 0 créé, 1 modifié, 1 inchangé, 0 avertissement"
    assert line(output, "membres") == "membres : 0 créé, 1 modifié, 1 inchangé, 0 avertissement"
    assert Product.objects.get(ghid="mon-service").pitch == "Simplifier"
    assert Mission.objects.get(member__username="alix.dupont").end == datetime.date(2025, 6, 30)


def test_changed_lists_are_written_and_count_their_row_as_updated(tree):
    run(tree.root)
    mission_pks = list(Mission.objects.filter(member__username="dominique.durand").values_list("pk", flat=True))
    # Dominique's second mission goes; its products go with it. A phase ends; the events swap places.
    tree.edit(
        "_authors/dominique.durand.md",
        "  - start: 2023-05-01\n    status: service\n    startups:\n      - autre-service\n      - mon-service\n",
        "",
    )
    tree.edit("_startups/mon-service.md", "    start: 2023-07-01\n", "    start: 2023-07-01\n    end: 2024-01-31\n")
    tree.edit("_teams/animation.md", "name: Animation", "name: Animation de la communauté")
    tree.edit(
        "_startups/autre-service.md",
        "incubators:\n  - LAB-EXEMPLE\n  - fabrique-exemple\n",
        "incubators:\n  - fabrique-exemple\n  - LAB-EXEMPLE\n",
    )
    output = run(tree.root)
    assert line(output, "membres") == "membres : 0 créé, 1 modifié, 1 inchangé, 0 avertissement"
    assert line(output, "produits") == "produits : 0 créé, 2 modifiés, 0 inchangé, 0 avertissement"
    assert line(output, "équipes") == "équipes : 0 créée, 1 modifiée, 0 inchangée, 0 avertissement"
    # The mission that stays keeps its row.
    assert list(Mission.objects.filter(member__username="dominique.durand").values_list("pk", flat=True)) == [
        mission_pks[0]
    ]
    assert not MissionProduct.objects.filter(mission_id=mission_pks[1]).exists()
    assert Phase.objects.get(product__ghid="mon-service", name="construction").end == datetime.date(2024, 1, 31)
    assert [
        (link.incubator.ghid, link.order) for link in ProductIncubator.objects.filter(product__ghid="autre-service")
    ] == [("fabrique-exemple", 0), ("LAB-EXEMPLE", 1)]


def test_rows_absent_from_the_tree_are_left_and_counted(tree):
    run(tree.root)
    tree.remove("_authors/dominique.durand.md")
    output = run(tree.root)
    absent = Member.objects.count() - 1  # here, or from an earlier import (the sample's)
    absents = "absents" if absent > 1 else "absent"
    assert f"membres : 0 créé, 0 modifié, 1 inchangé, 0 avertissement ; {absent} {absents}" in output
    assert Member.objects.filter(username="dominique.durand").exists()


def test_the_report_agrees_in_number_and_gender():
    """« 0 créée », « 2 modifiés », « 1 absente …, laissée telle quelle »: no « (s) », French's 0 is singular."""
    report = content.Report(content=Path("content"))
    report.created["organisations"], report.updated["products"] = 2, 2
    report.absent["organisations"], report.absent["teams"], report.absent["members"] = 1, 3, 2
    report.accounts_created, report.accounts_linked = 1, 2
    lines = {line.partition(" : ")[0]: line.partition(" : ")[2] for line in report.lines()}
    assert lines["organisations"] == (
        "2 créées, 0 modifiée, 0 inchangée, 0 avertissement ; 1 absente de l'arborescence, laissée telle quelle"
    )
    assert lines["produits"] == "0 créé, 2 modifiés, 0 inchangé, 0 avertissement"
    assert lines["équipes"].endswith(" ; 3 absentes de l'arborescence, laissées telles quelles")
    assert lines["membres"].endswith(" ; 2 absents de l'arborescence, laissés tels quels")
    assert lines["comptes"] == "1 créé, 2 existants reliés"


# --- Accounts --------------------------------------------------------------------------------------------


def test_an_account_with_the_username_or_the_address_is_reused(tree, settings):
    settings.MEMBER_EMAIL_DOMAIN = "exemple.gouv.fr"
    by_username = UserFactory(username="alix.dupont", email="alix@ailleurs.example.org")
    by_email = UserFactory(username=None, email="Dominique.Durand@exemple.gouv.fr")
    users = User.objects.count()
    output = run(tree.root)
    assert line(output, "comptes") == "comptes : 0 créé, 1 existant relié"
    assert User.objects.count() == users
    assert Member.objects.get(username="alix.dupont").user == by_username
    by_email.refresh_from_db()
    assert Member.objects.get(username="dominique.durand").user == by_email
    assert by_email.username == "dominique.durand"
    by_username.refresh_from_db()
    assert by_username.email == "alix@ailleurs.example.org"  # an account's address is not the import's business


def test_a_member_keeps_the_account_it_is_linked_to(tree):
    user = UserFactory(username="alix.autre")
    MemberFactory(username="alix.dupont", user=user)
    run(tree.root)
    assert Member.objects.get(username="alix.dupont").user == user
    assert not User.objects.filter(username="alix.dupont").exists()


def test_an_address_held_by_another_account_refuses_the_import(tree, settings):
    settings.MEMBER_EMAIL_DOMAIN = "exemple.gouv.fr"
    UserFactory(username="alix.d", email="alix.dupont@exemple.gouv.fr")
    message = refused(tree.root)
    assert (
        "_authors/alix.dupont.md: l'adresse alix.dupont@exemple.gouv.fr appartient déjà au compte « alix.d »"
    ) in message


def test_an_account_linked_to_another_member_refuses_the_import(tree):
    user = UserFactory(username="alix.dupont")
    MemberFactory(username="alix.autre", user=user)
    message = refused(tree.root)
    assert "_authors/alix.dupont.md: le compte « alix.dupont » est déjà relié au membre « alix.autre »" in (message)


def test_two_members_whose_addresses_differ_only_in_case_refuse_the_import(tree, settings):
    settings.MEMBER_EMAIL_DOMAIN = "exemple.gouv.fr"
    tree.write("_authors/Alix.Dupont.md", FILES["_authors/alix.dupont.md"])
    message = refused(tree.root)
    assert (
        "_authors/alix.dupont.md: l'adresse alix.dupont@exemple.gouv.fr serait aussi celle du membre « Alix.Dupont »"
    ) in message


# --- Errors: nothing is written ---------------------------------------------------------------------------

ERRORS = [
    (
        "invalid-yaml",
        "_authors/alix.dupont.md",
        "domaine: Développement\n",
        "domaine: [Développement\n",
        "_authors/alix.dupont.md:5: YAML invalide : ",
    ),
    (
        "no-front-matter",
        "_organisations/min-exemple.md",
        "---\nname:",
        "name:",
        "_organisations/min-exemple.md:1: pas d'en-tête YAML",
    ),
    (
        "member-fullname",
        "_authors/alix.dupont.md",
        "fullname: Alix Dupont\n",
        "",
        "_authors/alix.dupont.md: fullname: champ obligatoire manquant",
    ),
    (
        "member-domaine",
        "_authors/alix.dupont.md",
        "domaine: Développement\n",
        "",
        "_authors/alix.dupont.md: domaine: champ obligatoire manquant",
    ),
    (
        "member-missions",
        "_authors/dominique.durand.md",
        "missions:\n  - start: 2022-05-01\n    end: 2023-04-30\n    status: admin\n  - start: 2023-05-01\n"
        "    status: service\n    startups:\n      - autre-service\n      - mon-service\n",
        "",
        "_authors/dominique.durand.md: missions: champ obligatoire manquant",
    ),
    (
        "mission-start",
        "_authors/dominique.durand.md",
        "  - start: 2023-05-01\n    status: service\n",
        "  - status: service\n",
        "_authors/dominique.durand.md:9: missions[1].start: champ obligatoire manquant",
    ),
    (
        "product-title",
        "_startups/mon-service.md",
        "title: Mon service\n",
        "",
        "_startups/mon-service.md: title: champ obligatoire manquant",
    ),
    (
        "product-mission",
        "_startups/mon-service.md",
        "mission: Simplifier une démarche longue\n",
        "mission: ''\n",
        "_startups/mon-service.md:3: mission: champ obligatoire manquant",
    ),
    (
        "organisation-name",
        "_organisations/agence-exemple.md",
        "name: Agence de la transition écologique\n",
        "",
        "_organisations/agence-exemple.md: name: champ obligatoire manquant",
    ),
    (
        "incubator-title",
        "_incubators/fabrique-exemple.md",
        "title: Incubateur de la DINUM\n",
        "title:\n",
        "_incubators/fabrique-exemple.md:2: title: champ obligatoire manquant",
    ),
    (
        "team-name",
        "_teams/animation.md",
        "name: Animation\n",
        "",
        "_teams/animation.md: name: champ obligatoire manquant",
    ),
    (
        "team-incubator",
        "_teams/animation.md",
        "incubator: fabrique-exemple\n",
        "",
        "_teams/animation.md: incubator: champ obligatoire manquant",
    ),
    (
        "team-unknown-incubator",
        "_teams/animation.md",
        "incubator: fabrique-exemple\n",
        "incubator: nulle-part\n",
        "_teams/animation.md:4: incubator: « nulle-part » n'est pas un incubateur de l'arborescence",
    ),
    (
        "impossible-date",
        "_authors/alix.dupont.md",
        "  - start: 2023-01-02\n",
        "  - start: 2024-02-30\n",
        "_authors/alix.dupont.md:6: missions[0].start: date impossible : 2024-02-30",
    ),
    (
        "impossible-quoted-date",
        "_startups/autre-service.md",
        "start: '2024-03-01'",
        "start: '2024-04-31'",
        "_startups/autre-service.md:11: phases[0].start: date impossible : 2024-04-31",
    ),
    (
        "not-a-date",
        "_startups/mon-service.md",
        "    date: 2023-09-01\n",
        "    date: 1er septembre 2023\n",
        "_startups/mon-service.md:26: events[0].date: une date AAAA-MM-JJ est attendue "
        "(« 1er septembre 2023 » trouvé)",
    ),
    (
        "mission-end-before-start",
        "_authors/alix.dupont.md",
        "    end: 2024-12-31\n",
        "    end: 2022-12-31\n",
        "_authors/alix.dupont.md:7: missions[0].end: la fin (2022-12-31) doit être après le début (2023-01-02)",
    ),
    (
        "phase-end-before-start",
        "_startups/mon-service.md",
        "    end: 2023-06-30\n",
        "    end: 2022-06-30\n",
        "_startups/mon-service.md:21: phases[0].end: la fin (2022-06-30) doit être après le début (2023-01-02)",
    ),
    (
        "unknown-phase",
        "_startups/mon-service.md",
        "  - name: construction\n",
        "  - name: alumni\n",
        "_startups/mon-service.md:22: phases[1].name: « alumni » n'est pas une phase connue "
        "(possibles : investigation,",
    ),
    (
        "duplicate-phase",
        "_startups/mon-service.md",
        "  - name: construction\n",
        "  - name: investigation\n",
        "_startups/mon-service.md:22: phases[1].name: la phase « investigation » est déjà dans la liste",
    ),
    (
        "unknown-domaine",
        "_authors/alix.dupont.md",
        "domaine: Développement\n",
        "domaine: Dévelopement\n",
        "_authors/alix.dupont.md:4: domaine: « Dévelopement » n'est pas un domaine (possibles : Animation,",
    ),
    (
        "unknown-event",
        "_startups/mon-service.md",
        "  - name: product_launch\n",
        "  - name: lancement\n",
        "_startups/mon-service.md:25: events[0].name: « lancement » n'est pas un événement connu",
    ),
    (
        "wrong-type",
        "_startups/mon-service.md",
        "stats: true\n",
        "stats: oui\n",
        "_startups/mon-service.md:9: stats: true ou false est attendu (« oui » trouvé)",
    ),
    (
        "too-long-a-name",
        "_organisations/min-exemple.md",
        "name: Direction interministérielle du numérique\n",
        "name: " + "x" * 301 + "\n",
        "_organisations/min-exemple.md:2: name: 300 caractères au plus (301 donnés)",
    ),
    (
        "reserved-key",
        "_organisations/min-exemple.md",
        "type: administration-centrale\n",
        "type: administration-centrale\n_body: texte\n",
        "_organisations/min-exemple.md:6: _body: clé réservée par le registre",
    ),
]


@pytest.mark.parametrize("rel,old,new,expected", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_each_error_names_the_file_the_line_and_the_field_and_nothing_is_written(tree, rel, old, new, expected):
    tree.edit(rel, old, new)
    message = refused(tree.root)
    assert message.startswith("Rien n'a été importé : 1 erreur.\n"), message
    assert expected in message, message


def test_every_error_is_reported_at_once(tree):
    tree.edit("_authors/alix.dupont.md", "domaine: Développement\n", "domaine: Dévelopement\n")
    tree.edit("_authors/alix.dupont.md", "    end: 2024-12-31\n", "    end: 2022-12-31\n")
    tree.edit("_startups/mon-service.md", "  - name: construction\n", "  - name: alumni\n")
    tree.edit("_teams/animation.md", "name: Animation\n", "")
    tree.write("_organisations/cassee.md", "---\nname: [Cassée\n---\n")
    message = refused(tree.root)
    errors = message.splitlines()[1:]
    assert message.startswith("Rien n'a été importé : 5 erreurs.")
    # In the order of the tree: organisations, incubators, products, members, teams; then by file and line.
    assert [e.split(":")[0] for e in errors] == [
        "_organisations/cassee.md",
        "_startups/mon-service.md",
        "_authors/alix.dupont.md",
        "_authors/alix.dupont.md",
        "_teams/animation.md",
    ]


def test_a_refused_import_changes_nothing_already_imported(tree):
    run(tree.root)
    tree.edit("_startups/mon-service.md", "mission: Simplifier une démarche longue", "mission: Simplifier")
    tree.edit("_authors/alix.dupont.md", "    end: 2024-12-31\n", "    end: 2022-12-31\n")
    refused(tree.root)
    assert Product.objects.get(ghid="mon-service").pitch == "Simplifier une démarche longue"


def test_a_file_that_is_not_utf8_is_an_error(tree):
    (tree.root / "_teams/animation.md").write_bytes("---\nname: Équipe\n---\n".encode("latin-1"))
    assert "_teams/animation.md: fichier illisible : pas en UTF-8" in refused(tree.root)


@pytest.mark.parametrize(
    "rel,like,limit",
    [
        (f"_organisations/{'o' * 201}.md", "_organisations/agence-exemple.md", 200),
        (f"_incubators/{'i' * 201}.md", "_incubators/LAB-EXEMPLE.md", 200),
        (f"_startups/{'p' * 201}.md", "_startups/autre-service.md", 200),
        (f"_teams/{'t' * 201}.md", "_teams/animation.md", 200),
        (f"_authors/{'m' * 151}.md", "_authors/dominique.durand.md", 150),  # an account's username: 150
    ],
    ids=["organisation", "incubator", "product", "team", "member"],
)
def test_an_identifier_too_long_for_its_key_refuses_the_import_naming_the_file(tree, rel, like, limit):
    tree.write(rel, FILES[like])
    message = refused(tree.root)
    assert message.startswith("Rien n'a été importé : 1 erreur.\n"), message
    assert f"{rel}: identifiant trop long : {limit} caractères au plus ({limit + 1} donnés)" in message


def test_a_file_name_that_is_not_utf8_refuses_the_import_naming_the_file(tree):
    name = os.fsdecode(b"min-\xff.md")  # the byte comes back as a lone surrogate: no text for the database
    (tree.root / "_organisations" / name).write_text(FILES["_organisations/agence-exemple.md"], encoding="utf-8")
    message = refused(tree.root)
    assert f"_organisations/{name}: caractère interdit dans l'identifiant" in message


def test_a_list_longer_than_its_positions_can_count_is_refused():
    text = "---\ntitle: T\nmission: M\nsponsors:\n" + "  - dinum\n" * 32768 + "---\n"
    [problem] = content.check_file("products", "long.md", text)
    assert str(problem) == "_startups/long.md:4: sponsors: 32767 éléments au plus (32768 donnés)"


def test_numbers_and_flags_in_extra_compare_as_the_database_gives_them_back(tree):
    # PostgreSQL's jsonb gives 1.0e+300 back as the int 10**300: the same value, not a change.
    rel = "_organisations/min-exemple.md"
    tree.edit(rel, "type: administration-centrale\n", "type: administration-centrale\nzz: 1.0e+300\nzy: true\n")
    run(tree.root)
    assert line(run(tree.root), "organisations").startswith("organisations : 0 créée, 0 modifiée, 2 inchangées")
    # But `true` is not `1`, nor `1` `1.0`: each is a change, written.
    tree.edit(rel, "zy: true\n", "zy: 1\n")
    assert line(run(tree.root), "organisations").startswith("organisations : 0 créée, 1 modifiée")
    assert type(Organisation.objects.get(ghid="min-exemple").extra["zy"]) is int
    tree.edit(rel, "zy: 1\n", "zy: 1.0\n")
    assert line(run(tree.root), "organisations").startswith("organisations : 0 créée, 1 modifiée")
    assert type(Organisation.objects.get(ghid="min-exemple").extra["zy"]) is float
    assert line(run(tree.root), "organisations").startswith("organisations : 0 créée, 0 modifiée, 2 inchangées")


# --- Warnings: imported as well as can be ----------------------------------------------------------------

WARNINGS = [
    (
        "unknown-contact",
        "_startups/autre-service.md",
        "contact_dinum: alix.dupont",
        "contact_dinum: claude.inconnu",
        "_startups/autre-service.md:8: contact_dinum: « claude.inconnu » n'est pas un membre de l'arborescence "
        "(conservé tel quel)",
    ),
    (
        "unknown-mission-product",
        "_authors/alix.dupont.md",
        "      - mon-service\n",
        "      - service-disparu\n",
        "_authors/alix.dupont.md:11: missions[0].startups[0]: « service-disparu » n'est pas un produit de "
        "l'arborescence (ignoré)",
    ),
    (
        "duplicate-mission-product",
        "_authors/alix.dupont.md",
        "      - mon-service\n",
        "      - mon-service\n      - mon-service\n",
        "_authors/alix.dupont.md:12: missions[0].startups[1]: « mon-service » est en double dans la liste "
        "(gardé une fois)",
    ),
    (
        "duplicate-competence",
        "_authors/alix.dupont.md",
        "memberType: beta\n",
        "memberType: beta\ncompetences:\n  - Python\n  - 'Python '\n",
        "_authors/alix.dupont.md:17: competences[1]: « Python » est en double dans la liste (gardé une fois)",
    ),
    (
        "unknown-sponsor",
        "_startups/mon-service.md",
        "  - /organisations/min-exemple\n",
        "  - /organisations/min-exemple\n  - /organisations/inconnue\n",
        "_startups/mon-service.md:7: sponsors[1]: « /organisations/inconnue » n'est pas une organisation de "
        "l'arborescence (ignoré)",
    ),
    (
        "unknown-incubator",
        "_startups/mon-service.md",
        "incubator: fabrique-exemple\n",
        "incubator: fabrique-inconnue\n",
        "_startups/mon-service.md:4: incubator: « fabrique-inconnue » n'est pas un incubateur de l'arborescence "
        "(ignoré)",
    ),
    (
        "unknown-owner",
        "_incubators/fabrique-exemple.md",
        "owner: /organisations/min-exemple\n",
        "owner: /organisations/menj\n",
        "_incubators/fabrique-exemple.md:3: owner: « /organisations/menj » n'est pas une organisation de "
        "l'arborescence (ignoré)",
    ),
    (
        "incubator-case",
        "_startups/mon-service.md",
        "incubator: fabrique-exemple\n",
        "incubator: FABRIQUE-EXEMPLE\n",
        "_startups/mon-service.md:4: incubator: « FABRIQUE-EXEMPLE » lu comme « fabrique-exemple » (la casse diffère)",
    ),
    (
        "unknown-key",
        "_teams/animation.md",
        "incubator: fabrique-exemple\n",
        "incubator: fabrique-exemple\ncouleur: bleu\n",
        "_teams/animation.md:5: couleur: clé inconnue, conservée telle quelle",
    ),
    (
        "unknown-mission-key",
        "_authors/alix.dupont.md",
        "    employer: Une SAS\n",
        "    employer: Une SAS\n    tjm: 600\n",
        "_authors/alix.dupont.md:10: missions[0].tjm: clé inconnue, ignorée",
    ),
    (
        "unknown-previous-product",
        "_authors/dominique.durand.md",
        "previously:\n  - mon-service\n",
        "previously:\n  - ancien-service\n",
        "_authors/dominique.durand.md:15: previously[0]: « ancien-service » n'est pas un produit de l'arborescence "
        "(conservé tel quel)",
    ),
    (
        "principal-not-listed",
        "_startups/autre-service.md",
        "incubators:\n  - LAB-EXEMPLE\n  - fabrique-exemple\n",
        "incubators:\n  - LAB-EXEMPLE\n",
        "_startups/autre-service.md:5: incubators: l'incubateur principal « fabrique-exemple » manque à la liste : "
        "il y est ajouté",
    ),
]


@pytest.mark.parametrize("rel,old,new,expected", [w[1:] for w in WARNINGS], ids=[w[0] for w in WARNINGS])
def test_each_warning_is_listed_and_the_file_imported_as_well_as_can_be(tree, rel, old, new, expected):
    tree.edit(rel, old, new)
    output = run(tree.root)
    assert "Avertissements (1) :\n" in output, output
    assert f"  {expected}\n" in output, output


@pytest.mark.parametrize("rel,old,new,expected", [w[1:] for w in WARNINGS[:4]], ids=[w[0] for w in WARNINGS[:4]])
def test_strict_turns_warnings_into_errors(tree, rel, old, new, expected):
    tree.edit(rel, old, new)
    message = refused(tree.root, "--strict")
    assert message.startswith("Rien n'a été importé : 1 erreur (--strict : les avertissements comptent).\n")
    assert expected in message


def test_what_warnings_import(tree):
    tree.edit("_authors/alix.dupont.md", "      - mon-service\n", "      - mon-service\n      - disparu\n")
    tree.edit("_authors/alix.dupont.md", "role: Développeuse\n", "role: Développeuse\nincubator: fabrique-exemple\n")
    tree.edit(
        "_startups/mon-service.md",
        "  - /organisations/min-exemple\n",
        "  - /organisations/min-exemple\n  - min-exemple\n",
    )
    tree.edit("_startups/mon-service.md", "incubator: fabrique-exemple\n", "incubator: FABRIQUE-EXEMPLE\n")
    tree.edit("_startups/autre-service.md", "contact_dinum: alix.dupont", "contact_dinum: claude.inconnu")
    tree.edit("_incubators/fabrique-exemple.md", "  - mon-service\n", "  - mon-service\n  - futur-service\n")
    tree.write(
        "_organisations/sans-extension",
        "---\nname: Une organisation\ntype: autre\nannuaire: https://annuaire.exemple.gouv.fr/1\n---\n"
        "Un texte sur l'organisation.\n",
    )
    output = run(tree.root)
    assert "Avertissements (8) :" in output
    assert "  _organisations/sans-extension: fichier sans l'extension .md (importé sous l'identifiant" in output
    org = Organisation.objects.get(ghid="sans-extension")
    # An unknown key is kept in `extra`; an organisation has no Markdown field: its body is kept there too.
    assert org.extra == {"annuaire": "https://annuaire.exemple.gouv.fr/1", "_body": "Un texte sur l'organisation.\n"}
    camille = Member.objects.get(username="alix.dupont")
    assert [p.ghid for p in camille.missions.get().products.all()] == ["mon-service"]
    assert camille.extra == {"badges": ["segur"], "incubator": "fabrique-exemple"}
    service = Product.objects.get(ghid="mon-service")
    assert [s.organisation.ghid for s in service.productsponsor_set.all()] == ["min-exemple"]
    assert service.principal_incubator.ghid == "fabrique-exemple"
    assert Product.objects.get(ghid="autre-service").contact_dinum == "claude.inconnu"
    assert Incubator.objects.get(ghid="fabrique-exemple").highlighted_products == ["mon-service", "futur-service"]


def test_a_text_too_long_for_its_field_is_kept_in_extra(tree):
    avatar = "data:image/png;base64," + "A" * 800
    tree.edit("_authors/alix.dupont.md", "role: Développeuse\n", f"role: Développeuse\navatar: {avatar}\n")
    output = run(tree.root)
    assert "_authors/alix.dupont.md:4: avatar: 500 caractères au plus (822 donnés) : conservé dans extra" in output
    camille = Member.objects.get(username="alix.dupont")
    assert camille.avatar == ""
    assert camille.extra["avatar"] == avatar


def test_dates_and_odd_values_in_extra_are_kept_as_json(tree):
    tree.edit(
        "_startups/mon-service.md",
        "stats: true\n",
        "stats: true\nrgpd:\n  controles:\n    - date: 2020-01-07\n  validite: 2027-02-19T00:00:00.000Z\n"
        "  2024-01-01: clé date\n  12: clé nombre\nrobots: noindex\n",
    )
    run(tree.root)
    assert Product.objects.get(ghid="mon-service").extra == {
        "rgpd": {
            "controles": [{"date": "2020-01-07"}],
            "validite": "2027-02-19T00:00:00+00:00",
            "2024-01-01": "clé date",
            "12": "clé nombre",
        },
        "robots": "noindex",
    }


# --- Progress ----------------------------------------------------------------------------------------------


class Terminal(StringIO):
    def isatty(self):
        return True


def test_progress_is_plain_lines_when_not_a_terminal(tree):
    output = run(tree.root)
    assert "\r" not in output
    assert "  membres : 2/2\n" in output
    assert "  écriture : 6/6\n" in output


def test_progress_is_a_bar_on_a_terminal(tree):
    out = Terminal()
    call_command("import_betagouv", str(tree.root), stdout=out)
    assert "\r  membres" in out.getvalue()
    assert "██████████████████████████████ 2/2\n" in out.getvalue()


# --- The real sample -------------------------------------------------------------------------------------
# Imported once for these tests, in a transaction rolled back at the end of the module (each test runs in a
# savepoint inside it).


@pytest.fixture(scope="module")
def sample_import(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        before = row_counts()
        output = run(SAMPLE)
        yield output, before
        transaction.set_rollback(True)


@pytest.fixture
def sample(sample_import, db) -> str:
    return sample_import[0]


def _front_matters(folder: str):
    """The sample read independently of the importer (PyYAML), as an oracle for the counts."""
    for path in sorted((SAMPLE / folder).iterdir()):
        text = path.read_text(encoding="utf-8")
        yield path.name, yaml.safe_load(text[3:].split("\n---", 1)[0])


@pytest.mark.shared_sample  # the team's sample's own figures
def test_the_sample_is_imported_with_every_file(sample, sample_import):
    before = sample_import[1]
    counts = {name: row_counts()[name] - before[name] for name in before}
    files = {folder: len(os.listdir(SAMPLE / folder)) for folder in ("_organisations", "_incubators", "_startups")}
    assert files == {"_organisations": 145, "_incubators": 23, "_startups": 160}
    assert counts["Organisation"] == 145  # two of them have no .md extension: imported, with a warning
    assert counts["Incubator"] == 23
    assert counts["Product"] == 160
    assert counts["Member"] == 772
    assert counts["Team"] == 36
    assert counts["User"] == 772
    assert counts["JournalEntry"] == 1

    authors = list(_front_matters("_authors"))
    startups = list(_front_matters("_startups"))
    assert counts["Mission"] == sum(len(d["missions"]) for _, d in authors) == 840
    assert counts["MissionProduct"] == sum(len(m.get("startups") or []) for _, d in authors for m in d["missions"])
    assert counts["Member_teams"] == sum(len(d.get("teams") or []) for _, d in authors) == 22
    assert counts["Phase"] == sum(len(d["phases"]) for _, d in startups) == 405
    assert counts["Event"] == sum(len(d.get("events") or []) for _, d in startups) == 175
    assert counts["ProductSponsor"] == sum(len(d.get("sponsors") or []) for _, d in startups) == 206
    assert counts["ProductIncubator"] == 160 + 2  # two products are co-incubated

    assert line(sample, "organisations") == ("organisations : 145 créées, 0 modifiée, 0 inchangée, 8 avertissements")
    assert line(sample, "incubateurs") == "incubateurs : 23 créés, 0 modifié, 0 inchangé, 53 avertissements"
    assert line(sample, "produits") == "produits : 160 créés, 0 modifié, 0 inchangé, 37 avertissements"
    assert line(sample, "membres") == "membres : 772 créés, 0 modifié, 0 inchangé, 6 avertissements"
    assert line(sample, "équipes") == "équipes : 36 créées, 0 modifiée, 0 inchangée, 0 avertissement"
    assert "_organisations/idfm: fichier sans l'extension .md" in sample
    assert "_organisations/Préfecture: fichier sans l'extension .md" in sample


@pytest.mark.shared_sample  # the team's sample's own figures
def test_a_second_import_of_the_sample_changes_nothing(sample):
    stamp = cache.version()
    users = User.objects.count()
    output = run(SAMPLE)
    for label, n in [
        ("organisations", 145),
        ("incubateurs", 23),
        ("produits", 160),
        ("membres", 772),
        ("équipes", 36),
    ]:
        e = "e" if label in ("organisations", "équipes") else ""  # « 0 créée » agrees with the kind
        assert f"{label} : 0 créé{e}, 0 modifié{e}, {n} inchangé{e}s" in line(output, label)
    assert line(output, "comptes") == "comptes : 0 créé, 0 existant relié"
    assert User.objects.count() == users
    assert cache.version() == stamp


def test_the_quirks_of_the_sample(sample):
    ecobalyse = Product.objects.get(ghid="ecobalyse")
    assert [(link.incubator.ghid, link.is_principal) for link in ecobalyse.productincubator_set.all()] == [
        ("mtes", True),
        ("ademe", False),
    ]
    assert [s.organisation.ghid for s in ecobalyse.productsponsor_set.all()] == ["ademe", "cgdd", "mtes"]
    stage = Product.objects.get(ghid="1-eleve-1-stage")
    assert stage.link == "https://1eleve1stage.education.gouv.fr"
    assert (stage.fast_promotion, stage.fast_amount) == (15, 120000)
    assert stage.usertypes[-1] == "collégiens"
    assert Incubator.objects.get(ghid="sgmas").extra == {"hidden": True}
    assert Incubator.objects.get(ghid="menj").owner is None  # `/organisations/menj` is not in the sample
    emplois = Product.objects.get(ghid="les-emplois")
    assert emplois.extra["rgpd"]["validite_homologation"] == "2027-02-19T00:00:00+00:00"
    assert emplois.extra["rgpd"]["controles"][0]["date"] == "2020-01-07"
    assert "_body" in Organisation.objects.get(ghid="gip-inclusion").extra
    assert Organisation.objects.get(ghid="idfm").name == "Île-de-France Mobilités"
    assert Member.objects.get(username="lena.viller").extra["avatar"].startswith("data:image/")
    assert Member.objects.filter(teams__isnull=False).distinct().count() == 20  # 22 memberships
