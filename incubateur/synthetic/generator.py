"""A realistic synthetic registry and desk at scale N, for the benchmarks and the query-count tests.

`seed(scale=N, seed=S)` writes, with bulk inserts (`_bulk`: one `COPY … FROM STDIN` per table and chunk on
PostgreSQL, an `executemany` on SQLite; primary keys taken from the table's sequence in order, so the rows are those
`bulk_create` would write), then ANALYZE on PostgreSQL (the planner needs the statistics of a million requests):

- the registry: 24 sponsor organisations (with their ministries), 8 incubators, N products (phases from
  investigation to consolidation, opérée, transférée or arrêtée; themes; sponsors; principal incubator and some
  co-incubation; a launch event), 10N members, each with an account and missions on the products (three in four
  running today, some past ones);
- the guichet: 10N requests of every kind — confidential ones (the two confidential kinds, and some requests
  marked so) with their participants and reads —, routed by the routing table as `ticket_submit` routes them
  (`routing.route`, cached per kind × topic × ministry × the portfolio the product falls in), with
  `first_response_due` one working day after creation, replies, internal notes, reminders and escalations as
  the housekeeping would have written them, some overdue, many closed; N/2 offers of help (the accepted ones
  open a request owned by the team, as `offer_accept` does); a journal row per submission and per offer;
- the programmes: 4 to 24 calls (open, under review, with results published, upcoming) with their questions and
  criteria, N/2 applications in every state with their reviews, and the investment committees of some products
  (with their event on the product, as `committee_record` writes it);
- the pages of #11–#15: max(5, N/2) job posts (public jobs and freelance missions, community-only, expired,
  filled) with their PUBLIC journal rows (`recruitment.published`, `recruitment.closed`), the first onboarding
  steps ticked by one member in ten, and a tiny text file attached to N requests (at most ATTACHMENTS_MAX) in
  the attachments' storage.

Deterministic: the same scale, seed and `now` give the same rows on the same database (each part draws from its
own generator seeded with the seed and the part's name; a username already taken by a real account gets a
number). Times are relative to `now` (default: the current time), so that "overdue", "open" and "running today"
mean something.

What it does not write: notifications (nothing is sent for synthetic people), journal rows of replies, status
changes and programmes. It writes the tables directly, not through the services (which would take hours at
100k requests): what the services would decide (routing, deadlines, confidentiality) is computed with the same
functions. The registry's and the organisation's cache stamps are bumped at the end (bulk writes send no
signals).

Synthetic rows are recognisable: identifiers (`ghid`) start with `synth-`, accounts have an address at
`synthetique.example` (a reserved domain: nothing can be delivered there), calls end with « (synthétique) ».
Job posts belong to synthetic products, ticks to synthetic members, attachments to synthetic requests.
`delete()` removes them all, and only them (and the attachments' files, once the deletion is committed).
"""

import datetime
import hashlib
import operator
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.text import slugify

from incubateur.community import checklists
from incubateur.community.models import Checklist, ChecklistTick
from incubateur.core.models import JournalEntry, Visibility
from incubateur.guichet import workdays
from incubateur.guichet.converters import new_reference
from incubateur.guichet.kinds import KIND_INFO, Kind, Topic
from incubateur.guichet.models import (
    Attachment,
    Channel,
    Message,
    Offer,
    OfferStatus,
    Participant,
    Read,
    Status,
    Ticket,
    attachment_storage,
    attachment_upload_to,
)
from incubateur.guichet.routing import route
from incubateur.organisation import cache as organisation_cache
from incubateur.organisation.models import Portfolio, Position
from incubateur.organisation.selectors import match_portfolio
from incubateur.portfolios.models import Committee, CommitteeDecision
from incubateur.portfolios.services import next_committee_due
from incubateur.programmes import rules as programme_rules
from incubateur.programmes.models import (
    ApplicantType,
    Application,
    ApplicationStatus,
    Call,
    EligibilityCheck,
    EligibilityCriterion,
    Programme,
    Question,
    Review,
    SelectionCriterion,
)
from incubateur.recruitment.models import Contract, JobPost, Workplace
from incubateur.recruitment.models import Kind as PostKind
from incubateur.recruitment.models import Status as PostStatus
from incubateur.registry import cache as registry_cache
from incubateur.registry.enums import ACTIVE_PHASES, EventName, MemberType, MissionStatus, PhaseName
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
)
from incubateur.synthetic import vocabulary as words

GHID_PREFIX = "synth-"
EMAIL_DOMAIN = "synthetique.example"
CALL_MARK = "(synthétique)"
BATCH = 2000
COPY_CHUNK = 20000  # rows converted and sent at once by `_write`
CHUNK = 5000  # rows of a kind built in memory at once (members, requests)
PRODUCT_NAME = "\x00"  # where a product's name goes in a cached routing reason

MEMBERS_PER_PRODUCT = 10
TICKING = 10  # one member in TICKING has ticked steps of their onboarding checklist (the first member included)
ATTACHMENTS_MAX = 500  # attachments are files: a few, whatever the scale
REQUESTS_PER_PRODUCT = 10

# How often each kind is asked (the first requests cover every kind once, whatever the scale).
KIND_WEIGHTS = {
    Kind.DOUTE_PRODUIT: 20,
    Kind.PARTENARIAT: 10,
    Kind.CONVENTION: 12,
    Kind.ADMINISTRATIF: 12,
    Kind.SOUTIEN: 20,
    Kind.MAL_ETRE: 3,
    Kind.COMMUNAUTE: 8,
    Kind.SIGNALEMENT: 2,
    Kind.AUTRE: 13,
}
MARKED_CONFIDENTIAL = 0.03  # share of requests of the other kinds the requester marks confidential

# Final phase of a product's story and its weight; the path that leads to it.
STORIES = [
    (PhaseName.INVESTIGATION, 12, [PhaseName.INVESTIGATION]),
    (PhaseName.CONSTRUCTION, 30, [PhaseName.INVESTIGATION, PhaseName.CONSTRUCTION]),
    (PhaseName.ACCELERATION, 24, [PhaseName.INVESTIGATION, PhaseName.CONSTRUCTION, PhaseName.ACCELERATION]),
    (
        PhaseName.CONSOLIDATION,
        10,
        [PhaseName.INVESTIGATION, PhaseName.CONSTRUCTION, PhaseName.ACCELERATION, PhaseName.CONSOLIDATION],
    ),
    (PhaseName.OPERE, 5, [PhaseName.INVESTIGATION, PhaseName.CONSTRUCTION, PhaseName.ACCELERATION, PhaseName.OPERE]),
    (
        PhaseName.TRANSFERE,
        5,
        [PhaseName.INVESTIGATION, PhaseName.CONSTRUCTION, PhaseName.ACCELERATION, PhaseName.TRANSFERE],
    ),
    (PhaseName.ABANDON, 9, [PhaseName.INVESTIGATION, PhaseName.CONSTRUCTION, PhaseName.ABANDON]),
    (PhaseName.ABANDON_INVESTIGATION, 5, [PhaseName.INVESTIGATION, PhaseName.ABANDON_INVESTIGATION]),
]
PHASE_DAYS = {  # (min, max) length of a phase that is over
    PhaseName.INVESTIGATION: (60, 200),
    PhaseName.CONSTRUCTION: (250, 700),
    PhaseName.ACCELERATION: (300, 900),
    PhaseName.CONSOLIDATION: (180, 540),
}


USER_FIELDS = ("email", "username", "first_name", "last_name", "password", "date_joined")
MEMBER_FIELDS = (
    "username",
    "user",
    "fullname",
    "role",
    "domaine",
    "bio",
    "github",
    "competences",
    "member_type",
)
MESSAGE_FIELDS = ("ticket", "author", "body", "internal", "created_at")
JOURNAL_FIELDS = (
    "at",
    "actor",
    "action",
    "message",
    "visibility",
    "content_type",
    "object_id",
    "object_repr",
    "data",
)


class SyntheticDataExists(Exception):
    """Synthetic rows are already there: `delete()` them first (`seed_synthetic --force`)."""


@dataclass
class Report:
    scale: int
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    routes_computed: int = 0

    def add(self, label: str, count: int) -> None:
        self.counts[label] = self.counts.get(label, 0) + count

    def lines(self) -> list[str]:
        return [f"{label} : {count}" for label, count in self.counts.items()]


def _synthetic_users():
    return get_user_model().objects.filter(email__endswith="@" + EMAIL_DOMAIN)


def exists() -> bool:
    return Product.objects.filter(ghid__startswith=GHID_PREFIX).exists() or _synthetic_users().exists()


@transaction.atomic
def delete() -> dict[str, int]:
    """Remove every synthetic row (and nothing else): the journal rows about synthetic requests and offers, the
    requests, offers, applications, calls, committees, products, members, accounts, incubators, organisations."""
    users = _synthetic_users()
    products = Product.objects.filter(ghid__startswith=GHID_PREFIX)
    tickets = Ticket.objects.filter(requester__in=users.values("pk"))
    offers = Offer.objects.filter(product__in=products.values("pk"))
    calls = Call.objects.filter(title__endswith=CALL_MARK)
    posts = JobPost.objects.filter(product__in=products.values("pk"))
    counts: dict[str, int] = {}
    # The files of the synthetic requests' attachments go once the rows are gone for good (after the commit).
    files = list(Attachment.objects.filter(ticket__in=tickets.values("pk")).values_list("file", flat=True))
    storage = attachment_storage()
    transaction.on_commit(lambda: [storage.delete(name) for name in files])
    for model, objects in ((Ticket, tickets), (Offer, offers), (JobPost, posts)):
        ids = objects.annotate(text_pk=Cast("pk", CharField())).values("text_pk")
        deleted, _ = JournalEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=ids
        ).delete()
        counts["entrées du journal"] = counts.get("entrées du journal", 0) + deleted
    steps = [
        ("demandes", tickets),
        ("offres d'emploi", posts),
        ("offres d'aide", offers),
        ("candidatures", Application.objects.filter(call__in=calls.values("pk"))),
        ("candidatures", Application.objects.filter(product__in=products.values("pk"))),
        ("appels", calls),
        ("comités", Committee.objects.filter(product__in=products.values("pk"))),
        ("produits", products),
        ("membres", Member.objects.filter(user__in=users.values("pk"))),
        ("incubateurs", Incubator.objects.filter(ghid__startswith=GHID_PREFIX)),
        ("organisations", Organisation.objects.filter(ghid__startswith=GHID_PREFIX)),
        ("comptes", users),
    ]
    for label, objects in steps:
        deleted, _ = objects.delete()
        counts[label] = counts.get(label, 0) + deleted
    _bump_stamps()
    return counts


def _bump_stamps() -> None:
    registry_cache.bump()
    organisation_cache.bump()


FORCED_STATUS = {"new": Status.NEW, "closed": Status.CLOSED, "in-progress": Status.IN_PROGRESS}


def _status(rng: random.Random, *, recent: bool, forced: str | None, answered_at: datetime.datetime | None) -> str:
    """The status of a request: `forced` (a request every scale has), else drawn by its age and whether it was
    answered; never closed when recent (closed 14 days after being resolved: not yet)."""
    if forced in FORCED_STATUS:
        status = FORCED_STATUS[forced]
    elif answered_at is not None:
        status = rng.choices([Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED], weights=[3, 1, 6])[0]
    elif recent:
        status = rng.choices([Status.NEW, Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED], weights=[4, 3, 1, 2])[
            0
        ]
    else:
        status = rng.choices([Status.CLOSED, Status.IN_PROGRESS, Status.WAITING, Status.NEW], weights=[82, 8, 5, 5])[0]
    if status == Status.CLOSED and recent:
        status = Status.RESOLVED
    return status


def _bulk(model, rows: list, report: Report | None = None, label: str = "") -> list:
    """Insert `rows` (unsaved instances of `model`) as `bulk_create` would (same columns, same values, primary keys
    in the same order, no signals) but without its per-row SQL compilation: PostgreSQL gets one `COPY … FROM STDIN`
    per table and chunk, SQLite one `executemany`. The instances get their primary keys, as with bulk_create."""
    if rows:
        _write(model, rows)
    if report is not None and label:
        report.add(label, len(rows))
    return rows


# Fields whose Python value is already what both databases store: written as read (the rest go through
# `get_db_prep_save`, as bulk_create does: dates and times on SQLite, JSON, decimals…).
_PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.BooleanField,
    models.CharField,
    models.ForeignKey,
    models.IntegerField,
    models.TextField,
)
_PLAIN_ON_POSTGRES = (models.DateField, models.DateTimeField)  # psycopg adapts dates and aware datetimes itself


def _converter(field, postgres: bool):
    """How a Python value of `field` is written: as it is when both databases take it, else what bulk_create would
    send (`get_db_prep_save`), with a shortcut for SQLite's dates and times."""
    if isinstance(field, _PLAIN_FIELDS) or (postgres and isinstance(field, _PLAIN_ON_POSTGRES)):
        return None
    if isinstance(field, models.DateTimeField):  # SQLite: what its `adapt_datetimefield_value` writes (UTC, naive)
        return lambda value: None if value is None else str(_naive_utc(value))
    if isinstance(field, models.DateField):
        return lambda value: None if value is None else value.isoformat()
    return lambda value: field.get_db_prep_save(value, connection)


def _value_getter(field, postgres: bool):
    if isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add):

        def read(obj, field=field):
            return field.pre_save(obj, True)  # sets the attribute too, as bulk_create does
    else:
        read = operator.attrgetter(field.attname)
    convert = _converter(field, postgres)
    return read if convert is None else lambda obj: convert(read(obj))


def _rows(
    model, names: tuple[str, ...], rows: list[tuple], report: Report | None = None, label: str = ""
) -> list[int]:
    """Insert plain tuples (the values of the fields `names`, in that order; every other column keeps its
    default) as `_bulk` would insert the same instances, without building them: the hot tables. Returns the new
    primary keys, in order."""
    meta = model._meta
    postgres = connection.vendor == "postgresql"
    fields = [meta.get_field(name) for name in names]
    given = {field.attname for field in fields}
    defaults = [
        (field, field.get_default())
        for field in meta.concrete_fields
        if field.attname not in given and not field.primary_key
    ]
    fields += [field for field, _ in defaults]
    constants = tuple(value for _, value in defaults)
    converters = [(index, convert) for index, field in enumerate(fields) if (convert := _converter(field, postgres))]
    ids = _reserve_ids(model, len(rows)) if rows else []
    prepared = []
    for pk, row in zip(ids, rows, strict=True):
        values = [pk, *row, *constants]
        for index, convert in converters:
            values[index + 1] = convert(values[index + 1])
        prepared.append(values)
    _send(model, [meta.pk, *fields], prepared)
    if report is not None and label:
        report.add(label, len(rows))
    return ids


def _naive_utc(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(datetime.UTC).replace(tzinfo=None)


def _reserve_ids(model, count: int) -> list[int]:
    """`count` fresh primary keys of `model`, ascending: what the database would have given these rows."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
            )
            return sorted(row[0] for row in cursor.fetchall())
        # SQLite (AUTOINCREMENT): never an id used before, even by a deleted row; the transaction holds the lock.
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT MAX({connection.ops.quote_name(column)}) FROM {quoted}")
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        start = max(highest, found[0] if found else 0) + 1
        return list(range(start, start + count))


def _write(model, objects: list) -> None:
    meta = model._meta
    postgres = connection.vendor == "postgresql"
    fields = list(meta.concrete_fields)
    for obj, pk in zip(objects, _reserve_ids(model, len(objects)), strict=True):
        setattr(obj, meta.pk.attname, pk)
        obj._state.adding = False
        obj._state.db = connection.alias
    getters = [_value_getter(field, postgres) for field in fields]
    _send(model, fields, [[get(obj) for get in getters] for obj in objects])


def _send(model, fields: list, rows: list) -> None:
    """Write `rows` (database values of `fields`, in order): COPY on PostgreSQL, executemany on SQLite."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), COPY_CHUNK):
            chunk = rows[start : start + COPY_CHUNK]
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(fields))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", chunk)


def _name(first: str, last: str) -> str:
    return f"{first} {last}".strip()


def _person_name(user) -> str:
    return user.get_full_name() or user.username or user.email


@dataclass
class _Route:
    assignee_id: int | None
    assignee_name: str
    assignee_username: str | None
    pole_id: int | None
    portfolio_id: int | None
    copied: list[int]
    reason: str  # with PRODUCT_NAME where the product's name goes


@dataclass
class _ProductInfo:
    pk: int
    name: str
    ghid: str
    phase: str  # current phase
    phase_start: datetime.date
    repository: str
    stats: bool
    stats_url: str
    budget_url: str
    dashlord_url: str
    perimeter: tuple  # the key of its routing: the portfolio it falls in and why


@transaction.atomic
def seed(*, scale: int, seed: int = 0, now: datetime.datetime | None = None, username_prefix: str = "") -> Report:
    """Create the synthetic data at scale `scale` (N products, 10N members, 10N requests…). Needs the organisation,
    the routing table and the programmes (`load_organisation`, `load_routing`, `load_programmes`). Refuses when
    synthetic rows exist (SyntheticDataExists). `username_prefix` starts every member's username (the demo
    registry's `demo.`: no real member of a later import can have the same)."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    if exists():
        raise SyntheticDataExists("Des données synthétiques existent déjà.")
    started = time.perf_counter()
    report = Report(scale=scale, seed=seed)
    _Seeder(scale=scale, seed=seed, now=now or timezone.now(), report=report, username_prefix=username_prefix).run()
    _bump_stamps()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # counts this transaction's rows too: plans are right before the commit
    report.seconds = time.perf_counter() - started
    return report


class _Seeder:
    def __init__(self, *, scale: int, seed: int, now: datetime.datetime, report: Report, username_prefix: str = ""):
        self.scale = scale
        self.username_prefix = username_prefix
        self.seed = seed
        self.now = now.replace(microsecond=0)
        self.today = timezone.localdate(self.now)
        self.report = report
        User = get_user_model()
        self.staff = list(User.objects.filter(is_incubator_staff=True, is_active=True).order_by("username", "pk"))
        if not self.staff:
            raise ValueError("L'organisation n'est pas chargée : manage.py load_organisation.")
        self.staff_by_pk = {user.pk: user for user in self.staff}
        self.portfolios = list(Portfolio.objects.select_related("manager").order_by("order", "pk"))
        self.routes: dict[tuple, _Route] = {}
        self._named: dict[str, tuple | None] = {}
        # Filled as the parts run.
        self.organisations: list[Organisation] = []
        self.organisation_ministry: dict[int, str] = {}
        self.incubators: list[Incubator] = []
        self.products: list[_ProductInfo] = []
        self.team: dict[int, list[int]] = defaultdict(list)  # product pk → users in its active team
        self.member_users: list[int] = []
        self.ticking: list[tuple[int, int, str]] = []  # (member pk, user pk, domaine) of every TICKING-th member
        self.user_names: dict[int, str] = {}
        self.ministry_codes: list[str] = []
        self.thread_rng = self.rng("threads")

    def rng(self, part: str) -> random.Random:
        return random.Random(f"{self.seed}:{part}")

    def at(self, days: float) -> datetime.datetime:
        """`days` before now (a fraction of a day is hours)."""
        return self.now - datetime.timedelta(days=days)

    def run(self) -> None:
        self.create_organisations()
        self.create_products()
        self.create_members()
        self.create_offers_and_requests()
        self.create_programmes()
        self.create_committees()
        self.create_job_posts()
        self.create_checklist_ticks()
        self.create_attachments()

    # --- Registry ------------------------------------------------------------------------------------------

    def create_organisations(self) -> None:
        rows = [
            Organisation(
                ghid=f"{GHID_PREFIX}{slugify(acronym or name)}",
                name=name,
                acronym=acronym,
                domaine_ministeriel=ministry,
                type=kind,
            )
            for name, acronym, ministry, kind in words.ORGANISATIONS
        ]
        self.organisations = _bulk(Organisation, rows, self.report, "organisations")
        self.organisation_ministry = {o.pk: o.domaine_ministeriel for o in self.organisations}
        self.ministry_codes = sorted({code for code in self.organisation_ministry.values() if code})
        rows = [
            Incubator(
                ghid=f"{GHID_PREFIX}{slugify(title)}",
                title=title,
                short_description=f"{title} accompagne les produits de son administration.",
                owner=self.organisations[owner],
                contact=f"contact@{slugify(title)}.{EMAIL_DOMAIN}",
                website=f"https://{slugify(title)}.beta.gouv.fr",
            )
            for title, owner in words.INCUBATORS
        ]
        self.incubators = _bulk(Incubator, rows, self.report, "incubateurs")

    def _phases(self, rng: random.Random, *, first: bool) -> list[tuple[str, datetime.date, datetime.date | None]]:
        names = rng.choices([s[2] for s in STORIES], weights=[s[1] for s in STORIES])[0]
        if first:  # the first product is in construction: boards and active teams are never empty
            names = STORIES[1][2]
        lengths = [rng.randint(*PHASE_DAYS[name]) for name in names[:-1]]
        current_age = rng.randint(20, 500)
        start = self.today - datetime.timedelta(days=sum(lengths) + current_age)
        phases = []
        for index, name in enumerate(names):
            if index < len(lengths):
                end = start + datetime.timedelta(days=lengths[index] - 1)
                phases.append((name, start, end))
                start = end + datetime.timedelta(days=1)
            else:
                phases.append((name, start, None))
        return phases

    def create_products(self) -> None:
        rng = self.rng("products")
        seen: dict[str, int] = defaultdict(int)
        products, phases, sponsors, incubators, events, extras = [], [], [], [], [], []
        for index in range(self.scale):
            word = rng.choice(words.PRODUCT_WORDS)
            field_name, themes = rng.choice(words.PRODUCT_FIELDS)
            if index == 0:  # … and in a portfolio (Travail, Insertion et Armées), whatever the seed
                field_name, themes = words.PRODUCT_FIELDS[0]
            base = f"{word} {field_name}"
            seen[base] += 1
            name = base if seen[base] == 1 else f"{base} {seen[base]}"
            slug = slugify(name)
            thematiques = list(themes)
            if rng.random() < 0.3:
                thematiques.append(rng.choice(words.OTHER_THEMES))
            story = self._phases(rng, first=index == 0)
            sentences = rng.sample(words.DESCRIPTION_SENTENCES, 6)
            description = (
                f"## Le problème\n\n{sentences[0]} {sentences[1]}\n\n"
                f"## La solution\n\n{name} : {sentences[2]} {sentences[3]}\n\n"
                f"## L'impact\n\n{sentences[4]} {sentences[5]}\n"
            )
            stats = rng.random() < 0.5
            product = Product(
                ghid=f"{GHID_PREFIX}{slug}",
                name=name,
                pitch=f"{rng.choice(words.PITCH_VERBS)} {rng.choice(words.PITCH_OBJECTS)}",
                description=description,
                contact=f"contact@{slug}.{EMAIL_DOMAIN}",
                link=f"https://{slug}.beta.gouv.fr",
                repository=f"https://github.com/betagouv/{slug}" if rng.random() < 0.7 else "",
                stats=stats,
                stats_url=f"https://{slug}.beta.gouv.fr/stats" if stats else "",
                budget_url=f"https://{slug}.beta.gouv.fr/budget" if rng.random() < 0.3 else "",
                dashlord_url=f"https://dashlord.incubateur.net/url/{slug}" if rng.random() < 0.4 else "",
                accessibility_status=rng.choice(["non conforme", "partiellement conforme", "totalement conforme"]),
                thematiques=thematiques,
                usertypes=rng.sample(words.USERTYPES, rng.randint(1, 2)),
                techno=rng.sample(words.TECHNOS, rng.randint(1, 3)),
                contact_dinum=rng.choice(self.staff).username if rng.random() < 0.5 else "",
            )
            sponsor_count = 1 if rng.random() < 0.7 else 2
            sponsor_orgs = rng.sample(range(len(self.organisations)), sponsor_count)
            principal = rng.randrange(len(self.incubators))
            co = rng.randrange(len(self.incubators)) if rng.random() < 0.1 else None
            products.append(product)
            extras.append((story, sponsor_orgs, principal, co, thematiques))
        products = _bulk(Product, products, self.report, "produits")

        for product, (story, sponsor_orgs, principal, co, thematiques) in zip(products, extras, strict=True):
            for name, start, end in story:
                phases.append(Phase(product=product, name=name, start=start, end=end))
            for order, index in enumerate(sponsor_orgs):
                sponsors.append(ProductSponsor(product=product, organisation=self.organisations[index], order=order))
            incubators.append(
                ProductIncubator(product=product, incubator=self.incubators[principal], is_principal=True)
            )
            if co is not None and co != principal:
                incubators.append(ProductIncubator(product=product, incubator=self.incubators[co], order=1))
            construction = next((start for name, start, _ in story if name == PhaseName.CONSTRUCTION), None)
            if construction is not None:
                launch = construction + datetime.timedelta(days=120)
                if launch < self.today:
                    events.append(Event(product=product, name=EventName.PRODUCT_LAUNCH, date=launch, order=0))
            # The perimeter as `registry.selectors.perimeters` reads it: themes, then the sponsors' ministries in
            # order and the principal incubator owner's.
            ministries = [self.organisation_ministry[self.organisations[i].pk] for i in sponsor_orgs]
            ministries.append(self.incubators[principal].owner.domaine_ministeriel)
            ministries = list(dict.fromkeys(code for code in ministries if code))
            found = match_portfolio(self.portfolios, ministries=ministries, themes=thematiques)
            perimeter = (found[0].pk, found[1]) if found else (None, bool(ministries or thematiques))
            current = story[-1]
            self.products.append(
                _ProductInfo(
                    pk=product.pk,
                    name=product.name,
                    ghid=product.ghid,
                    phase=current[0],
                    phase_start=current[1],
                    repository=product.repository,
                    stats=bool(product.stats),
                    stats_url=product.stats_url,
                    budget_url=product.budget_url,
                    dashlord_url=product.dashlord_url,
                    perimeter=perimeter,
                )
            )
        _bulk(Phase, phases, self.report, "phases")
        _bulk(ProductSponsor, sponsors, self.report, "sponsors de produits")
        _bulk(ProductIncubator, incubators, self.report, "incubateurs de produits")
        _bulk(Event, events, self.report, "événements")

    def create_members(self) -> None:
        User = get_user_model()
        rng = self.rng("members")
        taken = set(User.objects.exclude(username=None).values_list("username", flat=True))
        taken |= set(Member.objects.values_list("username", flat=True))
        total = MEMBERS_PER_PRODUCT * self.scale
        for chunk_start in range(0, total, CHUNK):
            users, members, plans = [], [], []
            for index in range(chunk_start, min(total, chunk_start + CHUNK)):
                first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
                base = f"{self.username_prefix}{slugify(first)}.{slugify(last)}"
                username, suffix = base, 1
                while username in taken:
                    suffix += 1
                    username = f"{base}{suffix}"
                taken.add(username)
                users.append(
                    (
                        f"{username}@{EMAIL_DOMAIN}",
                        username,
                        first,
                        last,
                        f"!{rng.getrandbits(160):040x}",  # unusable, as set_unusable_password
                        self.at(rng.uniform(30, 1500)),
                    )
                )
                role, domaine = rng.choice(words.ROLES)
                status = rng.choice(list(MissionStatus))
                members.append(
                    [
                        username,
                        None,  # the account, once written
                        _name(first, last),
                        role,
                        domaine,
                        f"{role} chez beta.gouv.fr.",
                        username.replace(".", "-") if rng.random() < 0.4 else "",
                        rng.sample(words.COMPETENCES, rng.randint(0, 3)),
                        MemberType.DINUM if status == MissionStatus.ADMIN else MemberType.BETA,
                    ]
                )
                plans.append(self._missions(rng, index, status))
            user_ids = _rows(User, USER_FIELDS, users, self.report, "comptes")
            for user_id, user, member in zip(user_ids, users, members, strict=True):
                member[1] = user_id
                self.member_users.append(user_id)
                self.user_names[user_id] = _name(user[2], user[3]) or user[1]  # as User.get_full_name() or username
            member_ids = _rows(Member, MEMBER_FIELDS, members, self.report, "membres")
            for offset in range((-chunk_start) % TICKING, len(members), TICKING):  # members 0, TICKING, 2×TICKING…
                self.ticking.append((member_ids[offset], members[offset][1], members[offset][4]))
            missions, links = [], []
            for member_id, member, plan in zip(member_ids, members, plans, strict=True):
                for order, (start, end, status, employer, product_indexes) in enumerate(plan):
                    missions.append((member_id, start, end, status, employer, order))
                    links.append(product_indexes)
                    running = start <= self.today and (end is None or end >= self.today)
                    if running:
                        for product_index in product_indexes:
                            self.team[self.products[product_index].pk].append(member[1])
            fields = ("member", "start", "end", "status", "employer", "order")
            mission_ids = _rows(Mission, fields, missions, self.report, "missions")
            rows = [
                (mission_id, self.products[product_index].pk, order)
                for mission_id, product_indexes in zip(mission_ids, links, strict=True)
                for order, product_index in enumerate(product_indexes)
            ]
            _rows(MissionProduct, ("mission", "product", "order"), rows, self.report, "produits de missions")

    def _missions(self, rng: random.Random, index: int, status: str) -> list[tuple]:
        """A member's missions, oldest first: maybe one or two past ones on other products, then one on their
        product (`index` modulo N: every product has its members), running today for three in four members and
        always for the first N (every product has an active team)."""
        n = len(self.products)
        own = index % n
        employer = {
            MissionStatus.SERVICE: rng.choice(words.EMPLOYERS),
            MissionStatus.ADMIN: rng.choice(self.organisations).acronym or "DINUM",
            MissionStatus.INDEPENDENT: "",
        }[status]
        running = index < n or rng.random() < 0.75
        if running:
            start = self.today - datetime.timedelta(days=rng.randint(15, 900))
            end = None if rng.random() < 0.1 else self.today + datetime.timedelta(days=rng.randint(30, 400))
        else:
            end = self.today - datetime.timedelta(days=rng.randint(1, 600))
            start = end - datetime.timedelta(days=rng.randint(60, 700))
        products = [own]
        if n > 1 and rng.random() < 0.05:
            other = rng.randrange(n)
            if other != own:
                products.append(other)
        plan = [(start, end, status, employer, products)]
        for _ in range(rng.choice([0, 0, 1, 2]) if n > 1 else 0):
            end = plan[0][0] - datetime.timedelta(days=rng.randint(1, 60))
            start = end - datetime.timedelta(days=rng.randint(60, 500))
            plan.insert(0, (start, end, status, employer, [rng.randrange(n)]))
        return plan

    # --- Guichet -------------------------------------------------------------------------------------------

    def _route(self, kind: str, topic: str, product: _ProductInfo | None, ministry: str) -> tuple[_Route, str]:
        """What `routing.route()` answers (computed once per kind × topic × ministry × perimeter), and the reason
        with this product's name."""
        # A ministry that names a portfolio decides alone (`routing._portfolio_contact`): the product's perimeter
        # then only adds its name.
        named = self.named_portfolio(ministry)
        key = (kind, topic, named) if named else (kind, topic, ministry, product.perimeter if product else None)
        found = self.routes.get(key)
        if found is None:
            instance = Product.objects.get(pk=product.pk) if product else None
            routing = route(kind=kind, topic=topic, product=instance, ministry=ministry)
            reason = routing.reason
            if product is not None:
                reason = reason.replace(f"produit {product.name}", f"produit {PRODUCT_NAME}")
            found = _Route(
                assignee_id=routing.assignee.pk if routing.assignee else None,
                assignee_name=_person_name(routing.assignee) if routing.assignee else "",
                assignee_username=routing.assignee.username if routing.assignee else None,
                pole_id=routing.pole.pk if routing.pole else None,
                portfolio_id=routing.portfolio.pk if routing.portfolio else None,
                copied=[user.pk for user in routing.copied],
                reason=reason,
            )
            self.routes[key] = found
            self.report.routes_computed += 1
        reason = found.reason.replace(PRODUCT_NAME, product.name if product else "")[:500]
        return found, reason

    def named_portfolio(self, ministry: str) -> tuple | None:
        if not ministry:
            return None
        if ministry not in self._named:
            found = match_portfolio(self.portfolios, ministries=[ministry])
            self._named[ministry] = (found[0].pk, found[1]) if found else None
        return self._named[ministry]

    def create_offers_and_requests(self) -> None:
        offers = self.create_offers()
        accepted = [offer for offer in offers if offer.status == OfferStatus.ACCEPTED]
        total = REQUESTS_PER_PRODUCT * self.scale
        regular = total - len(accepted)
        rng = self.rng("requests")
        ticket_type = ContentType.objects.get_for_model(Ticket)
        offer_type = ContentType.objects.get_for_model(Offer)
        kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())

        # Offers of help: their journal rows, and a request for each accepted one.
        journal = [
            JournalEntry(
                at=offer.created_at,
                actor_id=offer.offered_by_id,
                action="guichet.offer_proposed",
                message=f"Aide proposée à l'équipe de {self.product_by_pk[offer.product_id].name} : {offer.topic}",
                visibility=Visibility.INTERNAL,
                content_type=offer_type,
                object_id=str(offer.pk),
                object_repr=str(offer)[:300],
                data={"product": self.product_by_pk[offer.product_id].ghid},
            )
            for offer in offers
        ]
        _bulk(JournalEntry, journal, self.report, "entrées du journal")
        plans = [self._offer_ticket(rng, offer) for offer in accepted]
        plans_offers = list(accepted)

        for chunk_start in range(0, regular, CHUNK):
            for index in range(chunk_start, min(regular, chunk_start + CHUNK)):
                # The first requests: every kind once, then a request of another kind marked confidential.
                forced_kind = [*kinds, Kind.AUTRE][index] if index <= len(kinds) else None
                kind = forced_kind or rng.choices(kinds, weights=weights)[0]
                plans.append(self._request(rng, index, kind))
                plans_offers.append(None)
            self._write_requests(plans, plans_offers, ticket_type, offer_type)
            plans, plans_offers = [], []
        if plans:
            self._write_requests(plans, plans_offers, ticket_type, offer_type)

    def create_offers(self) -> list[Offer]:
        rng = self.rng("offers")
        self.product_by_pk = {p.pk: p for p in self.products}
        rows = []
        for index in range(max(1, self.scale // 2)):
            product = rng.choice(self.products)
            created = self.at(rng.uniform(1, 400))
            status = OfferStatus.PENDING if index == 0 else rng.choices(list(OfferStatus), weights=[4, 3, 2, 1])[0]
            team = self.team[product.pk]
            offer = Offer(
                product_id=product.pk,
                topic=rng.choice(words.OFFER_TOPICS),
                message=" ".join(rng.sample(words.BODY_SENTENCES, 2)),
                offered_by=rng.choice(self.staff),
                status=status,
                created_at=created,
            )
            if status in (OfferStatus.ACCEPTED, OfferStatus.DECLINED) and team:
                offer.decided_by_id = rng.choice(team)
                offer.decided_at = created + (self.now - created) * rng.uniform(0.01, 0.2)
                if status == OfferStatus.DECLINED:
                    offer.decline_reason = rng.choice(words.DECLINE_REASONS)
            elif status in (OfferStatus.ACCEPTED, OfferStatus.DECLINED):
                offer.status = OfferStatus.PENDING
            elif status == OfferStatus.WITHDRAWN:
                offer.decided_by = offer.offered_by
                offer.decided_at = created + (self.now - created) * rng.uniform(0.01, 0.2)
            rows.append(offer)
        return _bulk(Offer, rows, self.report, "offres d'aide")

    def _offer_ticket(self, rng: random.Random, offer: Offer) -> dict:
        """The request `offer_accept` opens: owned by the team, handled by whoever offered, answered at once."""
        product = self.product_by_pk[offer.product_id]
        created = offer.decided_at
        helper = self.staff_by_pk[offer.offered_by_id]
        member = self.user_names[offer.decided_by_id]
        plan = self._timeline(rng, created, confidential=False, answered_at=created)
        plan["ticket"] = Ticket(
            kind=Kind.SOUTIEN,
            subject=f"Offre d'aide : {offer.topic}"[:200],
            body=offer.message,
            product_id=product.pk,
            team_owned=True,
            requester_id=offer.decided_by_id,
            channel=Channel.OFFER,
            assignee_id=helper.pk,
            pole_id=self._pole_of(helper.pk),
            routing_reason=(
                f"attribuée à {_person_name(helper)} : offre d'aide acceptée par {member} pour l'équipe de "
                f"{product.name}"
            )[:500],
            created_at=created,
            **plan.pop("fields"),
        )
        plan["journal"] = {
            "actor_id": offer.decided_by_id,
            "message": f"Demande {{ref}} ouverte : offre d'aide acceptée par l'équipe de {product.name}, suivie par "
            f"{_person_name(helper)}",
            "visibility": Visibility.INTERNAL,
            "data": {"kind": Kind.SOUTIEN.value, "assignee": helper.username, "offer": offer.pk},
        }
        return plan

    def _pole_of(self, user_pk: int) -> int | None:
        if not hasattr(self, "_poles"):
            self._poles: dict[int, int] = {}
            for position in Position.objects.current().order_by("-order", "-pk"):
                self._poles[position.person_id] = position.pole_id  # the first by (order, pk) wins
        return self._poles.get(user_pk)

    def _request(self, rng: random.Random, index: int, kind: str) -> dict:
        info = KIND_INFO[kind]
        marked = not info.confidential and (index == len(KIND_WEIGHTS) or rng.random() < MARKED_CONFIDENTIAL)
        confidential = info.confidential or marked
        topic = rng.choice(Topic.values) if info.needs_topic else ""
        product = rng.choice(self.products) if info.asks_product and rng.random() < 0.85 else None
        if product is not None and self.team[product.pk]:
            requester = rng.choice(self.team[product.pk])
        else:
            product = None
            requester = rng.choice(self.member_users)
        ministry = rng.choice(self.ministry_codes) if info.asks_ministry else ""
        channel = rng.choices(
            [Channel.WEB, Channel.API, Channel.PHONE, Channel.EMAIL, Channel.MEETING], weights=[80, 8, 5, 5, 2]
        )[0]
        recorded_by = rng.choice(self.staff).pk if channel in (Channel.PHONE, Channel.EMAIL, Channel.MEETING) else None

        # When: the first requests are an overdue one, a closed one and one in progress, whatever the scale.
        forced = {0: ("new", 3.0), 1: ("closed", 40.0), 2: ("in-progress", 5.0)}.get(index)
        if forced:
            age = forced[1]
        elif rng.random() < 0.15:
            age = rng.uniform(0.02, 10)
        else:
            age = rng.uniform(10, 730)
        created = self.at(age)

        if confidential:
            recipient = rng.choice(self.staff)
            assignee_id, pole_id, portfolio_id, copied = recipient.pk, None, None, []
            assignee_username = recipient.username
            reason = f"attribuée à {_person_name(recipient)} : personne choisie par l'auteur de la demande"
        else:
            routing, reason = self._route(kind, topic, product, ministry)
            assignee_id, pole_id, portfolio_id = routing.assignee_id, routing.pole_id, routing.portfolio_id
            copied = routing.copied
            assignee_username = routing.assignee_username
        plan = self._timeline(rng, created, confidential=confidential, forced=forced[0] if forced else None)
        subject = rng.choice(words.SUBJECTS[kind]).format(product=product.name if product else "notre produit")
        plan["ticket"] = Ticket(
            kind=kind,
            topic=topic,
            subject=subject[:200],
            body=" ".join(rng.sample(words.BODY_SENTENCES, rng.randint(2, 4))),
            product_id=product.pk if product else None,
            ministry=ministry,
            confidential=confidential,
            requester_id=requester,
            recorded_by_id=recorded_by,
            channel=channel,
            assignee_id=assignee_id,
            pole_id=pole_id,
            portfolio_id=portfolio_id,
            routing_reason=reason,
            created_at=created,
            **plan.pop("fields"),
        )
        plan["copied"] = copied
        if confidential:
            plan["participants"] = [(assignee_id, requester, created)]
            if rng.random() < 0.2:
                other = rng.choice(self.staff).pk
                if other != assignee_id:
                    plan["participants"].append((other, assignee_id, created + (self.now - created) * 0.1))
        label = Kind(kind).label
        by = ""
        if recorded_by is not None:
            by = f", enregistrée par {_person_name(self.staff_by_pk[recorded_by])} pour {self.user_names[requester]}"
        plan["journal"] = {
            "actor_id": recorded_by or requester,
            "message": (
                "Demande confidentielle {ref} déposée"
                if confidential
                else f"Demande {{ref}} déposée ({label}) — {reason}"
            )
            + by,
            "visibility": Visibility.CONFIDENTIAL if confidential else Visibility.INTERNAL,
            "data": {"kind": kind, "assignee": assignee_username},
        }
        return plan

    def _timeline(
        self,
        rng: random.Random,
        created: datetime.datetime,
        *,
        confidential: bool,
        forced: str | None = None,
        answered_at: datetime.datetime | None = None,
    ) -> dict:
        """Status, dates and thread of a request created at `created`: what its people and the housekeeping
        (reminders, escalation, closing after GUICHET_AUTOCLOSE_DAYS) would have written by now."""
        now = self.now
        status = _status(
            rng, recent=now - created < datetime.timedelta(days=10), forced=forced, answered_at=answered_at
        )
        due = workdays.first_response_due(created)
        events: list[tuple[datetime.datetime, str]] = []  # (when, "staff" | "requester" | "note")
        first = resolved = closed = None
        if status != Status.NEW:
            first = answered_at or created + datetime.timedelta(hours=rng.uniform(0.3, 36))
            if first >= now:
                first = created + (now - created) * rng.uniform(0.1, 0.5)
            if answered_at is None:
                events.append((first, "staff"))
            bound = now
            if status in (Status.RESOLVED, Status.CLOSED):
                longest = min((now - first) * 0.9, datetime.timedelta(days=45))
                resolved = first + longest * rng.uniform(0.05, 1)
                bound = resolved
                if status == Status.CLOSED:
                    autoclose = resolved + datetime.timedelta(days=14)
                    closed = autoclose if autoclose <= now else resolved + (now - resolved) * rng.random()
            for turn in range(rng.randint(0, 3)):
                events.append(
                    (first + (bound - first) * rng.uniform(0.05, 0.95), "requester" if turn % 2 == 0 else "staff")
                )
            if status == Status.WAITING:
                events.append((first + (bound - first) * 0.97, "staff"))
        elif rng.random() < 0.1:
            events.append((created + (now - created) * rng.uniform(0.1, 0.9), "requester"))
        if rng.random() < (0.1 if confidential else 0.25) or forced == "in-progress":
            end = resolved or now
            events.append((created + (end - created) * rng.uniform(0.05, 0.95), "note"))
        events.sort(key=lambda event: event[0])

        reminder, escalated = self._housekeeping(rng, created, due, first, confidential=confidential)
        version = 1 + {Status.NEW: 0, Status.IN_PROGRESS: 1, Status.WAITING: 2, Status.RESOLVED: 2}.get(status, 3)
        return {
            "fields": {
                "status": status,
                "first_response_at": first,
                "resolved_at": resolved,
                "closed_at": closed,
                "reminder_sent_at": reminder,
                "escalated_at": escalated,
                "version": version,
                "first_response_due": due,
            },
            "events": events,
            "reads": rng.randint(1, 3),
        }

    def _housekeeping(
        self,
        rng: random.Random,
        created: datetime.datetime,
        due: datetime.datetime,
        first: datetime.datetime | None,
        *,
        confidential: bool,
    ) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        """When `tick()` would have reminded the assignee and told the pole lead (never for a confidential request)
        about a request created at `created`, first answered at `first` (None: not yet)."""
        now = self.now
        remind = max(created, due - datetime.timedelta(minutes=120))
        unanswered_until = first or now
        reminder = remind if remind <= now and unanswered_until > remind else None
        escalated = None
        if not confidential and due <= now and unanswered_until > due:
            escalated = min(now, due + datetime.timedelta(minutes=rng.randint(1, 30)))
            if first is not None and escalated > first:
                escalated = None
        return reminder, escalated

    def _write_requests(self, plans: list[dict], offers: list, ticket_type, offer_type) -> None:
        rng = self.thread_rng
        # References are drawn at random (the model's default): among 1,000,000 of them two may be equal (a birthday
        # clash in ~10^12 values), which the unique index refuses. The app's insert would draw again; here the
        # clashing ones are drawn again before writing.
        taken = set(Ticket.objects.values_list("reference", flat=True))
        for plan in plans:
            while plan["ticket"].reference in taken:
                plan["ticket"].reference = new_reference()
            taken.add(plan["ticket"].reference)
        tickets = _bulk(Ticket, [plan["ticket"] for plan in plans], self.report, "demandes")
        messages, participants, reads, copied, journal = [], [], [], [], []
        for ticket, plan, offer in zip(tickets, plans, offers, strict=True):
            handler = ticket.assignee_id or rng.choice(self.staff).pk  # nobody was found: someone took it
            for when, who in plan["events"]:
                if who == "requester":
                    author, body, internal = ticket.requester_id, rng.choice(words.REPLIES_REQUESTER), False
                elif who == "staff":
                    author, body, internal = handler, rng.choice(words.REPLIES_STAFF), False
                else:
                    author = handler if ticket.confidential or rng.random() < 0.5 else rng.choice(self.staff).pk
                    body, internal = rng.choice(words.NOTES), True
                messages.append((ticket.pk, author, body, internal, when))
            for user_id, added_by, added_at in plan.get("participants", []):
                participants.append(
                    Participant(ticket=ticket, user_id=user_id, added_by_id=added_by, added_at=added_at)
                )
                for _ in range(plan["reads"]):
                    at = added_at + (self.now - added_at) * rng.random()
                    reads.append((ticket.pk, user_id, at))
            for user_id in plan.get("copied", []):
                copied.append((ticket.pk, user_id))
            entry = plan["journal"]
            journal.append(
                (
                    ticket.created_at,
                    entry["actor_id"],
                    "guichet.ticket_submitted",
                    entry["message"].replace("{ref}", ticket.reference),
                    entry["visibility"],
                    ticket_type.pk,
                    str(ticket.pk),
                    str(ticket),
                    entry["data"],
                )
            )
            if offer is not None:
                offer.ticket_id = ticket.pk
                journal.append(
                    (
                        ticket.created_at,
                        offer.decided_by_id,
                        "guichet.offer_accepted",
                        f"L'équipe de {self.product_by_pk[offer.product_id].name} a accepté l'aide proposée : "
                        f"{offer.topic} ({ticket.reference})",
                        Visibility.INTERNAL,
                        offer_type.pk,
                        str(offer.pk),
                        str(offer)[:300],
                        {"ticket": ticket.pk},
                    )
                )
        accepted = [offer for offer in offers if offer is not None]
        if accepted:
            Offer.objects.bulk_update(accepted, ["ticket"], batch_size=BATCH)
        # The big tables as plain tuples (no instance per row): the same rows as the instances would give.
        _rows(Message, MESSAGE_FIELDS, messages, self.report, "messages")
        _bulk(Participant, participants, self.report, "personnes ayant accès")
        _rows(Read, ("ticket", "user", "at"), reads, self.report, "consultations")
        _rows(Ticket.copied.through, ("ticket", "user"), copied, self.report, "personnes en copie")
        _rows(JournalEntry, JOURNAL_FIELDS, journal, self.report, "entrées du journal")

    # --- Programmes ----------------------------------------------------------------------------------------

    def create_programmes(self) -> None:
        rng = self.rng("programmes")
        programmes = list(Programme.objects.order_by("order", "pk"))
        if not programmes:
            raise ValueError("Les programmes ne sont pas chargés : manage.py load_programmes.")
        states = ["open", "published", "review", "upcoming"]
        calls = []
        for index in range(4 + min(self.scale // 25, 20)):
            programme = programmes[index % len(programmes)]
            state = states[index % len(states)]
            days = datetime.timedelta(days=1)
            if state == "open":
                opens, closes = self.now - 10 * days, self.now + 20 * days
            elif state == "upcoming":
                opens, closes = self.now + 15 * days, self.now + 45 * days
            elif state == "review":
                opens, closes = self.now - 60 * days, self.now - 5 * days
            else:
                opens = self.now - (200 + 30 * index) * days
                closes = opens + 30 * days
            envelope = rng.choice([500_000, 1_000_000, 2_000_000])
            association = programme.slug == "aic"
            calls.append(
                Call(
                    programme=programme,
                    title=f"{programme.name.split(' — ')[0]} {opens.year}, appel {index + 1} {CALL_MARK}",
                    description="Un appel du jeu de données synthétique.",
                    opens_at=opens,
                    closes_at=closes,
                    applicant_type=ApplicantType.ASSOCIATION if association else ApplicantType.PRODUCT,
                    envelope=envelope,
                    cap=envelope // 4,
                    max_cofinancing_share=50,
                    results_published_at=closes + 40 * days if state == "published" else None,
                    created_by=rng.choice(self.staff),
                    created_at=opens - 30 * days,
                )
            )
        calls = _bulk(Call, calls, self.report, "appels")
        questions, eligibility, criteria = [], [], []
        for call in calls:
            questions += [
                Question(call=call, key="probleme", label="Le problème, chiffré", type="texte-long", order=0),
                Question(call=call, key="impact", label="L'impact mesuré", type="texte-long", order=1),
                Question(call=call, key="stats", label="Page de statistiques", type="url", required=False, order=2),
            ]
            eligibility += [
                EligibilityCriterion(call=call, label="Phase active", verification=EligibilityCheck.ACTIVE_PHASE),
                EligibilityCriterion(
                    call=call, label="Code source ouvert", verification=EligibilityCheck.PUBLIC_REPOSITORY, order=1
                ),
                EligibilityCriterion(
                    call=call, label="Stratégie de passage à l'échelle", verification=EligibilityCheck.MANUAL, order=2
                ),
            ]
            for order, (label, weight) in enumerate([("Impact", 3), ("Maturité", 2), ("Ambition", 2), ("Soutien", 1)]):
                criteria.append(SelectionCriterion(call=call, label=label, weight=weight, order=order))
        _bulk(Question, questions, self.report, "questions")
        eligibility = _bulk(EligibilityCriterion, eligibility, self.report, "critères d'éligibilité")
        criteria = _bulk(SelectionCriterion, criteria, self.report, "critères de sélection")
        eligibility_of, criteria_of = defaultdict(list), defaultdict(list)
        for criterion in eligibility:
            eligibility_of[criterion.call_id].append(criterion)
        for criterion in criteria:
            criteria_of[criterion.call_id].append(criterion)

        open_calls = [(call, states[i % len(states)]) for i, call in enumerate(calls) if states[i % 4] != "upcoming"]
        order_of = {call.pk: rng.sample(range(len(self.products)), len(self.products)) for call, _ in open_calls}
        granted: dict[int, int] = defaultdict(int)
        applications, reviews = [], []
        for index in range(max(2, self.scale // 2)):
            call, state = open_calls[index % len(open_calls)]
            application = self._application(rng, call, state, order_of[call.pk], eligibility_of[call.pk], granted)
            if application is not None:
                applications.append(application)
        applications = _bulk(Application, applications, self.report, "candidatures")
        statuses = {
            ApplicationStatus.UNDER_REVIEW: 1,
            ApplicationStatus.IN_COMMITTEE: 2,
            ApplicationStatus.LAUREATE: 2,
            ApplicationStatus.NOT_SELECTED: 2,
            ApplicationStatus.AGREEMENT: 2,
            ApplicationStatus.SUPPORT: 2,
            ApplicationStatus.DONE: 2,
        }
        for application in applications:
            for reviewer in rng.sample(self.staff, min(len(self.staff), statuses.get(application.status, 0))):
                reviews.append(
                    Review(
                        application=application,
                        reviewer=reviewer,
                        scores={str(c.pk): rng.randint(1, 5) for c in criteria_of[application.call_id]},
                        comment="Dossier solide." if rng.random() < 0.5 else "Impact à mieux mesurer.",
                        submitted_at=min(
                            self.now, application.submitted_at + datetime.timedelta(days=rng.randint(3, 20))
                        ),
                    )
                )
        _bulk(Review, reviews, self.report, "évaluations")

    def _application(self, rng, call: Call, state: str, order: list, criteria: list, granted: dict):
        if call.applicant_type == ApplicantType.ASSOCIATION:
            product, applicant = None, rng.choice(self.member_users)
            name = f"Association {rng.choice(words.LAST_NAMES)}"
        else:
            if not order:
                return None
            product = self.products[order.pop()]
            team = self.team[product.pk]
            applicant = rng.choice(team) if team else rng.choice(self.member_users)
            name = ""
        if state == "open":
            status = rng.choice([ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED])
        elif state == "review":
            status = rng.choices(
                [
                    ApplicationStatus.SUBMITTED,
                    ApplicationStatus.UNDER_REVIEW,
                    ApplicationStatus.IN_COMMITTEE,
                    ApplicationStatus.INADMISSIBLE,
                ],
                weights=[2, 4, 3, 1],
            )[0]
        else:
            status = rng.choices(
                [
                    ApplicationStatus.LAUREATE,
                    ApplicationStatus.NOT_SELECTED,
                    ApplicationStatus.INADMISSIBLE,
                    ApplicationStatus.AGREEMENT,
                    ApplicationStatus.SUPPORT,
                    ApplicationStatus.DONE,
                ],
                weights=[25, 40, 10, 10, 10, 5],
            )[0]
        budget = rng.randrange(100_000, 1_200_000, 10_000)
        requested = min(call.cap, budget * call.max_cofinancing_share // 100)
        amount_granted = None
        if status in (
            ApplicationStatus.LAUREATE,
            ApplicationStatus.AGREEMENT,
            ApplicationStatus.SUPPORT,
            ApplicationStatus.DONE,
        ):
            if granted[call.pk] + requested <= call.envelope:
                amount_granted = requested
                granted[call.pk] += requested
            else:
                status = ApplicationStatus.NOT_SELECTED  # the envelope is spent
        # Created in the first half of the window, submitted later on; never in the future (an open call).
        window = min(call.closes_at, self.now) - call.opens_at
        created = call.opens_at + window * rng.uniform(0, 0.5)
        submitted = None
        if status != ApplicationStatus.DRAFT:
            submitted = created + window * rng.uniform(0, 0.45)
        answers = {"probleme": " ".join(rng.sample(words.DESCRIPTION_SENTENCES, 2))}
        if status != ApplicationStatus.DRAFT or rng.random() < 0.5:
            answers["impact"] = rng.choice(words.DESCRIPTION_SENTENCES)
            answers["stats"] = product.stats_url if product else ""
        eligibility = {}
        if submitted is not None:
            for criterion in criteria:
                if criterion.verification == EligibilityCheck.ACTIVE_PHASE:
                    value = product is not None and product.phase in ACTIVE_PHASES
                elif criterion.verification == EligibilityCheck.MANUAL:
                    value = None if status == ApplicationStatus.SUBMITTED else status != ApplicationStatus.INADMISSIBLE
                else:
                    value = programme_rules.check_eligibility(criterion.verification, product)
                eligibility[str(criterion.pk)] = value
        decided = status in (
            ApplicationStatus.LAUREATE,
            ApplicationStatus.NOT_SELECTED,
            ApplicationStatus.AGREEMENT,
            ApplicationStatus.SUPPORT,
            ApplicationStatus.DONE,
        )
        return Application(
            call=call,
            product_id=product.pk if product else None,
            applicant_id=applicant,
            applicant_name=name,
            answers=answers,
            stated_budget=budget,
            amount_requested=requested,
            status=status,
            eligibility=eligibility,
            amount_granted=amount_granted,
            decision_reasons="Impact démontré, équipe solide." if decided else "",
            decided_by=rng.choice(self.staff) if decided else None,
            decided_at=call.closes_at + datetime.timedelta(days=20) if decided else None,
            submitted_at=submitted,
            created_at=created,
            version=1 if status == ApplicationStatus.DRAFT else 2,
        )

    def create_committees(self) -> None:
        """Comités d'investissement of some products in an active phase, each with its committee event (as
        `committee_record` writes them); some are overdue."""
        rng = self.rng("committees")
        committees, events = [], []
        for product in self.products:
            if product.phase not in ACTIVE_PHASES or rng.random() >= 0.3:
                continue
            date = self.today - datetime.timedelta(days=rng.randint(10, 330))
            dates = [date]
            if rng.random() < 0.4:
                dates.insert(0, date - datetime.timedelta(days=rng.randint(150, 200)))
            for order, day in enumerate(dates, start=1):
                if day < product.phase_start:
                    continue
                decision = rng.choices(list(CommitteeDecision), weights=[7, 2, 1])[0]
                if day != dates[-1] and decision == CommitteeDecision.STOP:
                    decision = CommitteeDecision.CONTINUE
                committees.append(
                    Committee(
                        product_id=product.pk,
                        date=day,
                        attendees=words.COMMITTEE_ATTENDEES,
                        decision=decision,
                        budget_requested=rng.randrange(200_000, 900_000, 50_000),
                        budget_granted=rng.randrange(100_000, 600_000, 50_000)
                        if decision != CommitteeDecision.STOP
                        else None,
                        next_due=next_committee_due(day, decision),
                        recorded_by=rng.choice(self.staff),
                        created_at=datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC),
                    )
                )
                events.append(
                    Event(
                        product_id=product.pk,
                        name=EventName.COMMITTEE,
                        date=day,
                        comment=CommitteeDecision(decision).label,
                        order=order,
                    )
                )
        _bulk(Committee, committees, self.report, "comités")
        _bulk(Event, events, self.report, "événements")

    # --- Recruitment, checklists, attachments --------------------------------------------------------------

    def create_job_posts(self) -> None:
        """max(5, N/2) job posts of synthetic products, in turn: a public job, a public freelance mission, one open
        to the community only, one past its unpublishing date, one filled; the journal's PUBLIC rows of the posts
        that were published or closed after being published (as `recruitment.services` writes them)."""
        rng = self.rng("recruitment")
        post_type = ContentType.objects.get_for_model(JobPost)
        days = datetime.timedelta
        posts = []
        for index in range(max(5, self.scale // 2)):
            state = ("public", "mission", "community", "expired", "filled")[index % 5]
            product = self.products[index % len(self.products)]
            team = self.team[product.pk]
            # Public a week after being opened to the community: the community-only one was opened days ago.
            age = {"expired": (90, 200), "community": (1, 5)}.get(state, (8, 60))
            opened = self.today - days(days=rng.randint(*age))
            mission = state == "mission" or (state != "public" and rng.random() < 0.3)
            role, domaine = rng.choice(words.ROLES)
            public = state != "community"
            published = self.at((self.today - opened).days - 7) if public else None
            closed = self.at(rng.uniform(0.5, 4)) if state == "filled" else None
            posts.append(
                JobPost(
                    title=f"{role} pour {product.name}"[:200],
                    kind=PostKind.MISSION if mission else PostKind.EMPLOI,
                    contracting_body="Marché Design et développement (synthétique)" if mission else "",
                    product_id=product.pk,
                    domaines=[domaine],
                    technos=rng.sample(words.TECHNOS, rng.randint(0, 2)),
                    junior=rng.random() < 0.2,
                    contract="" if mission else rng.choice(list(Contract)),
                    place=rng.choice(["Paris", "Lyon", "Nantes", "Lille", "Toulouse"]),
                    workplace=rng.choice(list(Workplace)),
                    description=" ".join(rng.sample(words.DESCRIPTION_SENTENCES, 3)),
                    contacts=f"recrutement@{product.ghid}.{EMAIL_DOMAIN}",
                    apply_url=f"https://{product.ghid}.{EMAIL_DOMAIN}/candidater",
                    community_from=opened,
                    public_from=opened + days(days=7),
                    unpublish_on=opened + days(days=45 if state == "expired" else 120),
                    status={"community": PostStatus.COMMUNAUTE, "filled": PostStatus.POURVU}.get(
                        state, PostStatus.PUBLIC
                    ),
                    author_id=rng.choice(team) if team else None,
                    created_at=self.at((self.today - opened).days + 1),
                    updated_at=closed or published or self.at((self.today - opened).days),
                    announced_at=self.at((self.today - opened).days),
                    published_at=published,
                    closed_at=closed,
                )
            )
        posts = _bulk(JobPost, posts, self.report, "offres d'emploi")
        journal = []
        for post in posts:
            name = self.product_by_pk[post.product_id].name
            events = [(post.published_at, "recruitment.published", f"Le poste « {post.title} » ({name}) est publié.")]
            if post.closed_at is not None:
                events.append(
                    (post.closed_at, "recruitment.closed", f"Le poste « {post.title} » ({name}) est pourvu.")
                )
            for at, action, message in events:
                if at is None:
                    continue
                journal.append(
                    JournalEntry(
                        at=at,
                        actor_id=None,
                        action=action,
                        message=message,
                        visibility=Visibility.PUBLIC,
                        content_type=post_type,
                        object_id=str(post.pk),
                        object_repr=post.title[:300],
                        data={"status": PostStatus.POURVU.value} if action == "recruitment.closed" else {},
                    )
                )
        _bulk(JournalEntry, journal, self.report, "entrées du journal")

    def create_checklist_ticks(self) -> None:
        """One member in TICKING ticked the first steps of their onboarding checklist (those of the Pôle Animation
        by a staff member)."""
        rng = self.rng("checklists")
        ticks = []
        for member_id, user_id, domaine in self.ticking:
            steps = checklists.items_for(Checklist.ONBOARDING, domaine)
            for item in steps[: rng.randint(1, min(4, len(steps)))]:
                ticks.append(
                    ChecklistTick(
                        member_id=member_id,
                        checklist=Checklist.ONBOARDING,
                        item=item.key,
                        done_at=self.at(rng.uniform(1, 60)),
                        done_by_id=rng.choice(self.staff).pk if item.animation_only else user_id,
                    )
                )
        _bulk(ChecklistTick, ticks, self.report, "étapes cochées")

    def create_attachments(self) -> None:
        """A tiny text file on some requests that are not confidential (one in ten, at most ATTACHMENTS_MAX), in
        the attachments' storage, as the requester uploaded it with the request."""
        synthetic = Ticket.objects.filter(requester__email__endswith="@" + EMAIL_DOMAIN, confidential=False)
        tickets = list(synthetic.order_by("pk").values_list("pk", "requester_id", "created_at")[: self._attachments()])
        storage = attachment_storage()
        rows = []
        for index, (ticket_id, requester_id, created_at) in enumerate(tickets):
            content = f"Pièce jointe synthétique n°{index + 1}.\n".encode()
            path = storage.save(attachment_upload_to(None, "piece.txt"), ContentFile(content))
            rows.append(
                Attachment(
                    ticket_id=ticket_id,
                    file=path,
                    name=f"piece-jointe-{index + 1}.txt",
                    content_type="text/plain",
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                    uploaded_by_id=requester_id,
                    created_at=created_at,
                )
            )
        _bulk(Attachment, rows, self.report, "pièces jointes")

    def _attachments(self) -> int:
        return min(ATTACHMENTS_MAX, max(3, self.scale))
