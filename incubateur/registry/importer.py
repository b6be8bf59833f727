"""Import the beta.gouv.fr content tree into the registry (`manage.py import_betagouv PATH`).

Two stages, so that nothing is written unless everything can be:

1. `read_tree(content)` reads every file once (libyaml), checks its fields, then the references between files
   (sponsors, incubators, products of a mission, teams…). Nothing is written. Every problem is collected with
   its file, its line when known and its field:
   - an **error** refuses the whole import: invalid YAML, a required field missing, an impossible date, an end
     not after its start, a value outside a closed list (phase, domaine…), a value of the wrong type, a text or
     an identifier (the file's name) too long for its column;
   - a **warning** imports the file as well as can be: a file without `.md`, a reference to nothing (dropped,
     or kept as written where the model keeps text), a duplicate list entry (kept once), a front-matter key
     the registry does not know (kept in `extra`, written back by the export).
2. `import_betagouv(...)` writes it in one transaction: upserts by identifier (`ghid`, a member's username),
   comparing with the rows read in memory (JSON as the database gives it back: jsonb turns `1e+300` into an
   int), bulk writes only; then one `cache.bump()` (bulk writes fire no signals) and one internal journal row.
   Rows that are not in the tree are left as they are.

Normalisation (so that `import(export(x))` changes nothing): text fields are stripped of surrounding
whitespace (`link: 'https://… '` is stored without its trailing space); Markdown bodies are kept as written
(a blank body is empty); lists keep their order; dates in `extra` are kept as ISO text.
"""

import datetime
import decimal
import functools
import math
import os
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.validators import EmailValidator
from django.db import connections, models, router, transaction
from django.utils.module_loading import import_string

from incubateur.accounts.models import normalize_email
from incubateur.core import journal
from incubateur.core.ministries import MINISTRIES
from incubateur.core.models import Visibility
from incubateur.registry import cache
from incubateur.registry.enums import Domaine, EventName, MemberType, MissionStatus, OrganisationType, PhaseName
from incubateur.registry.frontmatter import FrontMatterError, InvalidDate
from incubateur.registry.frontmatter import parse as parse_front_matter
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

# --- The tree -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str  # organisations, incubators, products, members, teams
    folder: str  # _organisations…
    label: str  # French, plural


KINDS = [
    Kind("organisations", "_organisations", "organisations"),
    Kind("incubators", "_incubators", "incubateurs"),
    Kind("products", "_startups", "produits"),
    Kind("members", "_authors", "membres"),
    Kind("teams", "_teams", "équipes"),
]
KIND = {kind.name: kind for kind in KINDS}
FOLDER_ORDER = {kind.folder: i for i, kind in enumerate(KINDS)}

# Organisations and teams have no Markdown field: a body is kept in `extra` under this key (never a front-matter
# key: a file that has one is refused).
BODY_KEY = "_body"

# Keys Jekyll itself reads, on any page: kept in `extra` without a warning.
JEKYLL_KEYS = {"layout", "permalink", "published", "sitemap", "redirect_from", "redirect_to", "robots"}
# Keys beta.gouv.fr or espace-membre write that the registry does not model: kept in `extra` without a warning.
KNOWN_EXTRA_KEYS = {
    "organisations": set(),
    "incubators": {"hidden"},
    "products": set(
        "rgpd roadmap_url tech_audit_url ecodesign_url dsfr_status has_mobile_app is_private_url mailing_list".split()
    ),
    # `startups` and `previously`: the products of the oldest fiches, before missions had their own.
    "members": {"badges", "previously", "startups"},
    "teams": set(),
}

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

# Front-matter keys read into model fields (anything else goes to `extra`).
MODELLED_KEYS = {
    "organisations": {"name", "acronym", "domaine_ministeriel", "type"},
    "incubators": set(
        "title short_description owner contact address website github logo highlighted_startups".split()
    ),
    "products": set(
        "title mission contact link repository stats stats_url budget_url impact_url dashlord_url "
        "accessibility_status analyse_risques analyse_risques_url mon_service_securise thematiques usertypes techno "
        "sponsors incubator incubators contact_dinum contact_incubator fast redirect_from phases events".split()
    ),
    "members": set("fullname role domaine link github avatar competences memberType missions teams".split()),
    "teams": {"name", "mission", "incubator"},
}
MISSION_KEYS = {"start", "end", "status", "employer", "startups"}
PHASE_KEYS = {"name", "start", "end", "comment"}
EVENT_KEYS = {"name", "date", "comment"}
FAST_KEYS = {"promotion", "montant"}

# Reference prefixes as beta.gouv.fr writes them (`sponsors: [/organisations/dinum]`); a bare id is read too.
PREFIXES = {
    "organisations": ("/organisations/",),
    "incubators": ("/incubators/", "/incubateurs/"),
    "teams": ("/teams/",),
    "products": ("/startups/",),
    "members": ("/authors/", "/membres/"),
}

# Closed lists, computed once (an enum's `.values` is rebuilt at each access).
MINISTRY_VALUES = tuple(MINISTRIES)
ORGANISATION_TYPES = tuple(OrganisationType.values)
DOMAINES = tuple(Domaine.values)
MEMBER_TYPES = tuple(MemberType.values)
MISSION_STATUSES = tuple(MissionStatus.values)
PHASE_NAMES = tuple(PhaseName.values)
EVENT_NAMES = tuple(EventName.values)

_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_FORBIDDEN = re.compile(r"[\x00\ud800-\udfff]")  # a NUL (PostgreSQL refuses it) or a lone surrogate (not UTF-8)
_EMAIL_USER = EmailValidator.user_regex
MAX_EXTRA_NODES = 100_000  # an alias bomb in `extra` is refused rather than expanded
MAX_ITEMS = 32767  # a list's positions are stored in PositiveSmallIntegerField columns (`order`)


@functools.cache
def _max_length(model, name: str) -> int | None:
    return model._meta.get_field(name).max_length


@functools.cache
def _identifier_max_length(kind: str) -> int:
    """A file's identifier is its row's key: a `ghid`, or a member's username (also its account's)."""
    if kind == "members":
        return min(_max_length(Member, "username"), _max_length(get_user_model(), "username"))
    model = {"organisations": Organisation, "incubators": Incubator, "products": Product, "teams": Team}[kind]
    return _max_length(model, "ghid")


def _identifier_problem(kind: str, ident: str) -> str | None:
    """Why a file's identifier (its name without `.md`) cannot be its row's key; None when it can."""
    if _FORBIDDEN.search(ident):
        return "caractère interdit dans l'identifiant (caractère nul ou code Unicode isolé)"
    limit = _identifier_max_length(kind)
    if len(ident) > limit:
        return f"identifiant trop long : {limit} caractères au plus ({len(ident)} donnés)"
    return None


# --- Problems -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    file: str  # relative to the content folder: `_authors/camille.martin.md`
    message: str
    field: str = ""  # `missions[1].start`
    line: int | None = None
    warning: bool = False

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    @property
    def sort_key(self):
        folder = self.file.split("/", 1)[0]
        return (FOLDER_ORDER.get(folder, len(FOLDER_ORDER)), self.file, self.line or 0)


class ImportRefused(Exception):
    """Nothing was written. `problems` lists every error (and the warnings, for the record)."""

    def __init__(self, problems: list[Problem], *, strict: bool = False):
        self.problems = sorted(problems, key=lambda p: p.sort_key)
        self.strict = strict
        super().__init__(self.render())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if self.strict or not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [] if self.strict else [p for p in self.problems if p.warning]

    def render(self) -> str:
        errors = self.errors
        lines = [
            f"Rien n'a été importé : {len(errors)} erreur(s)"
            + (" (--strict : les avertissements comptent)" if self.strict else "")
            + "."
        ]
        lines += [str(p) for p in errors]
        if self.warnings:
            lines.append(f"Avertissements ({len(self.warnings)}) :")
            lines += [f"  {p}" for p in self.warnings]
        return "\n".join(lines)


def _field_name(path: tuple) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


# --- Reading one file ------------------------------------------------------------------------------------


class _File:
    """One file being read: its front matter, and the problems found in it."""

    def __init__(self, kind: Kind, rel: str, ident: str, doc, problems: list[Problem]):
        self.kind = kind
        self.rel = rel
        self.ident = ident
        self.doc = doc
        self.data = doc.data
        self.problems = problems
        self.overflow: dict[str, str] = {}  # optional texts too long for their field, kept in `extra` instead

    def problem(self, path: tuple, message: str, *, warning: bool = False) -> None:
        line = self.doc.line_of(*path) if path else None
        self.problems.append(Problem(self.rel, message, _field_name(path), line, warning))

    def warn(self, path: tuple, message: str) -> None:
        self.problem(path, message, warning=True)

    # Values

    def text(
        self, value, path: tuple, *, required: bool = False, max_length: int | None = None, keep: bool = False
    ) -> str:
        """A text, stripped. With `keep` (an optional top-level key), a text too long for its field is kept as
        written in `extra` (a warning): an avatar can be a whole image as a `data:` URI."""
        if isinstance(value, str) and not isinstance(value, InvalidDate):
            value = value.strip()
        elif value is None:
            value = ""
        elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            value = str(value)
        elif isinstance(value, InvalidDate | datetime.date):
            value = str(value)
        else:
            self.problem(path, f"un texte est attendu ({describe(value)} trouvé)")
            return ""
        if not value:
            if required:
                self.problem(path, "champ obligatoire manquant")
            return ""
        if _FORBIDDEN.search(value):
            self.problem(path, "caractère interdit (caractère nul ou code Unicode isolé)")
            return ""
        if max_length and len(value) > max_length:
            if keep and not required and len(path) == 1:
                self.warn(path, f"{max_length} caractères au plus ({len(value)} donnés) : conservé dans extra")
                self.overflow[path[0]] = value
            else:
                self.problem(path, f"{max_length} caractères au plus ({len(value)} donnés)")
            return ""
        return value

    def body(self) -> str:
        body = self.doc.body
        if not body.strip():
            return ""
        if _FORBIDDEN.search(body):
            self.problems.append(
                Problem(self.rel, "caractère interdit dans le texte (caractère nul)", line=self.doc.body_line)
            )
            return ""
        return body

    def choice(self, value, path: tuple, allowed, what: str, *, required: bool = False) -> str:
        value = self.text(value, path, required=required)
        if value and value not in allowed:
            self.problem(path, f"« {value} » n'est pas {what} (possibles : {', '.join(allowed)})")
            return ""
        return value

    def flag(self, value, path: tuple) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        self.problem(path, f"true ou false est attendu ({describe(value)} trouvé)")
        return None

    def integer(self, value, path: tuple, *, maximum: int) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(path, f"un nombre entier est attendu ({describe(value)} trouvé)")
            return None
        if not 0 <= value <= maximum:
            self.problem(path, f"un nombre entre 0 et {maximum} est attendu ({value} trouvé)")
            return None
        return value

    def date(self, value, path: tuple, *, required: bool = False) -> datetime.date | None:
        if isinstance(value, InvalidDate):
            self.problem(path, f"date impossible : {value}")
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if value is None or value == "":
            if required:
                self.problem(path, "champ obligatoire manquant")
            return None
        if isinstance(value, str):
            text = value.strip()
            if _DATE_TEXT.fullmatch(text):
                try:
                    return datetime.date.fromisoformat(text)
                except ValueError:
                    self.problem(path, f"date impossible : {text}")
                    return None
            self.problem(path, f"une date AAAA-MM-JJ est attendue (« {text[:40]} » trouvé)")
            return None
        self.problem(path, f"une date AAAA-MM-JJ est attendue ({describe(value)} trouvé)")
        return None

    def mapping(self, value, path: tuple) -> dict | None:
        if isinstance(value, dict):
            return value
        self.problem(path, f"une table (clé: valeur) est attendue ({describe(value)} trouvé)")
        return None

    def seq(self, value, path: tuple, *, allow_single: bool = False) -> list:
        if value is None:
            return []
        if isinstance(value, list):
            if len(value) > MAX_ITEMS:
                self.problem(path, f"{MAX_ITEMS} éléments au plus ({len(value)} donnés)")
                return []
            return value
        if allow_single and isinstance(value, str):
            return [value]
        self.problem(path, f"une liste est attendue ({describe(value)} trouvé)")
        return []

    def strings(self, key: str, *, allow_single: bool = False) -> list[str]:
        """A list of texts, stripped, without empty or duplicate entries (a duplicate is a warning)."""
        out: list[str] = []
        for i, item in enumerate(self.seq(self.data.get(key), (key,), allow_single=allow_single)):
            text = self.text(item, (key, i))
            if not text:
                continue
            if text in out:
                self.warn((key, i), f"« {text} » est en double dans la liste (gardé une fois)")
                continue
            out.append(text)
        return out

    def references(self, value, path: tuple) -> list[tuple[tuple, str]]:
        """(path, text) of each entry of a list of references, resolved later against the tree."""
        out = []
        for i, item in enumerate(self.seq(value, path, allow_single=True)):
            text = self.text(item, (*path, i))
            if text:
                out.append(((*path, i), text))
        return out

    def unknown_keys(self, item: dict, path: tuple, known: set[str]) -> None:
        for key in item:
            if key not in known:
                self.warn((*path, str(key)), "clé inconnue, ignorée")

    def extra(self, *, body: bool = False) -> dict:
        """The front-matter keys the model does not know, as JSON (dates as ISO text); also the texts too long for
        their field and, with `body` (a kind without a Markdown field), the body. Call it after the fields."""
        modelled = MODELLED_KEYS[self.kind.name]
        known = KNOWN_EXTRA_KEYS[self.kind.name] | JEKYLL_KEYS
        out = {}
        for key, value in self.data.items():
            if key in modelled:
                continue
            if not isinstance(key, str):
                self.problem((), f"clé « {key} » : une clé d'en-tête doit être un texte")
                continue
            if key == BODY_KEY:
                self.problem((key,), "clé réservée par le registre")
                continue
            if key not in known:
                self.warn((key,), "clé inconnue, conservée telle quelle")
            try:
                out[key] = _jsonable(value, [0])
            except ValueError as exc:
                self.problem((key,), str(exc))
        out.update(self.overflow)
        if body and (text := self.body()):
            out[BODY_KEY] = text
        return out


def read_text(rel: str, doc, key: str, problems: list[Problem], *, max_length: int | None = None) -> str:
    """A top-level text of a file of the tree that another app reads (`_fasts/*.md`, by the programmes app), under
    the registry's rules: stripped, a number or a date as its text, anything else refused, no NUL, at most
    `max_length` characters. A problem is added to `problems` (with its file, field and line) and "" returned."""
    return _File(None, rel, "", doc, problems).text(doc.data.get(key), (key,), max_length=max_length)


def describe(value) -> str:
    """A value in a message, briefly (never the whole of a long text or of a nested list)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"« {value[:40]} »"
    if isinstance(value, dict):
        return "une table"
    if isinstance(value, list | tuple | set):
        return "une liste"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None:
        return "rien"
    return repr(value)[:40]


def _jsonable(value, count: list[int]):
    count[0] += 1
    if count[0] > MAX_EXTRA_NODES:
        raise ValueError("valeur trop volumineuse")
    if isinstance(value, str):
        if _FORBIDDEN.search(value):
            raise ValueError("caractère interdit (caractère nul ou code Unicode isolé)")
        return str(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime.date):  # and datetime
        return value.isoformat()
    if isinstance(value, dict):
        return {_json_key(k): _jsonable(v, count) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, count) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((_jsonable(v, count) for v in value), key=repr)
    raise ValueError(f"valeur non prise en charge ({type(value).__name__})")


def _json_key(key) -> str:
    if isinstance(key, str):
        if _FORBIDDEN.search(key):
            raise ValueError("caractère interdit (caractère nul ou code Unicode isolé)")
        return key
    if isinstance(key, datetime.date):
        return key.isoformat()
    if key is None or isinstance(key, bool):
        return {None: "null", True: "true", False: "false"}[key]
    if isinstance(key, int | float):
        return str(key)
    raise ValueError(f"clé non prise en charge ({type(key).__name__})")


# --- Reading each kind --------------------------------------------------------------------------------


def _texts(f: _File, model, keys: dict[str, str]) -> dict[str, str]:
    """Optional top-level texts: front-matter key → model field (its max_length applies)."""
    return {
        attr: f.text(f.data.get(key), (key,), max_length=_max_length(model, attr), keep=True)
        for key, attr in keys.items()
    }


def _read_organisation(f: _File) -> dict:
    d = f.data
    fields = {
        "name": f.text(d.get("name"), ("name",), required=True, max_length=_max_length(Organisation, "name")),
        **_texts(f, Organisation, {"acronym": "acronym"}),
        "domaine_ministeriel": f.choice(
            d.get("domaine_ministeriel"), ("domaine_ministeriel",), MINISTRY_VALUES, "un domaine ministériel"
        ),
        "type": f.choice(d.get("type"), ("type",), ORGANISATION_TYPES, "un type d'organisation"),
    }
    fields["extra"] = f.extra(body=True)
    return {"fields": fields}


def _read_incubator(f: _File) -> dict:
    d = f.data
    fields = {
        "title": f.text(d.get("title"), ("title",), required=True, max_length=_max_length(Incubator, "title")),
        "short_description": f.text(d.get("short_description"), ("short_description",)),
        "description": f.body(),
        **_texts(f, Incubator, {k: k for k in ("contact", "address", "website", "github", "logo")}),
        "highlighted_products": f.strings("highlighted_startups"),
    }
    owner = f.text(d.get("owner"), ("owner",))
    fields["extra"] = f.extra()
    return {"fields": fields, "owner": (("owner",), owner) if owner else None}


PRODUCT_TEXTS = [
    "contact",
    "link",
    "repository",
    "stats_url",
    "budget_url",
    "impact_url",
    "dashlord_url",
    "accessibility_status",
    "analyse_risques_url",
    "contact_dinum",
    "contact_incubator",
]


def _read_product(f: _File) -> dict:
    d = f.data
    fields = {
        "name": f.text(d.get("title"), ("title",), required=True, max_length=_max_length(Product, "name")),
        "pitch": f.text(d.get("mission"), ("mission",), required=True),
        "description": f.body(),
        **_texts(f, Product, {k: k for k in PRODUCT_TEXTS}),
        "stats": f.flag(d.get("stats"), ("stats",)),
        "analyse_risques": f.flag(d.get("analyse_risques"), ("analyse_risques",)),
        "mon_service_securise": f.flag(d.get("mon_service_securise"), ("mon_service_securise",)),
        "thematiques": f.strings("thematiques"),
        "usertypes": f.strings("usertypes"),
        "techno": f.strings("techno"),
        "fast_promotion": None,
        "fast_amount": None,
        "redirect_from": f.strings("redirect_from", allow_single=True),
    }
    if d.get("fast") is not None:
        fast = f.mapping(d["fast"], ("fast",))
        if fast is not None:
            f.unknown_keys(fast, ("fast",), FAST_KEYS)
            fields["fast_promotion"] = f.integer(fast.get("promotion"), ("fast", "promotion"), maximum=32767)
            fields["fast_amount"] = f.integer(fast.get("montant"), ("fast", "montant"), maximum=2147483647)

    phases = []
    seen_phases: set[str] = set()
    for i, item in enumerate(f.seq(d.get("phases"), ("phases",))):
        path = ("phases", i)
        item = f.mapping(item, path)
        if item is None:
            continue
        f.unknown_keys(item, path, PHASE_KEYS)
        name = f.choice(item.get("name"), (*path, "name"), PHASE_NAMES, "une phase connue", required=True)
        start = f.date(item.get("start"), (*path, "start"), required=True)
        end = f.date(item.get("end"), (*path, "end"))
        comment = f.text(item.get("comment"), (*path, "comment"))
        if start and end and end <= start:
            f.problem((*path, "end"), f"la fin ({end}) doit être après le début ({start})")
        if name and name in seen_phases:
            f.problem((*path, "name"), f"la phase « {name} » est déjà dans la liste (une seule par nom)")
        seen_phases.add(name)
        phases.append((name, start, end, comment))

    events = []
    for i, item in enumerate(f.seq(d.get("events"), ("events",))):
        path = ("events", i)
        item = f.mapping(item, path)
        if item is None:
            continue
        f.unknown_keys(item, path, EVENT_KEYS)
        name = f.choice(item.get("name"), (*path, "name"), EVENT_NAMES, "un événement connu", required=True)
        date = f.date(item.get("date"), (*path, "date"), required=True)
        comment = f.text(item.get("comment"), (*path, "comment"))
        events.append((name, date, comment))

    incubator = f.text(d.get("incubator"), ("incubator",))
    sponsors = f.references(d.get("sponsors"), ("sponsors",))
    incubators = f.references(d.get("incubators"), ("incubators",))
    fields["extra"] = f.extra()
    return {
        "fields": fields,
        "phases": phases,
        "events": events,
        "sponsors": sponsors,
        "incubator": (("incubator",), incubator) if incubator else None,
        "incubators": incubators,
    }


def _read_member(f: _File) -> dict:
    d = f.data
    if not _identifier_problem("members", f.ident):  # else refused already (read_file)
        email = normalize_email(f"{f.ident}@{settings.MEMBER_EMAIL_DOMAIN}")
        if not _EMAIL_USER.match(f.ident):
            f.problem((), f"l'identifiant « {f.ident} » ne peut pas former une adresse e-mail")
        elif len(email) > _max_length(get_user_model(), "email"):
            f.problem((), f"l'adresse {email} serait trop longue pour un compte")
    fields = {
        "fullname": f.text(
            d.get("fullname"), ("fullname",), required=True, max_length=_max_length(Member, "fullname")
        ),
        **_texts(f, Member, {"role": "role", "link": "link", "github": "github", "avatar": "avatar"}),
        "domaine": f.choice(d.get("domaine"), ("domaine",), DOMAINES, "un domaine", required=True),
        "bio": f.body(),
        "competences": f.strings("competences"),
        "member_type": f.choice(d.get("memberType"), ("memberType",), MEMBER_TYPES, "un type de membre"),
    }
    missions = []
    if d.get("missions") is None:
        f.problem(("missions",), "champ obligatoire manquant")
    for i, item in enumerate(f.seq(d.get("missions"), ("missions",))):
        path = ("missions", i)
        item = f.mapping(item, path)
        if item is None:
            continue
        f.unknown_keys(item, path, MISSION_KEYS)
        start = f.date(item.get("start"), (*path, "start"), required=True)
        end = f.date(item.get("end"), (*path, "end"))
        if start and end and end <= start:
            f.problem((*path, "end"), f"la fin ({end}) doit être après le début ({start})")
        status = f.choice(item.get("status"), (*path, "status"), MISSION_STATUSES, "un statut de mission")
        employer = f.text(item.get("employer"), (*path, "employer"), max_length=_max_length(Mission, "employer"))
        products = f.references(item.get("startups"), (*path, "startups"))
        missions.append(((start, end, status, employer), products))
    teams = f.references(d.get("teams"), ("teams",))
    fields["extra"] = f.extra()
    return {
        "fields": fields,
        "missions": missions,
        "teams": teams,
        # Kept in `extra` as written; only checked against the products of the tree.
        "legacy_products": [
            ((key, i), item.strip())
            for key in ("previously", "startups")
            if isinstance(d.get(key), list)
            for i, item in enumerate(d[key])
            if isinstance(item, str) and item.strip()
        ],
    }


def _read_team(f: _File) -> dict:
    d = f.data
    fields = {
        "name": f.text(d.get("name"), ("name",), required=True, max_length=_max_length(Team, "name")),
        "mission": f.text(d.get("mission"), ("mission",)),
    }
    incubator = f.text(d.get("incubator"), ("incubator",), required=True)
    fields["extra"] = f.extra(body=True)
    return {"fields": fields, "incubator": (("incubator",), incubator) if incubator else None}


READERS = {
    "organisations": _read_organisation,
    "incubators": _read_incubator,
    "products": _read_product,
    "members": _read_member,
    "teams": _read_team,
}


def read_file(kind: Kind, name: str, text: str, problems: list[Problem]) -> tuple[dict | None, "_File | None"]:
    """Read and check one file; its problems are added to `problems`. (None, None) when it cannot be read."""
    rel = f"{kind.folder}/{name}"
    ident = name[:-3] if name.endswith(".md") else name
    if message := _identifier_problem(kind.name, ident):
        problems.append(Problem(rel, message))
    try:
        doc = parse_front_matter(text)
    except FrontMatterError as exc:
        problems.append(Problem(rel, exc.message, line=exc.line))
        return None, None
    f = _File(kind, rel, ident, doc, problems)
    try:
        record = READERS[kind.name](f)
    except RecursionError:
        f.problem((), "valeur trop profondément imbriquée")
        return None, None
    return record, f


def check_file(kind: str, name: str, text: str) -> list[Problem]:
    """The problems of one file on its own (its references to other files are not checked). Never raises."""
    problems: list[Problem] = []
    read_file(KIND[kind], name, text, problems)
    return problems


# --- Reading the tree ------------------------------------------------------------------------------------


Progress = Callable[[str, int, int], None]


@dataclass
class Tree:
    content: Path
    records: dict[str, dict[str, dict]]  # kind → id → record
    problems: list[Problem]
    files: Counter

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]


def content_folder(path: str | os.PathLike) -> Path:
    """`PATH` is a beta.gouv.fr checkout (with `content/`) or its `content/` folder."""
    path = Path(path)
    if (path / "content").is_dir() and any((path / "content" / kind.folder).is_dir() for kind in KINDS):
        return path / "content"
    if any((path / kind.folder).is_dir() for kind in KINDS):
        return path
    raise ImportRefused(
        [
            Problem(
                str(path),
                "ni un dépôt beta.gouv.fr (avec content/) ni son dossier content/ (avec _authors/, _startups/…)",
            )
        ]
    )


class _Resolver:
    """Identifiers of one kind: exact match, else a unique match ignoring case (a warning)."""

    def __init__(self, ids, prefixes=()):
        self.ids = set(ids)
        self.prefixes = prefixes
        folded = defaultdict(list)
        for ident in self.ids:
            folded[ident.casefold()].append(ident)
        self.folded = {k: v[0] for k, v in folded.items() if len(v) == 1}

    def resolve(self, text: str) -> tuple[str | None, str | None]:
        """(identifier, note): note says how a non-exact match was made."""
        for prefix in self.prefixes:
            if text.startswith(prefix):
                text = text[len(prefix) :]
                break
        text = text.strip().strip("/")
        if text in self.ids:
            return text, None
        found = self.folded.get(text.casefold())
        if found is not None:
            return found, f"« {text} » lu comme « {found} » (la casse diffère)"
        return None, None


def read_tree(path: str | os.PathLike, *, progress: Progress | None = None) -> Tree:
    """Read and check the whole tree. Writes nothing; raises only ImportRefused for a PATH that is no tree."""
    content = content_folder(path)
    problems: list[Problem] = []
    records: dict[str, dict[str, dict]] = {kind.name: {} for kind in KINDS}
    files: dict[str, dict[str, _File]] = {kind.name: {} for kind in KINDS}
    # Every identifier of the tree, readable or not: a reference to a file with errors is no warning besides.
    ids: dict[str, set[str]] = {kind.name: set() for kind in KINDS}
    counts: Counter = Counter()
    for kind in KINDS:
        folder = content / kind.folder
        if not folder.is_dir():
            continue
        with os.scandir(folder) as it:
            entries = sorted((e for e in it if not e.name.startswith(".") and e.is_file()), key=lambda e: e.name)
        total = len(entries)
        for done, entry in enumerate(entries, 1):
            name = entry.name
            rel = f"{kind.folder}/{name}"
            ident = name[:-3] if name.endswith(".md") else name
            counts[kind.name] += 1
            if not name.endswith(".md"):
                problems.append(
                    Problem(
                        rel, f"fichier sans l'extension .md (importé sous l'identifiant « {ident} »)", warning=True
                    )
                )
            if ident in ids[kind.name]:
                problems.append(Problem(rel, f"l'identifiant « {ident} » est déjà pris par un autre fichier"))
                continue
            ids[kind.name].add(ident)
            try:
                with open(entry.path, "rb") as handle:
                    text = handle.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.append(Problem(rel, f"fichier illisible : pas en UTF-8 (octet {exc.start})"))
                continue
            except OSError as exc:
                problems.append(Problem(rel, f"fichier illisible : {exc.strerror or exc}"))
                continue
            record, f = read_file(kind, name, text, problems)
            if record is not None:
                records[kind.name][ident] = record
                files[kind.name][ident] = f
            if progress:
                progress(kind.label, done, total)
    _link(records, files, ids)
    return Tree(content=content, records=records, problems=problems, files=counts)


def _link(records: dict[str, dict[str, dict]], files: dict[str, dict[str, _File]], ids: dict[str, set[str]]):
    """Resolve the references between files; what points to nothing is a warning (or an error, for a team)."""
    resolvers = {name: _Resolver(ids[name], PREFIXES[name]) for name in ids}

    def resolve(f: _File, kind: str, ref: tuple[tuple, str], what: str) -> str | None:
        path, text = ref
        ident, note = resolvers[kind].resolve(text)
        if ident is None:
            f.warn(path, f"« {text} » n'est pas {what} de l'arborescence (ignoré)")
        elif note:
            f.warn(path, note)
        return ident

    def resolve_list(f: _File, kind: str, refs, what: str) -> list[str]:
        out: list[str] = []
        for ref in refs:
            ident = resolve(f, kind, ref, what)
            if ident is None:
                continue
            if ident in out:
                f.warn(ref[0], f"« {ref[1]} » est en double dans la liste (gardé une fois)")
                continue
            out.append(ident)
        return out

    for ident, record in records["incubators"].items():
        f = files["incubators"][ident]
        record["owner"] = resolve(f, "organisations", record["owner"], "une organisation") if record["owner"] else None
        for i, product in enumerate(record["fields"]["highlighted_products"]):
            if product not in resolvers["products"].ids:
                f.warn(
                    ("highlighted_startups", i),
                    f"« {product} » n'est pas un produit de l'arborescence (conservé tel quel)",
                )

    for ident, record in records["products"].items():
        f = files["products"][ident]
        record["sponsors"] = resolve_list(f, "organisations", record["sponsors"], "une organisation")
        listed = resolve_list(f, "incubators", record["incubators"], "un incubateur")
        principal = resolve(f, "incubators", record["incubator"], "un incubateur") if record["incubator"] else None
        if principal is None and not record["incubator"]:
            f.warn(("incubator",), "aucun incubateur")
        if principal is None and listed:
            principal = listed[0]
            f.warn(("incubators",), f"« {principal} », premier de la liste, est retenu comme incubateur principal")
        if principal and listed and principal not in listed:
            f.warn(("incubators",), f"l'incubateur principal « {principal} » manque à la liste : il y est ajouté")
            listed.append(principal)
        links = listed or ([principal] if principal else [])
        record["incubators"] = [(inc, inc == principal) for inc in links]
        for key in ("contact_dinum", "contact_incubator"):
            username = record["fields"][key]
            if username and username not in resolvers["members"].ids:
                f.warn((key,), f"« {username} » n'est pas un membre de l'arborescence (conservé tel quel)")

    for ident, record in records["teams"].items():
        f = files["teams"][ident]
        if record["incubator"]:
            path, text = record["incubator"]
            incubator, note = resolvers["incubators"].resolve(text)
            if incubator is None:
                f.problem(path, f"« {text} » n'est pas un incubateur de l'arborescence (une équipe en a un)")
            elif note:
                f.warn(path, note)
            record["incubator"] = incubator

    for ident, record in records["members"].items():
        f = files["members"][ident]
        record["teams"] = resolve_list(f, "teams", record["teams"], "une équipe")
        record["missions"] = [
            (values, resolve_list(f, "products", refs, "un produit")) for values, refs in record["missions"]
        ]
        for path, product in record.pop("legacy_products"):
            if product not in resolvers["products"].ids:
                f.warn(path, f"« {product} » n'est pas un produit de l'arborescence (conservé tel quel)")


# --- Writing --------------------------------------------------------------------------------------------


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

    def warnings_of(self, kind: Kind) -> int:
        return sum(1 for p in self.warnings if p.file.startswith(f"{kind.folder}/"))

    def lines(self) -> list[str]:
        out = []
        for kind in KINDS:
            n = kind.name
            line = (
                f"{kind.label} : {self.created[n]} créé(s), {self.updated[n]} modifié(s), "
                f"{self.unchanged[n]} inchangé(s), {self.warnings_of(kind)} avertissement(s)"
            )
            if self.absent[n]:
                line += f" ; {self.absent[n]} absent(s) de l'arborescence, laissé(s) tel(s) quel(s)"
            out.append(line)
        out.append(f"comptes : {self.accounts_created} créé(s), {self.accounts_linked} existant(s) relié(s)")
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
        }


def _chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _insert(model, rows: list[dict]) -> None:
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
            _insert(model, creates)
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

    def sync(self, model, parents: set, keys: tuple, values: tuple, desired: dict[tuple, tuple], *, replace=False):
        """Make the rows of `model` whose parent (`keys[0]`) is in `parents` be exactly `desired` (key → values).

        Rows are matched on `keys`; with `replace`, a parent whose rows differ has them all deleted and created
        again (for rows under a constraint a row-by-row update could break on the way). Returns changed parents.
        """
        n = len(keys)
        existing: dict[tuple, tuple[int, tuple]] = {}
        for row in model.objects.order_by().values_list("pk", *keys, *values):
            if row[1] in parents:
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
            _insert(model, [dict(zip(names, row, strict=True)) for row in creates])
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


def _write(tree: Tree, report: Report, progress: Progress | None) -> None:
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

    orgs = w.upsert(
        Organisation,
        "organisations",
        "ghid",
        {k: v["fields"] for k, v in r["organisations"].items()},
        ORGANISATION_FIELDS,
    )
    w.count("organisations", orgs)
    org = orgs.pks
    advance("organisations")

    incs = w.upsert(
        Incubator,
        "incubators",
        "ghid",
        {k: {**v["fields"], "owner_id": org.get(v["owner"])} for k, v in r["incubators"].items()},
        INCUBATOR_FIELDS,
    )
    w.count("incubators", incs)
    inc = incs.pks
    advance("incubateurs")

    prods = w.upsert(Product, "products", "ghid", {k: v["fields"] for k, v in r["products"].items()}, PRODUCT_FIELDS)
    prod = prods.pks
    parents = set(prod.values())
    sponsors, links, phases, events = {}, {}, {}, {}
    for ghid, record in r["products"].items():
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
    advance("produits")

    teams = w.upsert(
        Team,
        "teams",
        "ghid",
        {k: {**v["fields"], "incubator_id": inc[v["incubator"]]} for k, v in r["teams"].items()},
        TEAM_FIELDS,
    )
    w.count("teams", teams)
    team = teams.pks
    advance("équipes")

    User = get_user_model()
    if new_users:
        _insert(User, new_users)
        for username, pk in User.objects.order_by().exclude(username=None).values_list("username", "pk"):
            if plan.get(username, 0) is None:
                plan[username] = pk
        w.wrote = True
    if renames:
        User.objects.bulk_update([User(pk=pk, username=username) for pk, username in renames], ["username"])
        w.wrote = True
    report.accounts_created = len(new_users)
    report.accounts_linked = len(renames)
    advance("comptes")

    members = w.upsert(
        Member,
        "members",
        "username",
        {k: {**v["fields"], "user_id": plan[k]} for k, v in r["members"].items()},
        MEMBER_FIELDS,
    )
    mem = members.pks
    parents = set(mem.values())
    memberships, missions = {}, {}
    for username, record in r["members"].items():
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
    for username, record in r["members"].items():
        pk = mem[username]
        for order, (_, products) in enumerate(record["missions"]):
            for position, product_ghid in enumerate(products):
                mission_products[(mission_pk[(pk, order)], prod[product_ghid])] = (position,)
    changed_missions = w.sync(
        MissionProduct, set(member_of), ("mission_id", "product_id"), ("order",), mission_products
    )
    changed |= {member_of[pk] for pk in changed_missions}
    w.count("members", members, changed)
    advance("membres")

    if w.wrote:
        cache.bump()


def import_betagouv(
    *, path: str | os.PathLike, strict: bool = False, by=None, progress: Progress | None = None
) -> Report:
    """Read the tree at `path` and write it in one transaction; raises ImportRefused (nothing written)."""
    tree = read_tree(path, progress=progress)
    if tree.errors or (strict and tree.warnings):
        raise ImportRefused(tree.problems, strict=strict)
    report = Report(content=tree.content, files=tree.files, warnings=sorted(tree.warnings, key=lambda p: p.sort_key))
    with transaction.atomic():
        _write(tree, report, progress)
        # Other apps derive their own history from the same tree, in the same transaction (all or nothing):
        # REGISTRY_IMPORT_HOOKS names them (the programmes app: past FAST editions and their laureates).
        for hook in settings.REGISTRY_IMPORT_HOOKS:
            report.more_lines += import_string(hook)(content=tree.content, by=by)
        totals = ", ".join(
            f"{report.created[k.name] + report.updated[k.name] + report.unchanged[k.name]} {k.label}" for k in KINDS
        )
        journal.record(
            actor=by,
            action="registry.import_betagouv",
            message=(
                f"Import de beta.gouv.fr ({totals}) : {sum(report.created.values())} créé(s), "
                f"{sum(report.updated.values())} modifié(s), {sum(report.unchanged.values())} inchangé(s), "
                f"{len(report.warnings)} avertissement(s)"
            ),
            visibility=Visibility.INTERNAL,
            data=report.summary(),
        )
    return report
