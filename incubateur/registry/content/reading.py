"""Reading one file of the tree (no other file, nothing written): its front matter checked field by field,
every problem added with its file, its line and its field; the references to other files are only collected
(`tree` resolves them).
"""

import datetime
import functools
import math
import os
import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import EmailValidator

from incubateur.accounts.models import normalize_email
from incubateur.core.ministries import MINISTRIES
from incubateur.registry.content.files import FileRefused, read_bytes
from incubateur.registry.content.frontmatter import FrontMatterError, InvalidDate
from incubateur.registry.content.frontmatter import parse as parse_front_matter
from incubateur.registry.content.kinds import BODY_KEY, KIND, Kind
from incubateur.registry.content.problems import Problem, describe, field_name
from incubateur.registry.converters import identifier_problem
from incubateur.registry.enums import Domaine, EventName, MemberType, MissionStatus, OrganisationType, PhaseName
from incubateur.registry.models import Incubator, Member, Mission, Organisation, Product, Team

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
# Django's is compiled lazily (every use goes through a proxy object): the same expression, compiled once here.
_EMAIL_USER = re.compile(EmailValidator.user_regex.pattern, EmailValidator.user_regex.flags)
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
    if message := identifier_problem(ident):  # the rule of the URLs and the admin (registry/converters.py)
        return message
    limit = _identifier_max_length(kind)
    if len(ident) > limit:
        return f"identifiant trop long : {limit} caractères au plus ({len(ident)} donnés)"
    return None


# --- Reading one file ------------------------------------------------------------------------------------


class File:
    """One file being read: its front matter, and the problems found in it."""

    def __init__(self, kind: Kind, rel: str, ident: str, doc, problems: list[Problem]):
        self.kind = kind
        self.rel = rel
        self.ident = ident
        self.doc = doc
        self.data = doc.data
        self.problems = problems
        self.overflow: dict[str, str] = {}  # optional texts too long for their field, kept in `extra` instead
        self.valid_ident = True  # False when the identifier cannot be its row's key (an error, by `read_file`)

    def problem(self, path: tuple, message: str, *, warning: bool = False) -> None:
        line = self.doc.line_of(*path) if path else None
        self.problems.append(Problem(self.rel, message, field_name(path), line, warning))

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

    def tables(self, key: str, known: set[str]):
        """(path, table) of each entry of a list of tables (`phases`, `missions`…); an entry that is no table is a
        problem and skipped, a key outside `known` a warning."""
        for i, item in enumerate(self.seq(self.data.get(key), (key,))):
            path = (key, i)
            item = self.mapping(item, path)
            if item is None:
                continue
            self.unknown_keys(item, path, known)
            yield path, item

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


def read_utf8(path: str | os.PathLike, rel: str, problems: list[Problem]) -> str | None:
    """The text of a file of the tree (`rel`, its path in the tree: `path` ends with it); None, with a problem added
    to `problems`, when it cannot be read or is not UTF-8. No link is followed within `rel` (`files.read_bytes`): a
    linked file or folder is a problem naming it."""
    path = os.fspath(path)
    root = path.removesuffix(rel)
    if not rel or root == path or (root and not root.endswith("/")):
        raise ValueError(f"{path} does not end with {rel}")
    return decode_utf8(lambda: read_bytes(root or ".", rel), rel, problems)


def decode_utf8(read: Callable[[], bytes], rel: str, problems: list[Problem]) -> str | None:
    """The text `read()` gives, decoded; None, with a problem naming `rel` added to `problems`, when it cannot be
    read (`FileRefused`, `OSError`) or is not UTF-8."""
    try:
        return read().decode("utf-8")
    except FileRefused as exc:
        problems.append(Problem(exc.rel, exc.message))
    except UnicodeDecodeError as exc:
        problems.append(Problem(rel, f"fichier illisible : pas en UTF-8 (octet {exc.start})"))
    except OSError as exc:
        problems.append(Problem(rel, f"fichier illisible : {exc.strerror or exc}"))
    return None


def read_text(rel: str, doc, key: str, problems: list[Problem], *, max_length: int | None = None) -> str:
    """A top-level text of a file of the tree that another app reads (`_fasts/*.md`, by the programmes app), under
    the registry's rules: stripped, a number or a date as its text, anything else refused, no NUL, at most
    `max_length` characters. A problem is added to `problems` (with its file, field and line) and "" returned."""
    return File(None, rel, "", doc, problems).text(doc.data.get(key), (key,), max_length=max_length)


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


def _texts(f: File, model, keys: dict[str, str]) -> dict[str, str]:
    """Optional top-level texts: front-matter key → model field (its max_length applies)."""
    return {
        attr: f.text(f.data.get(key), (key,), max_length=_max_length(model, attr), keep=True)
        for key, attr in keys.items()
    }


def _read_organisation(f: File) -> dict:
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


def _read_incubator(f: File) -> dict:
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


def _read_product(f: File) -> dict:
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
    for path, item in f.tables("phases", PHASE_KEYS):
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
    for path, item in f.tables("events", EVENT_KEYS):
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


def _read_member(f: File) -> dict:
    d = f.data
    if f.valid_ident:  # else refused already (read_file)
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
    for path, item in f.tables("missions", MISSION_KEYS):
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


def _read_team(f: File) -> dict:
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


def read_file(kind: Kind, name: str, text: str, problems: list[Problem]) -> tuple[dict | None, "File | None"]:
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
    f = File(kind, rel, ident, doc, problems)
    f.valid_ident = message is None
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
