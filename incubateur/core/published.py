"""Public files published like files (#19): bytes on disk, answered ahead of the middleware stack when fresh.

Apps register the public files whose content depends only on their data (`register`, `register_pattern`): a path,
the version stamps (core/stamps.py) of that data, a content type, and whether today's date counts (`daily`). The
app's own view stays the builder: it answers through `serve` (or calls `store`), which writes the file, plain and
gzipped, atomically (temporary file + rename) under `PUBLISHED_ROOT`, with the versions it was built under.
`PublishedFilesMiddleware`, right after SecurityMiddleware and WhiteNoise, answers a GET or HEAD of such a path from
memory or disk, without a query, when the file is fresh; anything else falls through to the view.

Guarantee: a file is never served by the middleware after a commit that changed its data. Each stamp has a directory
`PUBLISHED_ROOT/<database>/stamps/<name>/` holding `version-<v>` (the committed version, as last published) and
`dirty-<v>-<pid>` marks:
- `Stamp.bump` (inside the writing transaction, or an atomic block of its own, before the new version is written to
  the database) creates a dirty mark;
- after the commit (`transaction.on_commit`), under the stamp's file lock, the committed version is READ BACK from the
  database, written as `version-<v>`, and the mark removed. Reading it back under the lock keeps the last writer's
  version whatever the order in which concurrent commits run their hooks.
- the middleware reads the directory (a stat; a `scandir`, marks and version together, when its mtime moved): it
  serves only when there is no mark, exactly one version, and the file's recorded versions (plus today's date for
  daily files) equal it. Files are cached in memory with their versions: a hit is a few stats and dict lookups.
So between a bump and the publication of the version it committed there is always a mark, and the view (which reads
the database) answers.
A mark whose transaction rolled back is removed the same way (version read back, mark removed): by its own thread at
the end of the request (`request_finished`), at its next bump, at process exit; by anyone once its process is dead
or once it is older than `DIRTY_TIMEOUT` (a transaction open that long would only lose the fall-through for the few
milliseconds between its commit and its hook). Until then that stamp's files are served by the view: slower, never
stale. A failure while publishing (disk full) leaves a mark or a missing file: the same slow, correct path; a mark
that cannot be created fails the bump, hence the write (never a stale file).

Assumptions: one host (the marks are files; several hosts need a shared volume, or set PUBLISHED_ROOT = None and keep
the views' own caches). Each database has its own directory under PUBLISHED_ROOT, and each process trusts a stamp's
version on disk only after reading it once from the database (`_checked`): a database restored or reseeded while the
server was stopped is seen at its start. A database replaced under a running server, or a deployment that changes a
file's format without a write, needs PUBLISHED_ROOT emptied (or a bump). `PUBLISHED_ROOT = None` turns all of this
off (the tests' default).
"""

import atexit
import contextlib
import fcntl
import functools
import gzip
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from incubateur.core.stamps import BUMP_LISTENERS, Stamp

MAX_AGE = 60  # seconds a client or proxy may reuse a file without asking again
DIRTY_TIMEOUT = 3600  # seconds after which a mark of a live process is taken to be a rolled-back transaction's


@dataclass(frozen=True)
class Entry:
    stamps: tuple[Stamp, ...]
    content_type: str
    daily: bool


@dataclass(frozen=True)
class File:
    versions: tuple[str, ...]  # the stamps' versions (and the day, for daily files) it was built under
    etag: str  # weak: the plain and the gzipped bytes are the same content
    last_modified: int  # seconds since the epoch; moves only when the content changes
    content_type: str
    plain: bytes
    gzipped: bytes


_exact: dict[str, Entry] = {}
_patterns: list[tuple[str, str, Entry]] = []  # (prefix, suffix, entry): one path segment between them
_families: dict[str, Stamp] = {}
# The latest file of each path in this process (its versions say whether it is still fresh).
_memo: dict[str, File] = {}


def register(path: str, *, stamps: tuple[Stamp, ...], content_type: str, daily: bool = False) -> None:
    entry = Entry(tuple(stamps), content_type, daily)
    _exact[path] = entry
    _families.update((stamp.name, stamp) for stamp in entry.stamps)


def watched(stamp: Stamp) -> bool:
    """Whether this module marks every bump of `stamp` (dirty mark before the commit, version after): it does for
    the stamps of the registered files (`register`, called from the apps' `ready()`, so in every process), and only
    for them."""
    return _families.get(stamp.name) is stamp


def register_pattern(
    prefix: str, suffix: str, *, stamps: tuple[Stamp, ...], content_type: str, daily: bool = False
) -> None:
    """Every path `prefix` + one segment (no "/") + `suffix`, e.g. /api/v3/startups/<id>.json."""
    entry = Entry(tuple(stamps), content_type, daily)
    _patterns.append((prefix, suffix, entry))
    _families.update((stamp.name, stamp) for stamp in entry.stamps)


def entry_for(path: str) -> Entry | None:
    entry = _exact.get(path)
    if entry is None:
        for prefix, suffix, candidate in _patterns:
            if path.startswith(prefix) and path.endswith(suffix) and "/" not in path[len(prefix) : -len(suffix)]:
                return candidate
    return entry


_roots: dict[tuple, Path] = {}


def root() -> Path | None:
    """The directory of the current database's files: each database (a bench role, a copy) has its own, so that
    files and versions never outlive the database they were read from into another one."""
    value = getattr(settings, "PUBLISHED_ROOT", None)
    if not value:
        return None
    database = settings.DATABASES[DEFAULT_DB_ALIAS]
    key = (value, database["NAME"], database.get("HOST"), database.get("PORT"))
    base = _roots.get(key)
    if base is None:
        identity = repr((database["ENGINE"], str(database["NAME"]), database.get("HOST"), database.get("PORT")))
        base = _roots[key] = Path(value) / hashlib.sha256(identity.encode()).hexdigest()[:16]
    return base


# --- Versions: on disk (the middleware) and in the database (the views) ----------------------------------------

_day_cache: tuple[int, str] = (0, "")


def today() -> str:
    global _day_cache
    second = int(time.time())
    if _day_cache[0] != second:
        _day_cache = (second, f"{timezone.localdate():%Y%m%d}")
    return _day_cache[1]


def _stamp_dir(base: Path, name: str) -> Path:
    return base / "stamps" / name


# The (directory, stamp) pairs this process has checked against the database (`_settle`): until then it trusts no
# version on disk, so a database replaced while the server was stopped (restored, reseeded) is read at least once.
# (The value is the directory's path as a string: the hit path builds no Path.)
_checked: dict[tuple[Path, str], str] = {}


# A stamp directory's last reading: (its mtime_ns, the version or None when dirty or unpublished). Reused while the
# mtime is the same and the reading was taken more than RACY_NS after it: any later entry added or removed then
# moves the mtime, even with a coarse clock (the same rule as git's "racy" index entries).
_readings: dict[str, tuple[int, str | None]] = {}
RACY_NS = 1_000_000_000


def _read_stamp_dir(directory: str) -> str | None:
    now = time.time_ns()  # before the stat: every change after the stat then gets a later mtime
    try:
        mtime = os.stat(directory).st_mtime_ns
    except FileNotFoundError:
        return None
    reading = _readings.get(directory)
    if reading is not None and reading[0] == mtime:
        return reading[1]
    found = None
    try:
        with os.scandir(directory) as entries:
            for item in entries:
                name = item.name
                if name.startswith("dirty-") or (found is not None and name.startswith("version-")):
                    found = None
                    break
                if name.startswith("version-"):
                    found = name[8:]
    except FileNotFoundError:
        return None
    if now - mtime > RACY_NS:
        _readings[directory] = (mtime, found)
    return found


def disk_versions(base: Path, entry: Entry) -> tuple[str, ...] | None:
    """The published versions of the entry's stamps, or None when one is dirty or unpublished (a stat each, and a
    scandir when the directory changed)."""
    versions = []
    for stamp in entry.stamps:
        directory = _checked.get((base, stamp.name))
        if directory is None:
            return None
        found = _read_stamp_dir(directory)
        if found is None:
            return None
        versions.append(found)
    if entry.daily:
        versions.append(today())
    return tuple(versions)


def db_versions(entry: Entry) -> tuple[str, ...]:
    """The entry's versions as the database has them (publishing them on disk when nothing is pending)."""
    base = root()
    in_transaction = connections[DEFAULT_DB_ALIAS].in_atomic_block
    versions = []
    for stamp in entry.stamps:
        if base is None or in_transaction:
            versions.append(stamp.version())
        else:
            versions.append(_settle(base, stamp))
    if entry.daily:
        versions.append(today())
    return tuple(versions)


@contextlib.contextmanager
def _locked(base: Path, name: str) -> Iterator[Path]:
    directory = _stamp_dir(base, name)
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(base / "stamps" / f"{name}.lock", os.O_CREAT | os.O_RDWR, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield directory
    finally:
        os.close(fd)  # releases the lock


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _settle(base: Path, stamp: Stamp, mark: Path | None = None) -> str:
    """Under the stamp's lock: remove `mark` and the marks whose transaction is over for sure (dead process, too
    old), then publish the version the database has now (read under the lock). Returns that version."""
    with _locked(base, stamp.name) as directory:
        version = stamp.version()
        if mark is not None:
            mark.unlink(missing_ok=True)
        current = []
        now = time.time()
        for item in os.scandir(directory):
            if item.name.startswith("version-"):
                current.append(item.name)
            elif item.name.startswith("dirty-"):
                pid = item.name.rsplit("-", 1)[-1]
                try:
                    stale = not _alive(int(pid)) or now - item.stat().st_mtime > DIRTY_TIMEOUT
                except (ValueError, FileNotFoundError):
                    stale = True
                if stale:
                    (directory / item.name).unlink(missing_ok=True)
        if current != [f"version-{version}"]:
            (directory / f"version-{version}").touch()
            for name in current:
                if name != f"version-{version}":
                    (directory / name).unlink(missing_ok=True)
        _checked[base, stamp.name] = str(directory)
        return version


# --- Marks: set by a bump, cleared once its transaction is over ------------------------------------------------


@dataclass
class _Pending:
    stamp: Stamp
    mark: Path
    base: Path
    outer: object | None  # the outermost atomic block the bump ran in
    done: bool = False


_local = threading.local()
_all_pending: list[_Pending] = []  # every thread's, for the exit
_all_lock = threading.Lock()


def _own() -> list[_Pending]:
    if not hasattr(_local, "pending"):
        _local.pending = []
    return _local.pending


def _committed(pending: _Pending) -> None:
    _settle(pending.base, pending.stamp, pending.mark)
    pending.done = True


def settle_own() -> None:
    """Clear this thread's marks whose transaction is over (committed with a failed hook, or rolled back): called
    by the thread itself, so none of them can be committing right now."""
    pending = getattr(_local, "pending", None)
    if not pending:
        return
    blocks = connections[DEFAULT_DB_ALIAS].atomic_blocks
    outer = blocks[0] if blocks else None
    for item in list(pending):
        if not item.done and (item.outer is None or item.outer is not outer):
            with contextlib.suppress(OSError):
                _committed(item)
        if item.done:
            pending.remove(item)
            with _all_lock:
                _all_pending.remove(item)


def _on_bump(stamp: Stamp, version: str) -> None:
    base = root()
    if base is None or stamp.name not in _families:
        return
    settle_own()
    directory = _stamp_dir(base, stamp.name)
    directory.mkdir(parents=True, exist_ok=True)
    mark = directory / f"dirty-{version}-{os.getpid()}"
    mark.touch()
    connection = connections[DEFAULT_DB_ALIAS]
    pending = _Pending(stamp, mark, base, connection.atomic_blocks[0] if connection.in_atomic_block else None)
    _own().append(pending)
    with _all_lock:
        _all_pending.append(pending)
    transaction.on_commit(partial(_committed, pending))


BUMP_LISTENERS.append(_on_bump)
request_finished.connect(lambda **kwargs: settle_own(), weak=False, dispatch_uid="published-settle-own")


@atexit.register
def _at_exit() -> None:
    # The process's transactions are over: publish what they committed, drop what they rolled back.
    with _all_lock:
        left = [item for item in _all_pending if not item.done]
    for item in left:
        with contextlib.suppress(Exception):
            _committed(item)


# --- Files -----------------------------------------------------------------------------------------------------


def _file_path(base: Path, path: str) -> Path:
    return base / "files" / hashlib.sha256(path.encode()).hexdigest()[:40]


def _read(base: Path, path: str) -> File | None:
    try:
        data = _file_path(base, path).read_bytes()
    except FileNotFoundError:
        return None
    header, _, body = data.partition(b"\n")
    meta = json.loads(header)
    if meta["path"] != path:
        return None
    size = meta["plain"]
    return File(
        tuple(meta["versions"]),
        meta["etag"],
        meta["last_modified"],
        meta["content_type"],
        body[:size],
        body[size:],
    )


def _write(base: Path, path: str, file: File) -> None:
    target = _file_path(base, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    header = {
        "path": path,
        "versions": list(file.versions),
        "etag": file.etag,
        "last_modified": file.last_modified,
        "content_type": file.content_type,
        "plain": len(file.plain),
    }
    temporary = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_bytes(json.dumps(header).encode() + b"\n" + file.plain + file.gzipped)
    os.replace(temporary, target)  # atomic: a reader sees the old file or the new one


def fresh(path: str, entry: Entry) -> File | None:
    """The file of `path` if the disk says it is current (no query), else None."""
    base = root()
    if base is None:
        return None
    versions = disk_versions(base, entry)
    if versions is None:
        return None
    file = _memo.get(path)
    if file is not None and file.versions == versions:
        return file
    try:
        file = _read(base, path)
    except (OSError, ValueError, KeyError):
        return None
    if file is None or file.versions != versions:
        return None
    _memo[path] = file
    return file


def store(path: str, file: File) -> None:
    """Keep `file` in this process and write it for the middleware (once per path and versions)."""
    known = _memo.get(path)
    if known is not None and known.versions == file.versions and known.etag == file.etag:
        return
    _memo[path] = file
    base = root()
    if base is not None:
        with contextlib.suppress(OSError):  # a file not written is served by the view: slower, never stale
            _write(base, path, file)


def make(previous: File | None, versions: tuple[str, ...], content: bytes, content_type: str) -> File:
    """A file whose ETag hashes its content and whose Last-Modified moves only when the content changes (and then
    past the previous one's, even within the same second: If-Modified-Since must see the change)."""
    etag = f'W/"{hashlib.sha256(content).hexdigest()[:32]}"'
    if previous is not None and previous.etag == etag:
        last_modified = previous.last_modified
    else:
        last_modified = max(int(time.time()), previous.last_modified + 1 if previous else 0)
    return File(versions, etag, last_modified, content_type, content, gzip.compress(content, compresslevel=9, mtime=0))


def serve(request: HttpRequest, *, build: Callable[[], bytes], path: str | None = None) -> HttpResponse:
    """The view's answer for a registered path: the file of the database's current versions, built if needed."""
    path = path or request.path_info
    entry = entry_for(path)
    if entry is None:
        raise LookupError(f"{path} is not a published file")
    versions = db_versions(entry)
    file = _memo.get(path)
    if file is None or file.versions != versions:
        base = root()
        on_disk = None
        if base is not None:
            with contextlib.suppress(OSError, ValueError, KeyError):
                on_disk = _read(base, path)
        if on_disk is not None and on_disk.versions == versions:
            file = on_disk
        else:
            file = make(file or on_disk, versions, build(), entry.content_type)
        store(path, file)
    return respond(request, file)


# --- Responses -------------------------------------------------------------------------------------------------


def accepts_gzip(request: HttpRequest) -> bool:
    """Whether Accept-Encoding allows gzip (with a q-value above 0, or through `*`)."""
    header = request.META.get("HTTP_ACCEPT_ENCODING", "")
    if not header:
        return False
    codings = {}
    for part in header.split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding:
            codings[coding.lower()] = q
    return codings.get("gzip", codings.get("x-gzip", codings.get("*", 0.0))) > 0


_http_date = functools.lru_cache(maxsize=1024)(http_date)
CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")


def headers(response: HttpResponse, *, etag: str, last_modified: int) -> HttpResponse:
    response["ETag"] = etag
    response["Last-Modified"] = _http_date(last_modified)
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["Vary"] = "Accept-Encoding"
    # Public data, read by browsers from other sites (as beta.gouv.fr's files are).
    response["Access-Control-Allow-Origin"] = "*"
    return response


def respond(request: HttpRequest, file: File) -> HttpResponse:
    meta = request.META
    if any(name in meta for name in CONDITIONAL_HEADERS):
        conditional = get_conditional_response(request, etag=file.etag, last_modified=file.last_modified)
        if conditional is not None:
            if conditional.status_code == 304:
                return headers(conditional, etag=file.etag, last_modified=file.last_modified)
            return conditional
    gzipped = accepts_gzip(request)
    content = file.gzipped if gzipped else file.plain
    response = HttpResponse(b"" if request.method == "HEAD" else content, content_type=file.content_type)
    if gzipped:
        response["Content-Encoding"] = "gzip"
    response["Content-Length"] = str(len(content))
    return headers(response, etag=file.etag, last_modified=file.last_modified)


class PublishedFilesMiddleware:
    """Answers a GET or HEAD of a registered path from memory or disk when fresh (no query, no session, no CSRF);
    falls through to the view otherwise. After SecurityMiddleware, whose headers it keeps."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            entry = entry_for(request.path_info)
            if entry is not None:
                file = fresh(request.path_info, entry)
                if file is not None:
                    return respond(request, file)
        return self.get_response(request)
