"""Writing a tree that was read without error: upserts by identifier, comparing with the rows read in memory,
bulk writes only, accounts planned (reads only) before anything is written. The caller holds the transaction."""

import decimal
import functools
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connections, models, router

from incubateur.accounts.models import normalize_email
from incubateur.core.text import plural, quantity
from incubateur.registry import cache
from incubateur.registry.content.kinds import KIND, KINDS, Kind
from incubateur.registry.content.problems import ImportRefused, Problem
from incubateur.registry.content.tree import Progress, Tree
from incubateur.registry.enums import ReviewState
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

ORGANISATION_FIELDS = ["name", "acronym", "domaine_ministeriel", "type", "extra"]
INCUBATOR_FIELDS = [
    "title",
    "short_description",
    "description",
    "owner_id",
    "contact",
    "address",
    "website",
    "github",
    "logo",
    "highlighted_products",
    "extra",
]
PRODUCT_FIELDS = [
    "name",
    "pitch",
    "description",
    "contact",
    "link",
    "repository",
    "stats",
    "stats_url",
    "budget_url",
    "impact_url",
    "dashlord_url",
    "accessibility_status",
    "analyse_risques",
    "analyse_risques_url",
    "mon_service_securise",
    "thematiques",
    "usertypes",
    "techno",
    "contact_dinum",
    "contact_incubator",
    "fast_promotion",
    "fast_amount",
    "redirect_from",
    "extra",
]
TEAM_FIELDS = ["name", "mission", "incubator_id", "extra"]
MEMBER_FIELDS = [
    "fullname",
    "role",
    "domaine",
    "bio",
    "link",
    "github",
    "avatar",
    "competences",
    "member_type",
    "extra",
    "user_id",
]


@dataclass
class Report:
    content: Path
    files: Counter = field(default_factory=Counter)
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    absent: Counter = field(default_factory=Counter)
    accounts_created: int = 0
    accounts_linked: int = 0
    warnings: list[Problem] = field(default_factory=list)
    more_lines: list[str] = field(default_factory=list)  # what the import hooks did
    conflicts: list = field(default_factory=list)  # merge.Conflict: both sides changed a field, ours kept
    kept: int = 0  # files where some edit of the platform was kept over the tree's (merge)
    changed_files: int = 0  # files new or changed since the previous import
    removed_files: int = 0  # files the previous import read that are gone

    def warnings_of(self, kind: Kind) -> int:
        return sum(1 for p in self.warnings if p.file.startswith(f"{kind.folder}/"))

    def lines(self) -> list[str]:
        out = []
        for kind in KINDS:
            n = kind.name
            line = (
                f"{kind.label} : {kind.agree(self.created[n], 'créé')}, {kind.agree(self.updated[n], 'modifié')}, "
                f"{kind.agree(self.unchanged[n], 'inchangé')}, {quantity(self.warnings_of(kind), 'avertissement')}"
            )
            if absent := self.absent[n]:
                left, as_is = ("laissée", "telle quelle") if kind.feminine else ("laissé", "tel quel")
                line += (
                    f" ; {kind.agree(absent, 'absent')} de l'arborescence, "
                    f"{plural(absent, left)} {plural(absent, as_is, as_is.replace(' ', 's ') + 's')}"
                )
            out.append(line)
        out.append(
            f"comptes : {quantity(self.accounts_created, 'créé')}, "
            f"{quantity(self.accounts_linked, 'existant')} {plural(self.accounts_linked, 'relié')}"
        )
        if self.kept or self.conflicts:
            out.append(
                f"modifications de la plateforme gardées : {quantity(self.kept, 'fichier')}, "
                f"{quantity(len(self.conflicts), 'conflit')}"
            )
        return out + self.more_lines

    def summary(self) -> dict:
        return {
            "source": str(self.content),
            "files": dict(self.files),
            "created": dict(self.created),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
            "absent": dict(self.absent),
            "accounts_created": self.accounts_created,
            "accounts_linked": self.accounts_linked,
            "warnings": len(self.warnings),
            "changed_files": self.changed_files,
            "removed_files": self.removed_files,
            "kept": self.kept,
            "conflicts": [c.as_dict() for c in self.conflicts],
        }


def _chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def insert_rows(model, rows: list[dict]) -> None:
    """INSERT rows (dicts of attnames → values, all with the same keys; other fields get their default) with
    `executemany`.

    What `bulk_create` does, without a model instance and a compiled statement per row (the bulk of an import's
    time): the statement is built once, defaults are prepared once, values go to the driver as they are, except
    those a backend may need converted (dates, JSON), which their field prepares. Like `bulk_create`, no signal.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    given = [f for f in fields if f.attname in rows[0]]
    defaults = [f.get_db_prep_save(f.get_default(), connection) for f in fields if f.attname not in rows[0]]
    columns = [*given, *(f for f in fields if f.attname not in rows[0])]
    names = [f.attname for f in given]
    convert = []
    for i, f in enumerate(given):
        if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField):
            convert.append((i, connection.ops.adapt_datefield_value))
        elif isinstance(f, models.JSONField | models.DateTimeField):
            convert.append((i, functools.partial(f.get_db_prep_save, connection=connection)))
    params = []
    for row in rows:
        values = [row[name] for name in names]
        for i, adapt in convert:
            values[i] = adapt(values[i])
        params.append(values + defaults)
    quote = connection.ops.quote_name
    into = f"{quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in columns)})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one stream instead of a statement per row (psycopg adapts the values as for a query).
            with cursor.cursor.copy(f"COPY {into} FROM STDIN") as copy:
                for values in params:
                    copy.write_row(values)
        else:
            cursor.executemany(f"INSERT INTO {into} VALUES ({', '.join(['%s'] * len(columns))})", params)


def _as_stored(value, vendor: str):
    """A JSON value as the database gives it back. PostgreSQL's jsonb keeps a number as a `numeric`, written without
    an exponent: a float that JSON writes with one (`1e+300`, any float from 1e16 up) comes back as an int."""
    if vendor != "postgresql":
        return value
    if isinstance(value, float):
        text = repr(value)
        return int(decimal.Decimal(text)) if "e+" in text else value
    if isinstance(value, dict):
        return {k: _as_stored(v, vendor) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_stored(v, vendor) for v in value]
    return value


def _same_json(a, b) -> bool:
    """Equal JSON values, of the same types all the way down (`true` is not `1`, `1` is not `1.0`)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@dataclass
class _Upserted:
    pks: dict[str, int]  # identifier → pk, for every record
    created: set[str]
    updated: set[str]  # own fields changed


class _Writer:
    def __init__(self, report: Report):
        self.report = report
        self.wrote = False

    def upsert(self, model, kind: str, key: str, records: dict[str, dict], fields: list[str]) -> _Upserted:
        """Create or update one row per record (matched on `key`), comparing with the rows read in memory."""
        existing = {row[0]: row[1:] for row in model.objects.order_by().values_list(key, "pk", *fields)}
        json_fields = {name for name in fields if isinstance(model._meta.get_field(name), models.JSONField)}
        vendor = connections[router.db_for_write(model)].vendor

        def same(name, old, new) -> bool:  # what is stored already, and what the import would store
            return _same_json(old, _as_stored(new, vendor)) if name in json_fields else old == new

        creates, updates, changed_fields = [], [], set()
        done = _Upserted({}, set(), set())
        for ident, values in records.items():
            row = existing.get(ident)
            if row is None:
                creates.append({key: ident, **values})
                done.created.add(ident)
                continue
            pk, current = row[0], row[1:]
            done.pks[ident] = pk
            diff = {name for name, old in zip(fields, current, strict=True) if not same(name, old, values[name])}
            if diff:
                updates.append(model(pk=pk, **values))
                done.updated.add(ident)
                changed_fields |= diff
        if creates:
            insert_rows(model, creates)
            created = {row[key] for row in creates}
            for ident, pk in model.objects.order_by().values_list(key, "pk"):
                if ident in created:
                    done.pks[ident] = pk
        if updates:
            model.objects.bulk_update(updates, sorted(changed_fields), batch_size=200)
        self.wrote |= bool(creates or updates)
        self.report.absent[kind] += len(existing.keys() - records.keys())
        return done

    def count(self, kind: str, done: _Upserted, changed_parents: set[int] = frozenset()) -> None:
        """Created, updated (own fields, or lists: phases, missions…), unchanged."""
        updated = done.updated | {
            ident for ident, pk in done.pks.items() if pk in changed_parents and ident not in done.created
        }
        self.report.created[kind] += len(done.created)
        self.report.updated[kind] += len(updated)
        self.report.unchanged[kind] += len(done.pks) - len(done.created) - len(updated)

    def sync(
        self,
        model,
        parents: set,
        keys: tuple,
        values: tuple,
        desired: dict[tuple, tuple],
        *,
        replace=False,
        keep=None,
    ):
        """Make the rows of `model` whose parent (`keys[0]`) is in `parents` be exactly `desired` (key → values).

        Rows are matched on `keys`; with `replace`, a parent whose rows differ has them all deleted and created
        again (for rows under a constraint a row-by-row update could break on the way). Rows whose key `keep(key)`
        accepts are left alone (what the tree cannot know). Returns changed parents.
        """
        n = len(keys)
        existing: dict[tuple, tuple[int, tuple]] = {}
        for row in model.objects.order_by().values_list("pk", *keys, *values):
            if row[1] in parents and not (keep and keep(row[1 : n + 1])):
                existing[row[1 : n + 1]] = (row[0], row[n + 1 :])
        creates, updates, deletes, changed = [], [], [], set()
        for key, vals in desired.items():
            current = existing.get(key)
            if current is None:
                creates.append(key + vals)
                changed.add(key[0])
            elif current[1] != vals:
                updates.append((current[0], vals))
                changed.add(key[0])
        for key, (pk, _) in existing.items():
            if key not in desired:
                deletes.append(pk)
                changed.add(key[0])
        if replace and changed:
            deletes = [pk for key, (pk, _) in existing.items() if key[0] in changed]
            creates = [key + vals for key, vals in desired.items() if key[0] in changed]
            updates = []
        for chunk in _chunks(deletes):
            model.objects.filter(pk__in=chunk).delete()
        if updates:
            objs = [model(pk=pk, **dict(zip(values, vals, strict=True))) for pk, vals in updates]
            model.objects.bulk_update(objs, list(values), batch_size=200)
        if creates:
            names = keys + values
            insert_rows(model, [dict(zip(names, row, strict=True)) for row in creates])
        self.wrote |= bool(creates or updates or deletes)
        return changed


def _plan_accounts(members: dict[str, dict], problems: list[Problem]) -> tuple[dict[str, int | None], list, list]:
    """The account of each member: the one already linked, else the account with its username, else the one
    with its e-mail (`<username>@MEMBER_EMAIL_DOMAIN`), else a new one. Only reads. Returns (username → user pk,
    None for a new account; the accounts to create; the (pk, username) of accounts found by e-mail)."""
    User = get_user_model()
    domain = settings.MEMBER_EMAIL_DOMAIN
    linked = dict(Member.objects.order_by().exclude(user=None).values_list("username", "user_id"))
    owner_of = {user_id: username for username, user_id in linked.items()}
    by_username, by_email = {}, {}
    for pk, username, email in User.objects.order_by().values_list("pk", "username", "email"):
        if username:
            by_username[username] = pk
        by_email[normalize_email(email)] = (pk, username)
    plan: dict[str, int | None] = {}
    creates, renames = [], []
    planned: dict[str, str] = {}  # address of an account to create → its member
    for username, record in members.items():
        if username in linked:
            plan[username] = linked[username]
            continue
        rel = f"{KIND['members'].folder}/{username}.md"
        email = normalize_email(f"{username}@{domain}")
        pk = by_username.get(username)
        if pk is None and email in by_email:
            pk, other = by_email[email]
            if other and other != username:
                problems.append(Problem(rel, f"l'adresse {email} appartient déjà au compte « {other} »"))
                continue
            if not other:
                renames.append((pk, username))
        if pk is not None and pk in owner_of:
            problems.append(Problem(rel, f"le compte « {username} » est déjà relié au membre « {owner_of[pk]} »"))
            continue
        if pk is None and email in planned:
            problems.append(Problem(rel, f"l'adresse {email} serait aussi celle du membre « {planned[email]} »"))
            continue
        plan[username] = pk
        if pk is None:
            planned[email] = username
            first, _, last = " ".join(record["fields"]["fullname"].split()).partition(" ")
            creates.append(
                {
                    "email": email,
                    "username": username,
                    "first_name": first[:150],
                    "last_name": last[:150],
                    "password": UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30),
                }
            )
    return plan, creates, renames


def write(tree: Tree, report: Report, progress: Progress | None) -> None:
    """Write every kind, in the order their references need (the caller holds the transaction)."""
    r = tree.records
    w = _Writer(report)
    steps = ["organisations", "incubateurs", "produits", "équipes", "comptes", "membres"]

    def advance(label):
        if progress:
            progress("écriture", steps.index(label) + 1, len(steps))

    # Accounts are planned first (reads only): a conflict refuses the import before anything is written.
    problems: list[Problem] = []
    plan, new_users, renames = _plan_accounts(r["members"], problems)
    if problems:
        raise ImportRefused(problems + tree.warnings)

    org = _write_organisations(w, r["organisations"])
    advance("organisations")
    inc = _write_incubators(w, r["incubators"], org)
    advance("incubateurs")
    prod = _write_products(w, r["products"], org, inc)
    advance("produits")
    team = _write_teams(w, r["teams"], inc)
    advance("équipes")
    _write_accounts(w, plan, new_users, renames)
    advance("comptes")
    _write_members(w, r["members"], plan, prod, team)
    advance("membres")

    if w.wrote:
        cache.bump()


def _write_organisations(w: _Writer, records: dict[str, dict]) -> dict[str, int]:
    orgs = w.upsert(
        Organisation, "organisations", "ghid", {k: v["fields"] for k, v in records.items()}, ORGANISATION_FIELDS
    )
    w.count("organisations", orgs)
    return orgs.pks


def _write_incubators(w: _Writer, records: dict[str, dict], org: dict[str, int]) -> dict[str, int]:
    incs = w.upsert(
        Incubator,
        "incubators",
        "ghid",
        {k: {**v["fields"], "owner_id": org.get(v["owner"])} for k, v in records.items()},
        INCUBATOR_FIELDS,
    )
    w.count("incubators", incs)
    return incs.pks


def _write_products(w: _Writer, records: dict[str, dict], org: dict[str, int], inc: dict[str, int]) -> dict[str, int]:
    """Products, then their sponsors, incubators, phases and events (a product whose lists changed is updated)."""
    prods = w.upsert(Product, "products", "ghid", {k: v["fields"] for k, v in records.items()}, PRODUCT_FIELDS)
    prod = prods.pks
    parents = set(prod.values())
    sponsors, links, phases, events = {}, {}, {}, {}
    for ghid, record in records.items():
        pk = prod[ghid]
        for order, org_ghid in enumerate(record["sponsors"]):
            sponsors[(pk, org[org_ghid])] = (order,)
        for order, (inc_ghid, principal) in enumerate(record["incubators"]):
            links[(pk, inc[inc_ghid])] = (principal, order)
        for name, start, end, comment in record["phases"]:
            phases[(pk, name)] = (start, end, comment)
        for order, (name, date, comment) in enumerate(record["events"]):
            events[(pk, order)] = (name, date, comment)
    changed = w.sync(ProductSponsor, parents, ("product_id", "organisation_id"), ("order",), sponsors)
    changed |= w.sync(
        ProductIncubator, parents, ("product_id", "incubator_id"), ("is_principal", "order"), links, replace=True
    )
    changed |= w.sync(Phase, parents, ("product_id", "name"), ("start", "end", "comment"), phases)
    changed |= w.sync(Event, parents, ("product_id", "order"), ("name", "date", "comment"), events)
    w.count("products", prods, changed)
    return prod


def _write_teams(w: _Writer, records: dict[str, dict], inc: dict[str, int]) -> dict[str, int]:
    teams = w.upsert(
        Team,
        "teams",
        "ghid",
        {k: {**v["fields"], "incubator_id": inc[v["incubator"]]} for k, v in records.items()},
        TEAM_FIELDS,
    )
    w.count("teams", teams)
    return teams.pks


def _write_accounts(w: _Writer, plan: dict[str, int | None], new_users: list, renames: list) -> None:
    """Create the planned accounts (their pks go into `plan`) and give a username to those found by e-mail."""
    User = get_user_model()
    if new_users:
        insert_rows(User, new_users)
        for username, pk in User.objects.order_by().exclude(username=None).values_list("username", "pk"):
            if plan.get(username, 0) is None:
                plan[username] = pk
        w.wrote = True
    if renames:
        User.objects.bulk_update([User(pk=pk, username=username) for pk, username in renames], ["username"])
        w.wrote = True
    w.report.accounts_created = len(new_users)
    w.report.accounts_linked = len(renames)


def _write_members(
    w: _Writer, records: dict[str, dict], plan: dict[str, int | None], prod: dict[str, int], team: dict[str, int]
) -> None:
    """Members, then their teams, missions and the products of each mission."""
    members = w.upsert(
        Member,
        "members",
        "username",
        {k: {**v["fields"], "user_id": plan[k]} for k, v in records.items()},
        MEMBER_FIELDS,
    )
    mem = members.pks
    parents = set(mem.values())
    memberships, missions = {}, {}
    for username, record in records.items():
        pk = mem[username]
        for team_ghid in record["teams"]:
            memberships[(pk, team[team_ghid])] = ()
        for order, (values, _) in enumerate(record["missions"]):
            missions[(pk, order)] = values
    changed = w.sync(Member.teams.through, parents, ("member_id", "team_id"), (), memberships)
    changed |= w.sync(Mission, parents, ("member_id", "order"), ("start", "end", "status", "employer"), missions)
    mission_pk, member_of = {}, {}
    for pk, member_id, order in Mission.objects.order_by().values_list("pk", "member_id", "order"):
        if member_id in parents:
            mission_pk[(member_id, order)] = pk
            member_of[pk] = member_id
    mission_products = {}
    for username, record in records.items():
        pk = mem[username]
        for order, (_, products) in enumerate(record["missions"]):
            for position, product_ghid in enumerate(products):
                mission_products[(mission_pk[(pk, order)], prod[product_ghid])] = (position,)
    # A mission's link to a product not validated yet (joined online) is not in the tree: it is left as it is.
    online_only = set(Product.objects.exclude(review_state=ReviewState.VALIDATED).values_list("pk", flat=True)) - set(
        prod.values()
    )
    changed_missions = w.sync(
        MissionProduct,
        set(member_of),
        ("mission_id", "product_id"),
        ("order",),
        mission_products,
        keep=lambda key: key[1] in online_only,
    )
    changed |= {member_of[pk] for pk in changed_missions}
    w.count("members", members, changed)
