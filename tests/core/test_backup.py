"""Backup and restore (`manage.py backup` / `restore`, core/backup.py) on this run's own database — SQLite in memory
in the SQLite stage, the PostgreSQL test database in the PostgreSQL stage — and the SQLite → PostgreSQL upgrade
path (dumpdata from a SQLite database built in a subprocess, loaddata into the PostgreSQL test database).

Every test here is transactional: `restore` replaces the whole database, and pytest-django empties it afterwards."""

import json
import os
import sqlite3
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from incubateur.accounts.models import User
from incubateur.core import backup
from incubateur.core.models import JournalEntry, Notification
from incubateur.guichet import services as guichet
from incubateur.guichet.models import Ticket
from incubateur.registry.models import Product
from tests.factories import UserFactory
from tests.organisation.helpers import justice_product, load_organisation
from tests.registry.factories import team_member

transactional = pytest.mark.django_db(transaction=True)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (runs in the postgres stage of scripts/test.sh)",
)


def counts() -> dict[str, int]:
    """Rows of every model of the project."""
    return {model._meta.label_lower: model._base_manager.count() for model in apps.get_models()}


@pytest.fixture
def rows():
    """Rows across the apps: the organisation, the routing table and the programmes as `make run` loads them, a
    product with its team, and a guichet request (with its journal rows, notifications and queued tasks)."""
    load_organisation(routing=True)
    call_command("load_programmes", stdout=StringIO())
    product = justice_product()
    requester = team_member(product, username="camille.requerante", first_name="Camille")
    ticket = guichet.ticket_submit(
        requester=requester,
        kind="doute-produit",
        subject="Faut-il pivoter ?",
        body="Nos usagers ne reviennent pas.",
        product=product,
    )
    return SimpleNamespace(product=product, requester=requester, ticket=ticket)


def expected_kind() -> str:
    return "sqlite" if connection.vendor == "sqlite" else "pg_dump"


@transactional
def test_backup_then_restore_gives_back_every_row(tmp_path, rows):
    before = counts()
    assert before["guichet.ticket"] == 1 and before["core.notification"] >= 1 and before["accounts.user"] > 25
    path = tmp_path / "incubateur.sauvegarde"
    out = StringIO()

    call_command("backup", str(path), stdout=out)

    assert backup.file_kind(path) == expected_kind()
    assert not (tmp_path / "incubateur.sauvegarde.tmp").exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # personal data: its owner only
    printed = out.getvalue()
    assert f"comptes (accounts) : {before['accounts.user']}" in printed
    assert f"journal (core) : {before['core.journalentry']}" in printed
    total = sum(backup.database_counts().values())
    assert f"{total:,} lignes dans ".replace(",", "\u202f") in printed  # « 1 234 lignes », a narrow no-break space

    # After the backup: a row changed, rows deleted (cascading across apps), rows added.
    User.objects.filter(pk=rows.requester.pk).update(first_name="Changé")
    Ticket.objects.filter(pk=rows.ticket.pk).delete()
    Product.objects.filter(pk=rows.product.pk).delete()
    UserFactory(username="arrivee.apres-la-sauvegarde")
    Notification.objects.all().delete()
    assert counts() != before

    call_command("restore", str(path), "--yes", stdout=out)

    assert counts() == before
    assert User.objects.get(pk=rows.requester.pk).first_name == "Camille"
    assert Ticket.objects.get(pk=rows.ticket.pk).subject == "Faut-il pivoter ?"
    assert not User.objects.filter(username="arrivee.apres-la-sauvegarde").exists()
    # The sequences came back with the rows: a new row gets a key of its own.
    newcomer = UserFactory(username="arrivee.apres-la-restauration")
    assert newcomer.pk > max(User.objects.exclude(pk=newcomer.pk).values_list("pk", flat=True))
    assert "restaurée" in out.getvalue()


@transactional
def test_backup_replaces_an_older_backup_in_one_step(tmp_path, rows):
    path = tmp_path / "incubateur.sauvegarde"
    call_command("backup", str(path), stdout=StringIO())
    first = path.read_bytes()
    UserFactory.create_batch(30)

    call_command("backup", str(path), stdout=StringIO())

    assert path.read_bytes() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incubateur.sauvegarde"]


@transactional
def test_backup_into_a_missing_folder_fails_and_writes_nothing(tmp_path):
    with pytest.raises(CommandError, match="n'existe pas"):
        call_command("backup", str(tmp_path / "absent" / "incubateur.sauvegarde"), stdout=StringIO())
    with pytest.raises(CommandError, match="est un dossier"):
        call_command("backup", str(tmp_path), stdout=StringIO())
    assert list(tmp_path.iterdir()) == []


@transactional
def test_restore_refuses_to_replace_data_without_yes(tmp_path, rows):
    path = tmp_path / "incubateur.sauvegarde"
    call_command("backup", str(path), stdout=StringIO())
    UserFactory(username="arrivee.apres-la-sauvegarde")
    before = counts()

    with pytest.raises(CommandError, match=r"n'est pas vide .* Relancez avec --yes pour confirmer"):
        call_command("restore", str(path), stdout=StringIO())

    assert counts() == before
    assert User.objects.filter(username="arrivee.apres-la-sauvegarde").exists()


@transactional
def test_restore_into_an_empty_database_needs_no_confirmation(tmp_path, rows):
    before = counts()
    path = tmp_path / "incubateur.sauvegarde"
    call_command("backup", str(path), stdout=StringIO())
    call_command("flush", "--no-input")  # as after `migrate` on a new server: content types and permissions only
    assert not backup.holds_data(backup.database_counts())

    call_command("restore", str(path), stdout=StringIO())

    assert counts() == before
    # Content types came back with the backup's keys: the journal still finds what it is about.
    assert JournalEntry.objects.about(rows.ticket).exists()


@transactional
def test_restore_refuses_a_backup_of_the_other_database(tmp_path, rows):
    if connection.vendor == "sqlite":
        other = tmp_path / "incubateur.dump"
        other.write_bytes(b"PGDMP\x01\x0e\x00\x04\x08\x01\x01\x01" + bytes(200))  # how pg_dump -Fc begins
        message = r"est une sauvegarde PostgreSQL \(pg_dump\) ; la base configurée est SQLite"
    else:
        other = tmp_path / "incubateur.sqlite3"
        db = sqlite3.connect(other)
        db.execute("CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app TEXT, name TEXT)")
        db.commit()
        db.close()
        message = "est une base SQLite ; la base configurée est PostgreSQL"
    text = tmp_path / "notes.txt"
    text.write_text("Ceci n'est pas une sauvegarde.\n")
    before = counts()

    with pytest.raises(CommandError, match=message):
        call_command("restore", str(other), "--yes", stdout=StringIO())
    with pytest.raises(CommandError, match="n'est pas une sauvegarde reconnue"):
        call_command("restore", str(text), "--yes", stdout=StringIO())
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("restore", str(tmp_path / "absente"), "--yes", stdout=StringIO())

    assert counts() == before


@transactional
def test_restore_of_a_truncated_backup_changes_nothing(tmp_path, rows):
    path = tmp_path / "incubateur.sauvegarde"
    call_command("backup", str(path), stdout=StringIO())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a copy interrupted halfway
    UserFactory(username="arrivee.apres-la-sauvegarde")
    before = counts()

    with pytest.raises(CommandError, match="Rien n'a été modifié"):
        call_command("restore", str(path), "--yes", stdout=StringIO())

    assert counts() == before
    assert User.objects.filter(username="arrivee.apres-la-sauvegarde").exists()


@transactional
def test_restore_says_when_the_backup_and_the_code_disagree_on_migrations(tmp_path, rows):
    """A backup made by another version of the code: one migration of ours missing, one it does not know."""
    recorder = MigrationRecorder(connection)
    last = max(name for app, name in recorder.applied_migrations() if app == "core")

    def back_to_the_code():
        recorder.record_applied("core", last)
        recorder.record_unapplied("core", "9999_du_futur")

    path = tmp_path / "incubateur.sauvegarde"
    recorder.record_unapplied("core", last)
    recorder.record_applied("core", "9999_du_futur")
    try:
        call_command("backup", str(path), stdout=StringIO())
    finally:
        back_to_the_code()
    err = StringIO()
    try:
        call_command("restore", str(path), "--yes", stdout=StringIO(), stderr=err)
        assert ("core", last) not in recorder.applied_migrations()  # the backup's own record came back
    finally:
        back_to_the_code()

    assert "1 migration du code n'est pas dans la sauvegarde : lancez `manage.py migrate`." in err.getvalue()
    assert "version plus récente du code (migrations inconnues : core.9999_du_futur)" in err.getvalue()


@postgresql_only
@transactional
def test_restore_blocked_by_a_lock_gives_up_and_changes_nothing(tmp_path, rows, monkeypatch):
    """A site left running holds a lock on a table: pg_restore gives up after the lock timeout and its single
    transaction leaves every table as it was (the ones it had already dropped included)."""
    path = tmp_path / "incubateur.sauvegarde"
    call_command("backup", str(path), stdout=StringIO())
    UserFactory(username="arrivee.apres-la-sauvegarde")
    before = counts()
    monkeypatch.setattr(backup, "PG_RESTORE_LOCK_TIMEOUT", 0.5)
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.execute("SELECT COUNT(*) FROM accounts_user")  # opens a transaction holding a lock on the table

        with pytest.raises(CommandError, match=r"plus de 0.5 s un verrou .* Rien n.a été modifié"):
            call_command("restore", str(path), "--yes", stdout=StringIO())
    finally:
        other.rollback()
        other.close()

    assert counts() == before


def test_postgresql_credentials_stay_off_the_command_line(tmp_path):
    settings_dict = {
        "NAME": "incubateur",
        "USER": "incubateur",
        "PASSWORD": "mot-de-passe-secret",
        "HOST": "db.example.org",
        "PORT": 5433,
        "OPTIONS": {"sslmode": "verify-full", "connect_timeout": 3, "pool": {"min_size": 1}},
    }
    env = backup.pg_env(settings_dict, base={"PATH": "/usr/bin"})
    commands = [
        backup.pg_dump_command("pg_dump", tmp_path / "f.tmp", snapshot="00000003-00000002-1"),
        backup.pg_restore_command("pg_restore", tmp_path / "f", database=settings_dict["NAME"]),
    ]

    assert env == {
        "PATH": "/usr/bin",
        "PGDATABASE": "incubateur",
        "PGUSER": "incubateur",
        "PGPASSWORD": "mot-de-passe-secret",
        "PGHOST": "db.example.org",
        "PGPORT": "5433",
        "PGSSLMODE": "verify-full",
        "PGCONNECT_TIMEOUT": "3",
    }
    for command in commands:
        assert not any("mot-de-passe-secret" in arg or "db.example.org" in arg for arg in command)


def test_readme_gives_the_tested_upgrade_commands():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    assert f"manage.py dumpdata {' '.join(backup.UPGRADE_DUMPDATA_ARGS)} -o " in readme


# --- The upgrade path: SQLite → PostgreSQL --------------------------------------------------------

# Run in a subprocess on a new SQLite database: migrate, load what `make run` loads, then rows whose keys matter
# (an account deleted, so the keys have a gap; a journal row about the account after it), then dumpdata as the
# README says. Prints the rows of every model.
BUILD_SQLITE_AND_DUMP = """
import json, sys
from io import StringIO
import django
django.setup()
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from incubateur.accounts.models import User
from incubateur.core import backup, journal

call_command("migrate", verbosity=0)
call_command("createcachetable")
call_command("load_organisation", stdout=StringIO())
call_command("load_routing", stdout=StringIO())
gone = User.objects.create_user("parti@beta.gouv.fr")
kept = User.objects.create_user("reste.la@beta.gouv.fr", username="reste.la")
gone.delete()
with transaction.atomic():
    journal.record(actor=kept, action="test.upgrade", message="Au sujet d'un compte", visibility="internal", obj=kept)
call_command("dumpdata", *backup.UPGRADE_DUMPDATA_ARGS, "-o", sys.argv[1], verbosity=0)
print(json.dumps({model._meta.label_lower: model._base_manager.count() for model in apps.get_models()}))
"""


@postgresql_only
@transactional
def test_upgrade_from_sqlite_to_postgresql_with_dumpdata_and_loaddata(tmp_path):
    dump = tmp_path / "incubateur.json"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    built = subprocess.run(
        [sys.executable, "-c", BUILD_SQLITE_AND_DUMP, str(dump)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    source = json.loads(built.stdout.strip().splitlines()[-1])
    assert source["accounts.user"] > 30 and source["organisation.position"] > 30 and source["guichet.routingrule"]

    # The target: this run's PostgreSQL test database, migrated and empty (as after `migrate` on a new server).
    assert connection.vendor == "postgresql" and connection.settings_dict["NAME"].startswith("test_")
    assert not backup.holds_data(backup.database_counts())
    call_command("loaddata", str(dump), stdout=StringIO())

    target = counts()
    assert {label: rows for label, rows in target.items() if label not in backup.UPGRADE_EXCLUDED} == {
        label: rows for label, rows in source.items() if label not in backup.UPGRADE_EXCLUDED
    }
    # Keys are kept: the journal's reference to an account (by primary key) is still the same person.
    entry = JournalEntry.objects.get(action="test.upgrade")
    assert User.objects.get(pk=int(entry.object_id)).email == "reste.la@beta.gouv.fr"
    assert entry.actor.email == "reste.la@beta.gouv.fr"
    # loaddata moved the sequences past the loaded keys: new rows can be written.
    assert UserFactory(username="premier.compte-postgresql").pk > User.objects.get(username="reste.la").pk
