"""`manage.py synthetic_tree`: a content tree N times the sample that the importer takes with no problem of its
own (exactly N times the sample's warnings, no error), product ids with dots, the same bytes for the same seed, and
a non-empty folder refused unless --force."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from incubateur.registry import content
from incubateur.registry.models import Member, MissionProduct, Product, ProductSponsor, Team
from tests.utils import SAMPLE, SAMPLE_MISSING

pytestmark = pytest.mark.skipif(not SAMPLE.is_dir(), reason=SAMPLE_MISSING)


def write(out: Path, *args: str) -> str:
    stdout = StringIO()
    call_command("synthetic_tree", str(out), "--sample", str(SAMPLE), *args, stdout=stdout)
    return stdout.getvalue()


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "tree"
    write(out, "--factor", "2")
    return out


def test_the_tree_has_the_samples_layout_and_factor_times_its_registry_files(tree):
    for folder in sorted(p.name for p in SAMPLE.iterdir() if p.is_dir() and p.name.startswith("_")):
        sample_files = len(list((SAMPLE / folder).iterdir()))
        expected = sample_files * (2 if folder in {k.folder for k in content.KINDS} else 1)
        assert len(list((tree / folder).iterdir())) == expected, folder
    # The first copy is the sample itself, byte for byte.
    sample = files_of(SAMPLE)
    assert {rel: data for rel, data in files_of(tree).items() if rel in sample} == sample


def test_new_ids_look_real_members_prenom_nom_and_some_products_dotted(tree):
    sample_members = {p.name for p in (SAMPLE / "_authors").iterdir()}
    new_members = [p.name[:-3] for p in (tree / "_authors").iterdir() if p.name not in sample_members]
    assert new_members and all(name.count(".") >= 1 and name.isascii() for name in new_members)
    sample_products = {p.name for p in (SAMPLE / "_startups").iterdir()}
    new_products = [p.name[:-3] for p in (tree / "_startups").iterdir() if p.name not in sample_products]
    dotted = [name for name in new_products if "." in name]
    assert 1 / 10 < len(dotted) / len(new_products) < 1 / 4  # about one in six, as in the real tree


@pytest.mark.django_db
def test_the_tree_imports_with_only_the_samples_own_warnings_twice_and_consistent_references(tree):
    sample_read = content.read_tree(SAMPLE)
    assert not sample_read.errors
    report = content.import_betagouv(path=tree)
    # Every reference rewritten to its own copy: a reference the rewrite broke would be a warning more.
    assert len(report.warnings) == 2 * len(sample_read.warnings)
    assert {str(p).split(":", 1)[1] for p in report.warnings if "-2" not in p.file and "." not in p.file} <= {
        str(p).split(":", 1)[1] for p in sample_read.warnings
    }
    members = len(list((SAMPLE / "_authors").iterdir()))
    assert Member.objects.count() == 2 * members
    # A copy's member works on that copy's products, whose sponsors are that copy's organisations.
    copied = MissionProduct.objects.filter(product__ghid__endswith="-2")
    assert copied.exists()
    assert not copied.exclude(mission__member__username__in=_new_usernames(tree)).exists()
    assert (
        not ProductSponsor.objects.filter(product__ghid__endswith="-2")
        .exclude(organisation__ghid__endswith="-2")
        .exists()
    )
    assert not Team.objects.filter(ghid__endswith="-2").exclude(incubator__ghid__endswith="-2").exists()
    assert Product.objects.filter(ghid__contains=".", ghid__endswith="-2").exists()


def _new_usernames(tree: Path) -> set[str]:
    sample_members = {p.name for p in (SAMPLE / "_authors").iterdir()}
    return {p.name[:-3] for p in (tree / "_authors").iterdir() if p.name not in sample_members}


def test_the_same_seed_writes_the_same_bytes_and_another_seed_other_members(tree, tmp_path):
    write(tmp_path / "again", "--factor", "2")
    assert files_of(tmp_path / "again") == files_of(tree)
    write(tmp_path / "other", "--factor", "2", "--seed", "1")
    assert sorted((tmp_path / "other" / "_authors").iterdir()) != sorted((tree / "_authors").iterdir())


def test_a_non_empty_folder_is_refused_unless_forced(tmp_path):
    out = tmp_path / "tree"
    out.mkdir()
    (out / "note.txt").write_text("à garder")
    with pytest.raises(CommandError, match="n'est pas vide"):
        write(out, "--factor", "1")
    assert [p.name for p in out.iterdir()] == ["note.txt"]
    (out / "_authors").mkdir()
    (out / "_authors" / "stale.md").write_text("---\n---\n")
    write(out, "--factor", "1", "--force")
    assert not (out / "_authors" / "stale.md").exists()  # the folders it writes are replaced, not merged
    assert (out / "note.txt").exists()  # what is not its own is left
    assert files_of(out) == {**files_of(SAMPLE), "note.txt": "à garder".encode()}
