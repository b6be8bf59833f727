"""`manage.py sync_betagouv` against a local git repository the test builds (real git, a `file://` URL, no network):
the first sync, a commit upstream arriving, a conflicting online edit reported and ours kept, a broken commit that
changes nothing and is reported, a re-run with nothing new, and the worker's daily run (once a day, however many
workers)."""

import datetime
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from freezegun import freeze_time

from incubateur.core.models import JournalEntry, Visibility
from incubateur.registry.content import sync
from incubateur.registry.models import ContentBase, Member, Mission
from incubateur.registry.services import missions
from tests.factories import UserFactory
from tests.registry.test_merge import FILES, Tree
from tests.utils import SAMPLE


class Upstream:
    """A git repository standing for beta.gouv.fr's: `content/` and a file beside it (not checked out)."""

    def __init__(self, root: Path, files: dict[str, str] | None = None, copy_from: Path | None = None):
        self.root = root
        root.mkdir(parents=True)
        self.git("init", "--quiet", "--initial-branch=master")
        self.git("config", "uploadpack.allowFilter", "true")  # as GitHub: a partial fetch
        if copy_from is not None:
            shutil.copytree(copy_from, root / "content")
        self.tree = Tree(root / "content", files if files is not None else FILES)
        (root / "README.md").write_text("beta.gouv.fr\n", encoding="utf-8")
        self.commit("Premier commit")

    @property
    def url(self) -> str:
        return self.root.as_uri()

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", *args],
            cwd=self.root,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    def commit(self, message: str) -> str:
        self.git("add", "--all")
        self.git("commit", "--quiet", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def upstream(tmp_path, settings) -> Upstream:
    repo = Upstream(tmp_path / "upstream")
    settings.BETAGOUV_REPO_URL = repo.url
    settings.BETAGOUV_SYNC_DIR = tmp_path / "var" / "betagouv-sync"
    return repo


def run(**options) -> str:
    out = StringIO()
    call_command("sync_betagouv", stdout=out, **options)
    return out.getvalue()


def syncs(action: str = "registry.sync_betagouv"):
    return JournalEntry.objects.filter(action=action).order_by("pk")


def alix_ends() -> list:
    return list(Mission.objects.filter(member__username="alix.dupont").values_list("end", flat=True))


@pytest.mark.django_db
def test_the_first_sync_checks_out_content_only_shallow_and_imports_it(upstream, settings):
    out = run()
    folder = settings.BETAGOUV_SYNC_DIR
    commit = upstream.git("rev-parse", "HEAD")
    assert f"beta.gouv.fr {commit[:12]}" in out and "membres : 2 créés" in out
    assert (folder / "content" / "_authors" / "alix.dupont.md").is_file()
    assert not (folder / "README.md").exists()  # sparse: content/ only
    shallow = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"], cwd=folder, capture_output=True, text=True, check=True
    )
    assert shallow.stdout.strip() == "true"
    missing = subprocess.run(
        ["git", "rev-list", "--objects", "--missing=print", "HEAD"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    readme = upstream.git("rev-parse", "HEAD:README.md")
    assert f"?{readme}" in missing.stdout.split()  # partial: the blobs outside content/ were not downloaded
    assert Member.objects.filter(username="alix.dupont").exists()
    [entry] = syncs()
    assert entry.visibility == Visibility.PUBLIC
    assert entry.data == {"commit": commit, "previous": "", "files_changed": len(FILES), "conflicts": 0}
    assert ContentBase.objects.get(path=sync.STATE).digest == commit


@pytest.mark.django_db
def test_a_commit_upstream_arrives_and_is_imported_in_place(upstream):
    run()
    upstream.tree.edit("_authors/alix.dupont.md", "role: Développeuse", "role: Développeuse senior")
    upstream.tree.remove("_authors/dominique.durand.md")
    commit = upstream.commit("Alix change de rôle")
    out = run()
    assert f"beta.gouv.fr {commit[:12]}" in out
    assert Member.objects.get(username="alix.dupont").role == "Développeuse senior"
    assert Member.objects.filter(username="dominique.durand").exists()  # left, as every import does
    entry = syncs().last()
    assert entry.data["files_changed"] == 2 and "2 fichiers modifiés, 0 conflit" in entry.message


@pytest.mark.django_db
def test_a_conflicting_online_edit_is_reported_and_ours_kept(upstream):
    run()
    staff = UserFactory(staff=True)
    mission = Mission.objects.get(member__username="alix.dupont")
    missions.mission_extend(mission=mission, by=staff, end=datetime.date(2025, 6, 30))
    upstream.tree.edit("_authors/alix.dupont.md", "end: 2024-12-31", "end: 2025-03-31")
    upstream.tree.edit("_authors/alix.dupont.md", "role: Développeuse", "role: Développeuse senior")
    upstream.commit("Alix : fin de mission")
    out = run()
    assert alix_ends() == [datetime.date(2025, 6, 30)]
    assert Member.objects.get(username="alix.dupont").role == "Développeuse senior"  # the other field: upstream's
    assert "Conflits (1)" in out
    line = next(li for li in out.splitlines() if li.startswith("  _authors/alix.dupont.md, missions"))
    assert "plateforme" in line and "2025-06-30" in line and "beta.gouv.fr" in line and "2025-03-31" in line
    # The public row counts; the values (a mission's employer among them) are in the import's internal row.
    entry = syncs().last()
    assert entry.visibility == Visibility.PUBLIC and entry.data["conflicts"] == 1
    assert "Une SAS" not in str(entry.data) + entry.message and "2025" not in entry.message
    details = JournalEntry.objects.filter(action="registry.import_betagouv").latest("pk")
    assert details.visibility == Visibility.INTERNAL
    assert details.data["conflicts"][0]["field"] == "missions"


@pytest.mark.django_db
def test_a_broken_commit_changes_nothing_and_is_reported(upstream, settings):
    run()
    good = ContentBase.objects.get(path=sync.STATE).digest
    upstream.tree.edit("_authors/alix.dupont.md", "role: Développeuse", "role: Développeuse senior")
    upstream.tree.write("_authors/dominique.durand.md", "---\nfullname: [Dominique\n---\n")
    broken = upstream.commit("Un fichier cassé")
    bases = list(ContentBase.objects.order_by("path").values_list("path", "digest", "read_at"))
    with pytest.raises(CommandError) as caught:
        run()
    assert "_authors/dominique.durand.md" in str(caught.value) and "rien n'a été importé" in str(caught.value)
    assert Member.objects.get(username="alix.dupont").role == "Développeuse"
    assert list(ContentBase.objects.order_by("path").values_list("path", "digest", "read_at")) == bases
    assert ContentBase.objects.get(path=sync.STATE).digest == good
    [refused] = syncs("registry.sync_betagouv_refused")
    assert refused.visibility == Visibility.PUBLIC and refused.data["commit"] == broken
    assert refused.data["errors"] == 1 and "refusée" in refused.message
    [errors] = syncs("registry.sync_betagouv_errors")
    assert errors.visibility == Visibility.INTERNAL and "_authors/dominique.durand.md" in errors.data["errors"][0]
    # Fixed upstream: the next sync imports it.
    upstream.tree.write("_authors/dominique.durand.md", FILES["_authors/dominique.durand.md"])
    upstream.commit("Réparé")
    run()
    assert Member.objects.get(username="alix.dupont").role == "Développeuse senior"


@pytest.mark.django_db
def test_re_running_with_nothing_new_changes_nothing(upstream):
    run()
    journal = JournalEntry.objects.count()
    bases = list(ContentBase.objects.order_by("path").values_list("path", "digest", "read_at"))
    out = run()
    assert "déjà importé, rien de nouveau" in out
    assert JournalEntry.objects.count() == journal
    assert list(ContentBase.objects.order_by("path").values_list("path", "digest", "read_at")) == bases


@pytest.mark.django_db
def test_an_unreachable_repository_is_an_error_and_writes_nothing(tmp_path, settings):
    settings.BETAGOUV_SYNC_DIR = tmp_path / "sync"
    with pytest.raises(CommandError, match="Synchronisation impossible"):
        run(url=(tmp_path / "nowhere").as_uri())
    assert not JournalEntry.objects.exists() and not Member.objects.exists()


@pytest.mark.django_db
def test_the_daily_sync_runs_once_a_day_however_many_workers(upstream, settings):
    settings.BETAGOUV_SYNC_DAILY = True
    with freeze_time("2026-03-02 08:00:00"):
        sync.daily()
        sync.daily()  # a second worker's beat, the same day
        assert syncs().count() == 1
        assert not sync.claim_today()
    upstream.tree.edit("_authors/alix.dupont.md", "role: Développeuse", "role: Développeuse senior")
    upstream.commit("Le lendemain")
    with freeze_time("2026-03-03 07:00:00"):
        sync.daily()
        sync.daily()
    assert syncs().count() == 2
    assert Member.objects.get(username="alix.dupont").role == "Développeuse senior"


@pytest.mark.django_db
def test_without_the_setting_the_worker_never_syncs(upstream, settings):
    settings.BETAGOUV_SYNC_DAILY = False
    sync.daily()
    assert not syncs().exists() and not ContentBase.objects.exists()
    assert not settings.BETAGOUV_SYNC_DIR.exists()


@pytest.mark.sample
@pytest.mark.django_db
def test_the_sample_as_upstream(tmp_path, settings):
    repo = Upstream(tmp_path / "upstream", files={}, copy_from=SAMPLE)
    settings.BETAGOUV_SYNC_DIR = tmp_path / "sync"
    run(url=repo.url)
    author = sorted((repo.root / "content" / "_authors").glob("*.md"))[0]
    member = Member.objects.get(username=author.stem)
    text = author.read_text(encoding="utf-8")
    author.write_text(text.replace("fullname:", "fullname: Z", 1), encoding="utf-8")
    repo.commit("Un nom change")
    out = run(url=repo.url)
    assert "membres : 0 créé, 1 modifié" in out
    member.refresh_from_db()
    assert member.fullname.startswith("Z")
    assert syncs().last().data["files_changed"] == 1
