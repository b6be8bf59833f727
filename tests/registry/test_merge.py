"""The import over a diverged tree (`content.merge`): per file and field, base = what the previous import read,
theirs = the file now, ours = the database as the export would write it. The rule as a pure function (Hypothesis),
then on a small tree of our own with edits made through the services, then on the real sample."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from incubateur.core.models import JournalEntry
from incubateur.registry import content
from incubateur.registry.content.kinds import KINDS
from incubateur.registry.content.merge import MISSING, fields_of, merge3, merge_tree, record_file, same, text_of
from incubateur.registry.content.tree import read_tree
from incubateur.registry.enums import ReviewState
from incubateur.registry.models import ContentBase, Member, Mission, Product
from incubateur.registry.services import missions
from tests.factories import UserFactory
from tests.registry.factories import MemberFactory, MissionFactory, ProductFactory
from tests.utils import SAMPLE

# --- The rule, as a pure function ------------------------------------------------------------------------------

# Few values, so that the three sides are often equal.
VALUES = st.sampled_from([MISSING, None, 0, 1, True, "a", "b", "", [], ["a"], {"k": 1}, {"k": True}, 1.0])


@given(base=VALUES, ours=VALUES, theirs=VALUES)
def test_merge3_follows_the_rule(base, ours, theirs):
    value, conflict = merge3(base, ours, theirs)
    if same(ours, base):  # the platform did not change it: upstream's value
        assert same(value, theirs) and not conflict
    elif same(theirs, base):  # upstream did not: ours
        assert same(value, ours) and not conflict
    elif same(ours, theirs):  # both, alike
        assert same(value, ours) and not conflict
    else:  # both, differently: ours kept, a conflict
        assert same(value, ours) and conflict


@given(base=VALUES, ours=VALUES, theirs=VALUES)
def test_merge3_is_a_conflict_only_when_the_three_differ_and_never_invents_a_value(base, ours, theirs):
    value, conflict = merge3(base, ours, theirs)
    assert conflict == (not same(base, ours) and not same(base, theirs) and not same(ours, theirs))
    assert same(value, ours) or same(value, theirs)


@given(value=VALUES, other=VALUES)
def test_merge3_with_one_side_unchanged_is_the_other(value, other):
    assert merge3(value, value, other) == (other, False)
    assert same(merge3(value, other, value)[0], other)


def test_true_is_not_one():
    assert not same(True, 1) and not same(1, 1.0) and not same([1], [True]) and same({"a": [1]}, {"a": [1]})


# --- A small tree of our own ------------------------------------------------------------------------------------

FILES = {
    "_organisations/dinum-exemple.md": """---
name: Direction de l'exemple
acronym: DEX
domaine_ministeriel: spm
type: administration-centrale
---
""",
    "_incubators/fabrique-exemple.md": """---
title: Fabrique de l'exemple
owner: /organisations/dinum-exemple
contact: fabrique@exemple.gouv.fr
---
La fabrique.
""",
    "_startups/mon-service.md": """---
title: Mon service
mission: Simplifier une démarche
incubator: fabrique-exemple
sponsors:
  - /organisations/dinum-exemple
contact: contact@mon-service.exemple.gouv.fr
link: https://mon-service.exemple.gouv.fr
phases:
  - name: investigation
    start: 2023-01-02
    end: 2023-06-30
  - name: construction
    start: 2023-07-01
---
Le produit.
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
    """A content tree on disk, edited in place."""

    def __init__(self, root: Path, files: dict[str, str] = FILES):
        self.root = root
        for rel, text in files.items():
            self.write(rel, text)

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

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


def run(path) -> str:
    out = StringIO()
    call_command("import_betagouv", str(path), stdout=out)
    return out.getvalue()


@pytest.fixture
def staff(db):
    return UserFactory(staff=True)


def alix_mission() -> Mission:
    return Mission.objects.get(member__username="alix.dupont", start=datetime.date(2023, 1, 2))


def ends(username: str) -> list:
    return list(Mission.objects.filter(member__username=username).order_by("start").values_list("start", "end"))


@pytest.mark.django_db
def test_the_first_import_saves_one_base_per_file_and_a_second_changes_nothing(tree):
    run(tree.root)
    assert sorted(ContentBase.objects.values_list("path", flat=True)) == sorted(FILES)
    base = ContentBase.objects.get(path="_authors/alix.dupont.md")
    assert base.fields["fullname"] == "Alix Dupont" and base.fields["missions"][0]["end"] == "2024-12-31"
    assert base.fields["_body"] == "Alix écrit du code.\n"
    assert merge_tree(read_tree(tree.root)).overrides == {}
    out = run(tree.root)
    assert "membres : 0 créé, 0 modifié, 2 inchangés" in out
    assert "Conflits" not in out


@pytest.mark.django_db
def test_an_upstream_change_the_platform_did_not_make_is_taken(tree):
    run(tree.root)
    tree.edit("_authors/alix.dupont.md", "role: Développeuse", "role: Développeuse senior")
    run(tree.root)
    assert Member.objects.get(username="alix.dupont").role == "Développeuse senior"


@pytest.mark.django_db
def test_an_online_edit_upstream_did_not_make_is_kept_and_other_fields_still_follow_upstream(tree, staff):
    run(tree.root)
    missions.mission_extend(mission=alix_mission(), by=staff, end=datetime.date(2025, 6, 30))
    tree.edit("_authors/alix.dupont.md", "role: Développeuse", "role: Développeuse senior")
    out = run(tree.root)
    assert ends("alix.dupont") == [(datetime.date(2023, 1, 2), datetime.date(2025, 6, 30))]
    assert Member.objects.get(username="alix.dupont").role == "Développeuse senior"
    assert "modifications de la plateforme gardées : 1 fichier, 0 conflit" in out
    # …and again at the next import: the base is what was read, not what was kept.
    run(tree.root)
    assert ends("alix.dupont") == [(datetime.date(2023, 1, 2), datetime.date(2025, 6, 30))]


@pytest.mark.django_db
def test_a_field_both_sides_changed_differently_keeps_ours_and_reports_the_conflict(tree, staff):
    run(tree.root)
    missions.mission_extend(mission=alix_mission(), by=staff, end=datetime.date(2025, 6, 30))
    tree.edit("_authors/alix.dupont.md", "end: 2024-12-31", "end: 2025-03-31")
    out = run(tree.root)
    assert ends("alix.dupont") == [(datetime.date(2023, 1, 2), datetime.date(2025, 6, 30))]
    assert "Conflits (1)" in out
    conflict = next(li for li in out.splitlines() if li.startswith("  _authors/alix.dupont.md"))
    assert "missions" in conflict and "2025-06-30" in conflict and "2025-03-31" in conflict
    entry = JournalEntry.objects.filter(action="registry.import_betagouv").latest("pk")
    assert "1 conflit" in entry.message
    [data] = entry.data["conflicts"]
    assert data["file"] == "_authors/alix.dupont.md" and data["field"] == "missions"
    assert data["ours"][0]["end"] == "2025-06-30" and data["theirs"][0]["end"] == "2025-03-31"
    # Reported once: the next import has seen upstream's change (its base), and keeps ours without a conflict.
    out = run(tree.root)
    assert "Conflits" not in out and "modifications de la plateforme gardées : 1 fichier" in out
    assert ends("alix.dupont") == [(datetime.date(2023, 1, 2), datetime.date(2025, 6, 30))]
    # Upstream takes the platform's value: no conflict any more.
    tree.edit("_authors/alix.dupont.md", "end: 2025-03-31", "end: 2025-06-30")
    out = run(tree.root)
    assert "Conflits" not in out
    assert ends("alix.dupont") == [(datetime.date(2023, 1, 2), datetime.date(2025, 6, 30))]


@pytest.mark.django_db
def test_the_same_change_on_both_sides_is_no_conflict(tree, staff):
    run(tree.root)
    missions.mission_extend(mission=alix_mission(), by=staff, end=datetime.date(2025, 6, 30))
    tree.edit("_authors/alix.dupont.md", "end: 2024-12-31", "end: 2025-06-30")
    assert "Conflits" not in run(tree.root)
    assert ends("alix.dupont") == [(datetime.date(2023, 1, 2), datetime.date(2025, 6, 30))]


@pytest.mark.django_db
def test_a_mission_added_online_is_kept_when_upstream_edits_the_body(tree, staff):
    run(tree.root)
    member = Member.objects.get(username="dominique.durand")
    missions.mission_add(
        member=member,
        by=staff,
        start=datetime.date(2024, 1, 1),
        end=datetime.date(2024, 12, 31),
        status="admin",
        products=[Product.objects.get(ghid="mon-service")],
    )
    tree.edit("_authors/dominique.durand.md", "status: admin\n---\n", "status: admin\n---\nDominique accompagne.\n")
    run(tree.root)
    member.refresh_from_db()
    assert member.bio == "Dominique accompagne.\n"
    assert ends("dominique.durand")[-1] == (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
    assert len(ends("dominique.durand")) == 2


@pytest.mark.django_db
def test_a_mission_on_a_product_awaiting_validation_keeps_it_through_an_import(tree, staff):
    run(tree.root)
    member = Member.objects.get(username="alix.dupont")
    pending = ProductFactory(ghid="en-attente", review_state=ReviewState.PENDING)
    mission = missions.mission_add(
        member=member,
        by=staff,
        start=datetime.date(2025, 1, 6),
        end=datetime.date(2025, 6, 30),
        status="independent",
        products=[pending],
        joining=pending,
    )
    tree.edit("_authors/alix.dupont.md", "role: Développeuse", "role: Développeuse senior")
    run(tree.root)
    assert Member.objects.get(username="alix.dupont").role == "Développeuse senior"
    assert list(Mission.objects.get(pk=mission.pk).products.all()) == [pending]


@pytest.mark.django_db
def test_objects_created_online_are_not_deleted_by_an_import_that_lacks_them(tree):
    run(tree.root)
    product = ProductFactory(ghid="nouveau-service", review_state=ReviewState.VALIDATED)
    pending = ProductFactory(ghid="en-attente", review_state=ReviewState.PENDING)
    newcomer = MemberFactory(username="camille.nouvelle", review_state=ReviewState.PENDING)
    MissionFactory(member=newcomer)
    out = run(tree.root)
    assert Product.objects.filter(pk__in=[product.pk, pending.pk]).count() == 2
    assert Member.objects.filter(pk=newcomer.pk).exists() and newcomer.missions.count() == 1
    assert "absent" in out


@pytest.mark.django_db
def test_without_a_base_the_tree_wins(tree, staff):
    run(tree.root)
    missions.mission_extend(mission=alix_mission(), by=staff, end=datetime.date(2025, 6, 30))
    ContentBase.objects.all().delete()  # as after an import made before the base existed
    run(tree.root)
    assert ends("alix.dupont") == [(datetime.date(2023, 1, 2), datetime.date(2024, 12, 31))]


@pytest.mark.django_db
def test_a_merged_file_is_checked_like_any_and_an_error_writes_nothing(tree, staff):
    run(tree.root)
    missions.mission_extend(mission=alix_mission(), by=staff, end=datetime.date(2025, 6, 30))
    tree.edit("_authors/alix.dupont.md", "domaine: Développement", "domaine: Inconnu")
    bases = list(ContentBase.objects.order_by("path").values_list("path", "digest"))
    with pytest.raises(CommandError, match="Inconnu"):
        run(tree.root)
    assert list(ContentBase.objects.order_by("path").values_list("path", "digest")) == bases
    assert ends("alix.dupont") == [(datetime.date(2023, 1, 2), datetime.date(2025, 6, 30))]


@pytest.mark.django_db
def test_a_file_removed_upstream_loses_its_base_and_its_row_is_left(tree):
    run(tree.root)
    tree.remove("_authors/dominique.durand.md")
    run(tree.root)
    assert not ContentBase.objects.filter(path="_authors/dominique.durand.md").exists()
    assert Member.objects.filter(username="dominique.durand").exists()


# --- The real sample ------------------------------------------------------------------------------------------


@pytest.mark.sample
@pytest.mark.django_db
def test_right_after_an_import_of_the_sample_every_file_reads_as_the_export_writes_it():
    """The merge compares a file read and a row exported in one form: right after an import, no field of any file
    of the real tree differs (else an upstream change to it would look like a conflict)."""
    content.import_betagouv(path=SAMPLE)
    merge = merge_tree(read_tree(SAMPLE))
    assert merge.conflicts == []
    assert sorted(merge.overrides) == []
    assert merge.changed_files == 0


@pytest.mark.sample
def test_a_merged_file_reads_back_as_the_fields_it_was_made_of():
    """The merge writes a file from fields (dates as ISO text, `extra` keys as JSON): read again, every file of the
    sample gives the same fields, so that what is kept is what is imported."""
    first = read_tree(SAMPLE)
    fields = {
        record["rel"]: fields_of(*record_file(kind.name, record))
        for kind in KINDS
        for record in first.records[kind.name].values()
    }
    again = read_tree(SAMPLE, overrides={rel: text_of(f) for rel, f in fields.items()})
    assert not again.errors
    for kind in KINDS:
        for record in again.records[kind.name].values():
            assert fields_of(*record_file(kind.name, record)) == fields[record["rel"]], record["rel"]


def test_the_worker_hook_is_registered_and_off_unless_the_environment_names_the_repository(settings):
    assert "incubateur.registry.content.sync.daily" in settings.WORKER_HOUSEKEEPING_HOOKS
    assert settings.BETAGOUV_SYNC_DAILY is False  # the tests' environment has no BETAGOUV_REPO_URL
    assert settings.BETAGOUV_REPO_URL == "https://github.com/betagouv/beta.gouv.fr.git"
    assert settings.BETAGOUV_SYNC_DIR.name == "betagouv-sync"
