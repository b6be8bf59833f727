"""Backup and restore of the whole database: `manage.py backup FILE` and `manage.py restore FILE`.

SQLite: SQLite's online backup API (`sqlite3.Connection.backup`), which copies a consistent snapshot while the site
keeps running (what is still in the WAL included); the copy is a single self-contained file. PostgreSQL: `pg_dump
-Fc` run on a snapshot exported by our own transaction (the row counts printed are those of the dump), restored
with `pg_restore --clean --if-exists --no-owner` in one transaction, given up (cancelled) when it waits too long
for a lock held by a process left running. Connection settings reach pg_dump and pg_restore through libpq's
environment variables (`PGPASSWORD`…), never on their command line.

A backup is written to `FILE.tmp`, readable by its owner only (it holds personal data), then renamed: FILE is
either the previous backup or the new one, never half of one. A restore checks the file (its kind, its integrity)
before it writes anything, and refuses to replace a database that holds data unless told to.

`core` names no domain app here: every model of the project is counted the same way.
"""

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor

from incubateur.core.text import plural, quantity

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"  # pg_dump's custom format (-Fc)

# Filled by `migrate` itself: a freshly migrated database has these rows and is still "empty".
_FILLED_BY_MIGRATE = {"contenttypes.contenttype", "auth.permission"}

# How long (seconds) a restore on PostgreSQL may wait for a lock held by another connection (a site left running)
# before it gives up, changing nothing. The dump sets `lock_timeout = 0` itself, so we watch pg_restore from outside.
PG_RESTORE_LOCK_TIMEOUT = 30.0

# The SQLite → PostgreSQL upgrade path (README, "Sauvegarde et restauration"): what to leave out of `dumpdata`.
# Content types and permissions are created again by `migrate` (natural keys point at them); log entries of the
# admin, sessions, task results and worker heartbeats are transient (a pending notification is an outbox row,
# re-queued by the worker's sweep). No `--natural-primary`: primary keys are kept, because the journal refers to
# objects (accounts included) by primary key, and renumbered accounts would make it point at the wrong person.
UPGRADE_DUMPDATA_ARGS = (
    "--natural-foreign",
    "-e",
    "contenttypes",
    "-e",
    "auth.permission",
    "-e",
    "admin.logentry",
    "-e",
    "sessions",
    "-e",
    "django_tasks_database",
    "-e",
    "core.workerheartbeat",
)
# The models these exclusions leave out (tests/core/test_backup.py compares the counts of all the others).
UPGRADE_EXCLUDED = {
    "contenttypes.contenttype",
    "auth.permission",
    "admin.logentry",
    "sessions.session",
    "django_tasks_database.dbtaskresult",
    "core.workerheartbeat",
}


class BackupError(Exception):
    """A backup or restore that could not be done, with a message for the person at the terminal."""


class DatabaseNotEmpty(BackupError):
    """A restore would replace data, and was not told to (`--yes`)."""


@dataclass
class Report:
    path: Path
    engine: str  # "SQLite" or "PostgreSQL"
    size: int
    counts: dict[str, int]  # model label (lower case) → rows
    warnings: list[str] = field(default_factory=list)


# --- What is in a database ------------------------------------------------------------------------


def concrete_models():
    """Every table of the project's models, many-to-many tables included, once each."""
    seen, models = set(), []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed or model._meta.db_table in seen:
            continue
        seen.add(model._meta.db_table)
        models.append(model)
    return models


def _counts(cursor, existing: set[str]) -> dict[str, int]:
    """Rows per model whose table exists (a DB-API cursor: Django's or sqlite3's)."""
    counts = {}
    for model in concrete_models():
        table = model._meta.db_table
        if table in existing:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # Django's table names: no quote inside
            counts[model._meta.label_lower] = cursor.fetchone()[0]
    return counts


def database_counts(using: str = "default") -> dict[str, int]:
    """Rows per model in the configured database (tables not created yet are left out)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        return _counts(cursor, set(connection.introspection.table_names(cursor)))


def _sqlite_file_counts(db: sqlite3.Connection) -> dict[str, int]:
    existing = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return _counts(db.cursor(), existing)


def holds_data(counts: dict[str, int]) -> bool:
    return any(rows for label, rows in counts.items() if label not in _FILLED_BY_MIGRATE)


def describe(counts: dict[str, int], *, largest: int = 5) -> list[str]:
    """A few lines for the terminal: the total, accounts and journal, then the largest other tables."""
    total = sum(counts.values())
    lines = [f"{quantity(total, 'ligne')} dans {quantity(len(counts), 'table')}, dont :"]
    first = ["accounts.user", "core.journalentry"]
    others = sorted(
        (label for label in counts if label not in first and counts[label]), key=lambda label: -counts[label]
    )
    for label in [*(label for label in first if label in counts), *others[:largest]]:
        lines.append(f"  {_verbose_name(label)} : {counts[label]}")
    return lines


def _verbose_name(label: str) -> str:
    model = apps.get_model(label)
    if model._meta.auto_created:
        return f"{model._meta.app_label}.{model._meta.model_name}"
    return f"{model._meta.verbose_name_plural} ({model._meta.app_label})"


def file_kind(path: Path) -> str | None:
    """What a file is, from its first bytes: "sqlite", "pg_dump" (custom format), "sql" (plain text) or None."""
    with open(path, "rb") as file:
        head = file.read(4096)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "pg_dump"
    if b"PostgreSQL database dump" in head:
        return "sql"
    return None


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} o"
    if size < 1_000_000:
        return f"{size / 1000:.1f} ko".replace(".", ",")
    return f"{size / 1_000_000:.1f} Mo".replace(".", ",")


def pending_migrations(using: str = "default") -> list[str]:
    """What a restored database lacks, or has beyond the code (a backup made by another version)."""
    executor = MigrationExecutor(connections[using])
    warnings = []
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        missing = quantity(len(plan), "migration")
        is_not = plural(len(plan), "n'est", "ne sont")
        warnings.append(f"{missing} du code {is_not} pas dans la sauvegarde : lancez `manage.py migrate`.")
    unknown = sorted(set(executor.loader.applied_migrations) - set(executor.loader.disk_migrations))
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        warnings.append(f"La sauvegarde vient d'une version plus récente du code (migrations inconnues : {names}).")
    return warnings


# --- Files ----------------------------------------------------------------------------------------


def _check_target(path: Path) -> Path:
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path} est un dossier : indiquez le nom du fichier de sauvegarde.")
    if not path.parent.is_dir():
        raise BackupError(f"Le dossier {path.parent} n'existe pas.")
    return path


def _remove(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _private_empty_file(path: Path) -> None:
    """Create `path` empty, readable and writable by its owner only, before anything writes into it."""
    _remove(path)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(tmp: Path, path: Path) -> None:
    _fsync(tmp)
    os.replace(tmp, path)
    with contextlib.suppress(OSError):  # not every file system lets a directory be fsynced
        _fsync(path.parent)


def _tmp_for(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


def _sqlite_sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-journal", "-wal", "-shm")]


# --- Entry points ---------------------------------------------------------------------------------


def backup(path: Path, *, using: str = "default") -> Report:
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackupError("Une sauvegarde se fait hors de toute transaction.")
    path = _check_target(path)
    if connection.vendor == "sqlite":
        return _sqlite_backup(connection, path)
    if connection.vendor == "postgresql":
        return _pg_backup(connection, path)
    raise BackupError(f"Base de données non prise en charge : {connection.vendor}.")


def restore(path: Path, *, using: str = "default", replace: bool = False) -> Report:
    """Replace the configured database's content with the backup's.

    Refuses (DatabaseNotEmpty) to replace a database that holds data unless `replace`; checks the file before it
    writes anything (BackupError).
    """
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackupError("Une restauration se fait hors de toute transaction.")
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"Fichier introuvable : {path}")
    kind = file_kind(path)
    engine = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(connection.vendor)
    if engine is None:
        raise BackupError(f"Base de données non prise en charge : {connection.vendor}.")
    expected = "sqlite" if connection.vendor == "sqlite" else "pg_dump"
    if kind != expected:
        raise BackupError(_wrong_kind_message(path, kind, engine))
    if connection.vendor == "sqlite":
        _sqlite_check_file(path)
    else:
        _pg_check_file(connection, path)

    counts = database_counts(using)
    if holds_data(counts) and not replace:
        users = counts.get("accounts.user", 0)
        raise DatabaseNotEmpty(
            f"La base de données configurée n'est pas vide ({quantity(users, 'compte')}, "
            f"{quantity(sum(counts.values()), 'ligne')} en tout) : la restauration remplacerait tout son contenu. "
            "Relancez avec --yes pour confirmer."
        )

    if connection.vendor == "sqlite":
        _sqlite_restore(connection, path)
    else:
        _pg_restore(connection, path)
    ContentType.objects.clear_cache()  # this process's cache holds the keys of the database that was replaced
    return Report(
        path=path,
        engine=engine,
        size=path.stat().st_size,
        counts=database_counts(using),
        warnings=pending_migrations(using),
    )


def _wrong_kind_message(path: Path, kind: str | None, engine: str) -> str:
    if kind == "sqlite":
        found = "une base SQLite"
    elif kind == "pg_dump":
        found = "une sauvegarde PostgreSQL (pg_dump)"
    elif kind == "sql":
        found = "une sauvegarde PostgreSQL au format texte (à restaurer avec psql, pas avec cette commande)"
    else:
        found = "un fichier qui n'est pas une sauvegarde reconnue"
    wanted = "une base SQLite" if engine == "SQLite" else "une sauvegarde de pg_dump au format personnalisé (-Fc)"
    return f"{path} est {found} ; la base configurée est {engine} et attend {wanted}. Rien n'a été modifié."


# --- SQLite ---------------------------------------------------------------------------------------


def _sqlite_backup(connection, path: Path) -> Report:
    tmp = _tmp_for(path)
    _remove(*_sqlite_sidecars(tmp))
    _private_empty_file(tmp)
    try:
        connection.ensure_connection()
        dest = sqlite3.connect(tmp)
        try:
            # One step (pages=-1): the whole database is read in one read transaction, a consistent snapshot,
            # whatever other processes write meanwhile.
            connection.connection.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file, no -wal beside it
            check = dest.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"La copie ne passe pas la vérification d'intégrité de SQLite : {check}")
            counts = _sqlite_file_counts(dest)
        finally:
            dest.close()
        _publish(tmp, path)
    except BaseException:
        _remove(tmp, *_sqlite_sidecars(tmp))
        raise
    return Report(path=path, engine="SQLite", size=path.stat().st_size, counts=counts)


def _sqlite_check_file(path: Path) -> None:
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            check = source.execute("PRAGMA quick_check").fetchone()[0]
            has_migrations = source.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
            ).fetchone()
        finally:
            source.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} n'est pas une base SQLite lisible ({error}). Rien n'a été modifié.") from error
    if check != "ok":
        raise BackupError(f"{path} est endommagé (vérification d'intégrité : {check}). Rien n'a été modifié.")
    if not has_migrations:
        raise BackupError(f"{path} est une base SQLite, mais pas une base de la plateforme. Rien n'a été modifié.")


def _sqlite_restore(connection, path: Path) -> None:
    # Start from a fresh connection (no transaction, no cached statement), opened with the configured options:
    # its busy timeout makes the copy wait for a writer, and the copy keeps the database in WAL mode.
    connections.close_all()
    connection.ensure_connection()
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    except sqlite3.Error as error:
        raise BackupError(f"La restauration a échoué ({error}) ; la base est restée telle quelle.") from error
    finally:
        source.close()
    connections.close_all()


# --- PostgreSQL -----------------------------------------------------------------------------------

# libpq reads these from the environment: the connection settings never appear on a command line.
_PG_SETTINGS_ENV = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD"}
_PG_OPTIONS_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
}


def pg_env(settings_dict: dict, *, base: dict | None = None) -> dict[str, str]:
    """The environment for pg_dump/pg_restore: the process's own, plus the Django connection's settings."""
    env = dict(os.environ if base is None else base)
    for key, variable in _PG_SETTINGS_ENV.items():
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    if settings_dict.get("NAME"):
        env["PGDATABASE"] = str(settings_dict["NAME"])
    for key, variable in _PG_OPTIONS_ENV.items():
        value = (settings_dict.get("OPTIONS") or {}).get(key)
        if value not in (None, ""):
            env[variable] = str(value)
    return env


def pg_dump_command(binary: str, tmp: Path, *, snapshot: str | None) -> list[str]:
    command = [binary, "--format=custom", f"--file={tmp}"]
    if snapshot:
        command.append(f"--snapshot={snapshot}")
    return command  # the database and its credentials come from the environment (pg_env)


def pg_restore_command(binary: str, path: Path, *, database: str) -> list[str]:
    return [
        binary,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-acl",
        "--single-transaction",  # all or nothing
        "--exit-on-error",
        f"--dbname={database}",  # a name, not a connection string: credentials stay in the environment
        str(path),
    ]


def pg_tool(name: str, *, server_version: int | None = None) -> str:
    """The path of a PostgreSQL client program, preferably of the server's major version.

    Looked up in $PG_BIN_DIR when it is set (and only there), else Debian's /usr/lib/postgresql/<major>/bin (the
    server's major version first, then newer ones: pg_dump refuses older servers only), `pg_config --bindir`, PATH.
    """
    if os.environ.get("PG_BIN_DIR"):
        candidate = Path(os.environ["PG_BIN_DIR"]) / name
        if os.access(candidate, os.X_OK):
            return str(candidate)
        raise BackupError(f"{name} introuvable dans PG_BIN_DIR ({os.environ['PG_BIN_DIR']}).")
    major = server_version // 10000 if server_version else 0
    versions = []
    for directory in Path("/usr/lib/postgresql").glob("*/bin"):
        if re.fullmatch(r"\d+", directory.parent.name) and int(directory.parent.name) >= major:
            versions.append((int(directory.parent.name) != major, int(directory.parent.name), directory))
    candidates = [directory / name for *_, directory in sorted(versions)]
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()) / name)
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return str(candidate)
    wanted = f" (version {major} ou plus récente)" if major else ""
    raise BackupError(
        f"{name} introuvable{wanted} : installez le client PostgreSQL (paquet postgresql-client) ou indiquez son "
        "dossier dans la variable d'environnement PG_BIN_DIR."
    )


def _run(command: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} a échoué (code {result.returncode}) : {result.stderr.strip()}")
    return result


def _pg_backup(connection, path: Path) -> Report:
    connection.ensure_connection()
    pg_dump = pg_tool("pg_dump", server_version=connection.pg_version)
    env = pg_env(connection.settings_dict)
    tmp = _tmp_for(path)
    _private_empty_file(tmp)
    try:
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                # pg_dump reads the snapshot of this transaction: the counts below are those of the dump.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            _run(pg_dump_command(pg_dump, tmp, snapshot=snapshot), env, "pg_dump")
            counts = database_counts(connection.alias)
        if file_kind(tmp) != "pg_dump":
            raise BackupError("pg_dump n'a pas écrit de sauvegarde au format personnalisé.")
        _publish(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    return Report(path=path, engine="PostgreSQL", size=path.stat().st_size, counts=counts)


def _pg_check_file(connection, path: Path) -> None:
    connection.ensure_connection()
    pg_restore = pg_tool("pg_restore", server_version=connection.pg_version)
    # Reads the whole table of contents without connecting: a truncated or damaged archive fails here.
    result = subprocess.run([pg_restore, "--list", str(path)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{path} est illisible ({result.stderr.strip()}). Rien n'a été modifié.")


def _pg_restore(connection, path: Path) -> None:
    pg_restore = pg_tool("pg_restore", server_version=connection.pg_version)
    env = pg_env(connection.settings_dict)
    env["PGAPPNAME"] = application = f"incubateur-restore-{os.getpid()}"
    database = connection.settings_dict["NAME"]
    connections.close_all()  # our own connections hold no lock on the tables pg_restore drops
    process = subprocess.Popen(
        pg_restore_command(pg_restore, path, database=database),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    waiting_since, blocked_by = None, ""
    try:
        while True:
            try:
                _, stderr = process.communicate(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                pass
            # Watch pg_restore's session: waiting for a lock too long → cancel it (its single transaction rolls back).
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid, pg_blocking_pids(pid) FROM pg_stat_activity "
                    "WHERE application_name = %s AND wait_event_type = 'Lock'",
                    [application],
                )
                waiting = cursor.fetchone()
                if waiting is None:
                    waiting_since = None
                elif waiting_since is None:
                    waiting_since = time.monotonic()
                elif time.monotonic() - waiting_since > PG_RESTORE_LOCK_TIMEOUT:
                    cursor.execute(
                        "SELECT string_agg(format('%%s (%%s, %%s)', pid, coalesce(nullif(application_name, ''), "
                        "client_addr::text, '?'), state), ', ') FROM pg_stat_activity WHERE pid = ANY(%s)",
                        [waiting[1]],
                    )
                    blocked_by = cursor.fetchone()[0] or "?"
                    cursor.execute("SELECT pg_cancel_backend(%s)", [waiting[0]])
                    waiting_since = float("inf")  # cancelled once; wait for pg_restore to exit
    except BaseException:
        process.kill()  # its transaction dies with its connection: nothing is changed
        process.wait()
        raise
    connection.close()
    if blocked_by:
        raise BackupError(
            f"La restauration attendait depuis plus de {PG_RESTORE_LOCK_TIMEOUT:g} s un verrou tenu par une autre "
            f"connexion à la base ({blocked_by}) : arrêtez le site et les workers, puis recommencez. Rien n'a été "
            "modifié."
        )
    if process.returncode != 0:
        raise BackupError(
            f"pg_restore a échoué (code {process.returncode}) : {stderr.strip()}. Rien n'a été modifié (la "
            "restauration se fait en une seule transaction)."
        )
