"""#13 findings 2 and 3: symbolic links in beta.gouv.fr's content tree.

- The import refuses a link (to a file or a folder, outside the tree or in it) with an error naming it, and
  writes nothing: the content of a file of the server is never published.
- The export never writes through a link: a linked file is replaced by a regular file (its target is left as it
  was), a linked folder refuses the export before anything is written, and nothing is written outside the
  destination. The destination itself, named by the operator, is followed when it is a link (as `cp` does).
"""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from incubateur.registry import content
from incubateur.registry.models import Organisation, Team
from tests.registry.factories import MemberFactory, OrganisationFactory
from tests.registry.test_import import FILES, Tree, refused, row_counts
from tests.registry.test_import import run as run_import

SECRET = "---\nname: Contenu secret du serveur\n---\n"
SECRET_TEAM = "---\nname: Équipe secrète\nincubator: fabrique-exemple\n---\n"
SECRET_FAST = "---\ntitle: FAST secret\npromotion: 3\n---\nTexte secret du serveur.\n"


@pytest.fixture
def tree(tmp_path) -> Tree:
    return Tree(tmp_path / "content")


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder of the server, outside the tree, with a file in the tree's format (so that reading it would work)."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.md").write_text(SECRET, encoding="utf-8")
    (folder / "equipe.md").write_text(SECRET_TEAM, encoding="utf-8")
    return folder


# --- Import: links refused, nothing written --------------------------------------------------------------


def test_a_file_linked_outside_the_tree_refuses_the_import_naming_it(tree, outside):
    (tree.root / "_organisations" / "fuite.md").symlink_to(outside / "secret.md")
    message = refused(tree.root)  # and nothing written
    assert message.startswith("Rien n'a été importé : 1 erreur.\n"), message
    assert "_organisations/fuite.md: lien symbolique refusé" in message
    assert not Organisation.objects.filter(name__contains="secret").exists()
    assert "secret" not in message.lower()  # the target's content is not quoted either


def test_a_link_to_another_file_of_the_tree_is_refused_too(tree):
    (tree.root / "_organisations" / "copie.md").symlink_to(tree.root / "_organisations" / "min-exemple.md")
    assert "_organisations/copie.md: lien symbolique refusé" in refused(tree.root)


def test_a_link_to_a_folder_inside_a_kinds_folder_is_refused(tree, outside):
    (tree.root / "_teams" / "dossier.md").symlink_to(outside, target_is_directory=True)
    assert "_teams/dossier.md: lien symbolique refusé" in refused(tree.root)


def test_a_kinds_folder_that_is_a_link_refuses_the_import_naming_it(tree, outside):
    (tree.root / "_teams" / "animation.md").unlink()
    (tree.root / "_teams").rmdir()
    (tree.root / "_teams").symlink_to(outside, target_is_directory=True)
    message = refused(tree.root)
    assert "\n_teams: lien symbolique refusé : un dossier de l'arborescence doit être un dossier ordinaire" in message
    assert not Team.objects.filter(name__contains="secrète").exists()


def test_a_checkouts_content_folder_that_is_a_link_is_refused(tree, tmp_path):
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "content").symlink_to(tree.root, target_is_directory=True)
    assert "content: lien symbolique refusé" in refused(checkout)


def test_the_path_named_by_the_operator_may_be_a_link(tree, tmp_path):
    """The folder given on the command line is the operator's choice: a link there is followed."""
    (tmp_path / "lien").symlink_to(tree.root, target_is_directory=True)
    run_import(tmp_path / "lien")
    assert Organisation.objects.filter(ghid="min-exemple").exists()


def test_a_past_fast_edition_linked_outside_refuses_the_import(tree, outside):
    """`_fasts/` is read by the programmes app with the importer's `read_utf8`: no link there either."""
    (outside / "fast.md").write_text(SECRET_FAST, encoding="utf-8")
    (tree.root / "_fasts").mkdir()
    (tree.root / "_fasts" / "03_fast.md").symlink_to(outside / "fast.md")
    assert "_fasts/03_fast.md: lien symbolique refusé" in refused(tree.root)


def test_read_utf8_refuses_a_folder_swapped_for_a_link_after_the_listing(tree, outside):
    """Reading opens every folder below the tree's own without following a link: a folder replaced by a link
    between the listing and the reading is refused as well."""
    (tree.root / "_teams" / "animation.md").unlink()
    (tree.root / "_teams").rmdir()
    (tree.root / "_teams").symlink_to(outside, target_is_directory=True)
    problems = []
    assert content.read_utf8(tree.root / "_teams" / "equipe.md", "_teams/equipe.md", problems) is None
    assert [str(p) for p in problems] == [
        "_teams: lien symbolique refusé : un dossier de l'arborescence doit être un dossier ordinaire"
    ]


def test_read_utf8_refuses_what_is_not_a_regular_file_without_waiting(tree):
    """A named pipe would block a plain `open()` until someone writes to it."""
    os.mkfifo(tree.root / "_teams" / "tube.md")
    problems = []
    assert content.read_utf8(tree.root / "_teams" / "tube.md", "_teams/tube.md", problems) is None
    assert [str(p) for p in problems] == [
        "_teams/tube.md: refusé : pas un fichier ordinaire (un tube, un périphérique…)"
    ]


def test_the_tree_without_links_still_imports(tree):
    before = row_counts()
    run_import(tree.root)
    assert row_counts() != before
    assert Organisation.objects.count() == sum(1 for rel in FILES if rel.startswith("_organisations/"))


# --- Export: never through a link, never outside -----------------------------------------------------------


def export(path) -> str:
    out = StringIO()
    call_command("export_betagouv", str(path), stdout=out)
    return out.getvalue()


@pytest.fixture
def dest(tmp_path) -> Path:
    """A destination that already has the kinds' folders (as a previous export left them)."""
    folder = tmp_path / "dest"
    for name in ("_organisations", "_incubators", "_startups", "_authors", "_teams"):
        (folder / name).mkdir(parents=True)
    return folder


@pytest.fixture
def victim(tmp_path) -> Path:
    """A file of the server the process may write."""
    path = tmp_path / "victim.txt"
    path.write_text("précieux\n", encoding="utf-8")
    return path


def test_a_linked_file_in_the_destination_is_replaced_and_its_target_untouched(dest, victim):
    OrganisationFactory(ghid="dinum", name="DINUM")
    (dest / "_organisations" / "dinum.md").symlink_to(victim)
    export(dest)
    assert victim.read_text(encoding="utf-8") == "précieux\n"
    written = dest / "_organisations" / "dinum.md"
    assert not written.is_symlink() and written.is_file()
    assert "name: DINUM" in written.read_text(encoding="utf-8")


def test_a_dangling_link_creates_no_file_where_it_points(dest, tmp_path):
    OrganisationFactory(ghid="dinum", name="DINUM")
    target = tmp_path / "elsewhere" / "created.md"
    target.parent.mkdir()
    (dest / "_organisations" / "dinum.md").symlink_to(target)
    export(dest)
    assert not target.exists()
    assert not (dest / "_organisations" / "dinum.md").is_symlink()


def test_a_hard_link_in_the_destination_is_replaced_not_written_through(dest, victim):
    OrganisationFactory(ghid="dinum", name="DINUM")
    os.link(victim, dest / "_organisations" / "dinum.md")
    export(dest)
    assert victim.read_text(encoding="utf-8") == "précieux\n"
    assert "name: DINUM" in (dest / "_organisations" / "dinum.md").read_text(encoding="utf-8")


def test_a_linked_folder_refuses_the_export_before_anything_is_written(dest, tmp_path, victim):
    OrganisationFactory(ghid="dinum", name="DINUM")
    MemberFactory(username="alix.dupont")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.link(victim, elsewhere / "alix.dupont.md")
    (dest / "_authors").rmdir()
    (dest / "_authors").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(CommandError) as caught:
        export(dest)
    assert str(caught.value) == (
        "Rien n'a été exporté :\n"
        "_authors: lien symbolique refusé : un dossier de l'arborescence doit être un dossier ordinaire"
    )
    assert victim.read_text(encoding="utf-8") == "précieux\n"
    assert os.listdir(elsewhere) == ["alix.dupont.md"]
    assert os.listdir(dest / "_organisations") == []  # all or nothing


def test_a_checkouts_content_folder_that_is_a_link_refuses_the_export(tmp_path):
    OrganisationFactory(ghid="dinum", name="DINUM")
    checkout, elsewhere = tmp_path / "checkout", tmp_path / "elsewhere"
    checkout.mkdir()
    elsewhere.mkdir()
    (checkout / "content").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(CommandError, match="content: lien symbolique refusé"):
        export(checkout)
    assert os.listdir(elsewhere) == []


def test_a_destination_that_is_itself_a_link_is_followed(tmp_path):
    """The operator names the destination: a link there is their choice (below it, nothing is followed)."""
    OrganisationFactory(ghid="dinum", name="DINUM")
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "lien").symlink_to(real, target_is_directory=True)
    export(tmp_path / "lien")
    assert (real / "_organisations" / "dinum.md").is_file()


@pytest.mark.parametrize("username", ["../../evade", "..", "a\x01b"])
def test_a_row_whose_identifier_is_no_file_name_is_not_written_anywhere(dest, tmp_path, username):
    """A row saved before the identifier rule (or by a bulk write) cannot make the export leave its folder."""
    MemberFactory(username=username)  # a factory saves without validating
    out = export(dest)
    assert f"non exportés : _authors/{username}" in out
    assert os.listdir(dest / "_authors") == []
    written = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert written == set()


def test_no_temporary_file_is_left_behind(dest):
    OrganisationFactory(ghid="dinum", name="DINUM")
    export(dest)
    export(dest)
    assert sorted(os.listdir(dest / "_organisations")) == ["dinum.md"]
