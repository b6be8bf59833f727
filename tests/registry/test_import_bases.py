"""What the import keeps between two imports and while it runs (#19, P3): the bases are streamed and written only
where they change (`merge.merge_tree`, `merge.save_bases`), the database's export view is streamed and only the rows
that differ from their file are kept (`merge._differing`), and the garbage collector is paused for the length of an
import only (`importer._no_cyclic_collection`)."""

import datetime
import gc

import pytest

from incubateur.registry import content
from incubateur.registry.content.merge import merge_tree
from incubateur.registry.content.tree import read_tree
from incubateur.registry.models import ContentBase, Member
from incubateur.registry.services import missions
from tests.factories import UserFactory
from tests.registry.test_merge import Tree, alix_mission, run

pytestmark = pytest.mark.django_db

ALIX = "_authors/alix.dupont.md"


@pytest.fixture
def tree(tmp_path) -> Tree:
    return Tree(tmp_path / "content")


def bases() -> dict[str, tuple[str, dict, datetime.datetime]]:
    return {
        path: (dig, fields, at)
        for path, dig, fields, at in ContentBase.objects.values_list("path", "digest", "fields", "read_at")
    }


def test_an_unchanged_tree_leaves_every_base_row_as_it_was(tree):
    run(tree.root)
    before = bases()
    merge = merge_tree(read_tree(tree.root))
    assert merge.changed_files == merge.removed_files == 0 and merge.overrides == {}
    assert all(unchanged for _, unchanged in merge.previous.values())
    run(tree.root)
    assert bases() == before  # not even `read_at`: no row written


def test_a_base_that_no_longer_reads_as_its_unchanged_file_is_written_again(tree):
    """Same digest, other fields (the base of an older importer, or a reference that now resolves otherwise): the
    base is made what the file reads as now, and the row is left alone."""
    run(tree.root)
    right = bases()[ALIX][1]
    ContentBase.objects.filter(path=ALIX).update(fields={**right, "role": "Ancien rôle"})
    merge = merge_tree(read_tree(tree.root))
    assert merge.changed_files == 0 and merge.overrides == {} and merge.previous[ALIX][1] is False
    run(tree.root)
    assert bases()[ALIX][1] == right
    assert Member.objects.get(username="alix.dupont").role == "Développeuse"


def test_a_changed_file_a_new_file_and_a_removed_file_update_create_and_delete_their_bases(tree):
    run(tree.root)
    before = bases()
    tree.edit(ALIX, "role: Développeuse", "role: Développeuse senior")
    tree.write("_authors/camille.martin.md", "---\nfullname: Camille Martin\ndomaine: Coaching\nmissions: []\n---\n")
    tree.remove("_authors/dominique.durand.md")
    merge = merge_tree(read_tree(tree.root))
    assert (merge.changed_files, merge.removed_files) == (2, 1)
    run(tree.root)
    after = bases()
    assert after[ALIX][1]["role"] == "Développeuse senior" and after[ALIX][0] != before[ALIX][0]
    assert "_authors/camille.martin.md" in after and "_authors/dominique.durand.md" not in after
    unchanged = set(before) - {ALIX, "_authors/dominique.durand.md"}
    assert {path: after[path] for path in unchanged} == {path: before[path] for path in unchanged}


def test_only_the_rows_the_platform_changed_are_merged_and_the_base_they_use_is_the_previous_read(tree):
    """The export view is streamed and only what differs from the file kept: an online edit on one member is kept,
    the other files read as they are; an upstream change on the same file is taken (its base was the old read)."""
    staff = UserFactory(staff=True)
    run(tree.root)
    missions.mission_extend(mission=alix_mission(), by=staff, end=datetime.date(2025, 6, 30))
    tree.edit(ALIX, "role: Développeuse", "role: Développeuse senior")
    merge = merge_tree(read_tree(tree.root))
    assert set(merge.overrides) == {ALIX} and merge.kept == 1 and merge.conflicts == []
    run(tree.root)
    alix = Member.objects.get(username="alix.dupont")
    assert alix.role == "Développeuse senior"
    assert list(alix.missions.values_list("end", flat=True)) == [datetime.date(2025, 6, 30)]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_import_gives_the_garbage_collector_back_as_it_found_it(tree, enabled):
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        run(tree.root)
        assert gc.isenabled() is enabled
        tree.edit(ALIX, "domaine: Développement", "domaine: Nulle part")  # an error: the import is refused
        with pytest.raises(content.ImportRefused):
            content.import_betagouv(path=tree.root)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
