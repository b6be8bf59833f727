"""Following the beta.gouv.fr repository (`manage.py sync_betagouv`, and the worker once a day).

Until the platform is the source of truth, the registry follows the public repository:

1. **Fetch** `BETAGOUV_REPO_URL` with the system `git` into `BETAGOUV_SYNC_DIR` (`var/betagouv-sync/`): a shallow
   (`--depth=1`), partial (`--filter=blob:none`), sparse (`content/` only) checkout, created at the first run and
   updated in place afterwards (fetch of the remote's HEAD, forced checkout of it). No credentials, no prompt
   (`GIT_TERMINAL_PROMPT=0`), a timeout (`BETAGOUV_SYNC_TIMEOUT`). A lock file keeps two runs on one machine from
   sharing the checkout.
2. **Import** it with the importer's rule (`importer`, `merge`): all or nothing, the platform's newer edits kept,
   conflicts reported. A commit already imported is not imported again (nothing new: nothing written, no journal
   row).
3. **Journal**: a PUBLIC row per sync that changed or refused something — the upstream commit, the counts of files
   changed and of conflicts, never a field's value; the details (each conflict's file, field and both values,
   which can be a person's employer or bio) are in the import's INTERNAL row, written in the same transaction. A
   broken commit upstream (a file that does not read) writes nothing but a PUBLIC row "refused" with the count of
   errors, and an INTERNAL one listing them; the command exits with an error.

`daily()` is the worker's hook (WORKER_HOUSEKEEPING_HOOKS): when `BETAGOUV_SYNC_DAILY` (the environment sets
`BETAGOUV_REPO_URL`), the first beat of each day (Europe/Paris) claims the day with a conditional UPDATE of the
state row (`ContentBase` at the path `@sync`: `read_at` = the last day claimed, `digest` = the last commit
imported), so that one worker syncs, however many there are.
"""

import datetime
import fcntl
import logging
import os
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from incubateur.core import journal
from incubateur.core.models import Visibility
from incubateur.core.text import quantity
from incubateur.registry.content.importer import import_betagouv
from incubateur.registry.content.merge import STATE_PREFIX
from incubateur.registry.content.problems import ImportRefused, Problem
from incubateur.registry.content.writing import Report
from incubateur.registry.models import ContentBase

logger = logging.getLogger(__name__)

STATE = f"{STATE_PREFIX}sync"  # the ContentBase row that holds the sync's state (not a file of the tree)
NEVER = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


class SyncFailed(Exception):
    """`git` failed (the repository unreachable, not a repository…): nothing was imported."""


@dataclass
class SyncResult:
    commit: str
    previous: str  # the last commit imported before this run ("" for none)
    report: Report | None = None  # None: nothing new, or refused
    problems: list[Problem] = field(default_factory=list)  # the errors of a refused commit

    @property
    def refused(self) -> bool:
        return bool(self.problems)

    @property
    def up_to_date(self) -> bool:
        return self.report is None and not self.problems

    def lines(self) -> list[str]:
        short = self.commit[:12]
        if self.up_to_date:
            return [f"beta.gouv.fr {short} : déjà importé, rien de nouveau"]
        if self.refused:
            return [
                f"beta.gouv.fr {short} : refusé ({quantity(len(self.problems), 'erreur')}), rien n'a été importé",
                *(f"  {p}" for p in self.problems),
            ]
        return [f"beta.gouv.fr {short} (précédent : {self.previous[:12] or 'aucun'}) :", *self.report.lines()]


def _git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=settings.BETAGOUV_SYNC_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SyncFailed(f"git {args[0]} : {exc}") from exc
    if done.returncode != 0:
        raise SyncFailed(f"git {args[0]} : {done.stderr.strip() or done.returncode}")
    return done.stdout.strip()


@contextmanager
def _locked(folder: Path):
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def fetch(url: str, folder: Path) -> str:
    """Bring the checkout at `folder` to the remote's HEAD (created at the first call); returns its commit."""
    if not (folder / ".git").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        _git("init", "--quiet", "--initial-branch=sync", cwd=folder)
        _git("remote", "add", "origin", url, cwd=folder)
    else:
        _git("remote", "set-url", "origin", url, cwd=folder)
    # Sparse: only content/ is checked out. Partial (a promisor remote, `blob:none`): only the blobs checked out
    # are downloaded, not the site's images (a server that cannot filter sends everything: a warning, no error).
    for key, value in (
        ("core.sparseCheckout", "true"),
        ("remote.origin.promisor", "true"),
        ("remote.origin.partialclonefilter", "blob:none"),
    ):
        _git("config", key, value, cwd=folder)
    (folder / ".git" / "info").mkdir(exist_ok=True)
    (folder / ".git" / "info" / "sparse-checkout").write_text("/content/\n", encoding="utf-8")
    _git("fetch", "--quiet", "--depth=1", "--no-tags", "--filter=blob:none", "origin", "HEAD", cwd=folder)
    _git("checkout", "--quiet", "--force", "--detach", "FETCH_HEAD", cwd=folder)
    _git("clean", "--quiet", "-d", "--force", "-x", cwd=folder)
    return _git("rev-parse", "HEAD", cwd=folder)


def _state() -> ContentBase:
    try:
        with transaction.atomic():
            state, _ = ContentBase.objects.get_or_create(path=STATE, defaults={"digest": "", "read_at": NEVER})
    except IntegrityError:  # created by another worker in between
        state = ContentBase.objects.get(path=STATE)
    return state


def sync(*, url: str | None = None, folder: str | os.PathLike | None = None, by=None) -> SyncResult:
    """Fetch the repository and import it (see the module's docstring). Raises SyncFailed when git fails."""
    url = url or settings.BETAGOUV_REPO_URL
    folder = Path(folder or settings.BETAGOUV_SYNC_DIR)
    with _locked(folder):
        commit = fetch(url, folder)
        previous = _state().digest
        result = SyncResult(commit=commit, previous=previous)
        if commit == previous:
            return result
        try:
            with transaction.atomic():
                result.report = import_betagouv(path=folder, by=by)
                report = result.report
                changed = report.changed_files + report.removed_files
                journal.record(
                    actor=by,
                    action="registry.sync_betagouv",
                    message=(
                        f"Synchronisation avec beta.gouv.fr (commit {commit[:12]}) : "
                        f"{quantity(changed, 'fichier modifié', 'fichiers modifiés')}, "
                        f"{quantity(len(report.conflicts), 'conflit')}"
                    ),
                    visibility=Visibility.PUBLIC,
                    data={
                        "commit": commit,
                        "previous": previous,
                        "files_changed": changed,
                        "conflicts": len(report.conflicts),
                    },
                )
                ContentBase.objects.filter(path=STATE).update(
                    digest=commit, fields={"commit": commit, "synced_at": timezone.now().isoformat()}
                )
        except ImportRefused as exc:
            result.report = None
            result.problems = [p for p in exc.problems if not p.warning] or list(exc.problems)
            with transaction.atomic():
                journal.record(
                    actor=by,
                    action="registry.sync_betagouv_refused",
                    message=(
                        f"Synchronisation avec beta.gouv.fr refusée (commit {commit[:12]}) : "
                        f"{quantity(len(result.problems), 'erreur')}, rien n'a été importé"
                    ),
                    visibility=Visibility.PUBLIC,
                    data={"commit": commit, "previous": previous, "errors": len(result.problems)},
                )
                journal.record(
                    actor=by,
                    action="registry.sync_betagouv_errors",
                    message=f"Erreurs du commit {commit[:12]} de beta.gouv.fr",
                    visibility=Visibility.INTERNAL,
                    data={"commit": commit, "errors": [str(p) for p in result.problems]},
                )
        return result


def _midnight() -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))


def claim_today() -> bool:
    """Whether this caller is the first to claim today's sync (a conditional UPDATE: one winner)."""
    _state()
    return bool(ContentBase.objects.filter(path=STATE, read_at__lt=_midnight()).update(read_at=timezone.now()))


def daily() -> None:
    """The worker's hook: sync once a day when the environment names the repository (BETAGOUV_SYNC_DAILY)."""
    if not settings.BETAGOUV_SYNC_DAILY or not claim_today():
        return
    try:
        result = sync()
    except SyncFailed:
        logger.exception("Daily sync with beta.gouv.fr failed")
        return
    for line in result.lines():
        logger.info("%s", line)
