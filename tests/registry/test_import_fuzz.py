"""`import_betagouv` as a whole, under Hypothesis: small content trees (organisations, incubators, products,
members, teams, FAST editions) whose files are sometimes good, sometimes mangled (wrong types, missing or unknown
keys, impossible dates, references to nothing, duplicate identifiers, empty or non-UTF-8 files, NUL characters,
very long or deeply nested values…). The properties:

1. the importer raises nothing but `ImportRefused`;
2. a refused (or failed) import writes nothing, and each error names its file and, for a field, the field;
3. a successful import is idempotent, and so is the import of its export;
4. warnings are strings that name their file; `--strict` refuses exactly them.

The generator knows which of its mangles must be refused (and at which field) and which must only warn: those are
checked as well. Each Hypothesis example runs in a savepoint rolled back at its end (the test's database is
shared by the examples), in a fresh temporary directory.
"""

import datetime
import json
import re
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import HealthCheck, event, example, given, note
from hypothesis import Phase as HypothesisPhase
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from incubateur.core.ministries import MINISTRIES
from incubateur.core.models import JournalEntry
from incubateur.programmes.models import Application, Call
from incubateur.registry import cache
from incubateur.registry.content import ImportRefused, Problem, YamlTimestamp, dump, export_betagouv, import_betagouv
from incubateur.registry.enums import Domaine, EventName, MemberType, MissionStatus, OrganisationType, PhaseName
from tests.registry.helpers import CANONICAL as REGISTRY_TABLES

User = get_user_model()

SETTINGS = hypothesis_settings(
    max_examples=50,
    deadline=None,
    database=None,
    phases=[phase for phase in HypothesisPhase if phase is not HypothesisPhase.explain],  # slow here
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

FOLDER = {
    "organisations": "_organisations",
    "incubators": "_incubators",
    "products": "_startups",
    "members": "_authors",
    "teams": "_teams",
}
# What a file must have, by kind (a field reported missing must be one of these).
REQUIRED = {
    "organisations": {"name"},
    "incubators": {"title"},
    "products": {"title", "mission"},
    "members": {"fullname", "domaine", "missions"},
    "teams": {"name", "incubator"},
    "fasts": {"promotion"},
}

# --- The state of the database ----------------------------------------------------------------------------


# The registry's tables as `test_export` compares them, and what else an import writes.
CANONICAL = [
    *REGISTRY_TABLES,
    (User, ["username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser"]),
    (Call, ["programme__slug", "number", "title", "historical"]),
    (Application, ["call__number", "product__ghid", "status", "amount_granted"]),
]


def registry_state() -> dict:
    """Every row the import may write, without pks (rows as sorted JSON), the journal's size, the cache stamp."""
    out = {
        model.__name__: sorted(
            json.dumps(row, sort_keys=True, default=str) for row in model.objects.order_by().values(*fields)
        )
        for model, fields in CANONICAL
    }
    out["JournalEntry"] = JournalEntry.objects.count()
    out["stamp"] = cache.version()
    return out


def without_journal(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "JournalEntry"}


# --- The generated trees -----------------------------------------------------------------------------------


class Tree:
    """Files to write (relative path → bytes; None: a folder of that name), with what the generator knows: the
    errors the import must report and the warnings it must give, as (file, field) — field "" for the file as a
    whole —, the top-level keys of each file and its kind. `folders`: create every kind's folder (an empty tree is
    still a tree)."""

    def __init__(self, *, folders: bool = False, errors=(), warnings=()):
        self.files: dict[str, bytes | None] = {}
        self.errors: set[tuple[str, str]] = set(errors)
        self.warnings: set[tuple[str, str]] = set(warnings)
        self.keys: dict[str, set[str]] = {}
        self.kinds: dict[str, str] = {}
        self.folders = folders

    def __repr__(self):  # what Hypothesis prints for a failing example: the files, readable
        shown = {
            rel: (None if data is None else data.decode("utf-8", "backslashreplace"))
            for rel, data in self.files.items()
        }
        return f"Tree(files={shown!r}, errors={sorted(self.errors, key=str)!r})"

    def write(self, root: Path) -> Path:
        content = root / "content"
        content.mkdir(parents=True)
        for folder in FOLDER.values() if self.folders else ():
            (content / folder).mkdir()
        for rel, data in self.files.items():
            path = content / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if data is None:
                path.mkdir()
            else:
                path.write_bytes(data)
        return content


def tree_of(files: dict[str, str | bytes | None], **known) -> Tree:
    """A tree written by hand (the explicit examples)."""
    tree = Tree(**known)
    kinds = {folder: kind for kind, folder in FOLDER.items()} | {"_fasts": "fasts"}
    for rel, text in files.items():
        tree.files[rel] = text.encode("utf-8") if isinstance(text, str) else text
        tree.kinds[rel] = kinds[rel.split("/")[0]]
    return tree


class Draft:
    """One file being generated: its front matter, its body, and what the import must say about it."""

    def __init__(self, kind: str, ident: str, data: dict, body: str = ""):
        self.kind = kind
        self.ident = ident
        self.data = data
        self.body = body
        self.outcome: dict[str, tuple[str, str]] = {}  # top-level key → ("error" | "warning" | "ok", field)
        self.file_error = False  # the whole file is refused (no front matter, not UTF-8…)
        self.unpredictable = False  # raw YAML in it: it may be refused as a whole, or not
        self.file_warning = False
        self.raw: dict[str, str] = {}  # placeholder → YAML text put in its place
        self.mangled_bytes: bytes | None = None

    def set(self, key, value, outcome: str = "ok", path: str | None = None) -> None:
        self.data[key] = value
        self.outcome[str(key)] = (outcome, path if path is not None else str(key))

    def drop(self, key: str, outcome: str = "ok") -> None:
        self.data.pop(key, None)
        self.outcome[key] = (outcome, key)

    def put_raw(self, key: str, yaml_text: str, outcome: str = "maybe") -> None:
        placeholder = f"RAWX{len(self.raw)}X"
        self.raw[placeholder] = yaml_text
        self.unpredictable = True
        self.set(key, placeholder, outcome)

    def render(self) -> bytes:
        if self.mangled_bytes is not None:
            return self.mangled_bytes
        text = dump(self.data, self.body)
        for placeholder, yaml_text in self.raw.items():
            text = text.replace(placeholder, yaml_text)
        return text.encode("utf-8")


# Values

TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=12).filter(
    lambda s: s.strip()
)
WORD = st.text("abcdeéxyz -", min_size=1, max_size=8).filter(lambda s: s.strip())
DATES = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2030, 12, 31))
BODY = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=30)
ZONES = [None, datetime.UTC, datetime.timezone(datetime.timedelta(hours=-2))]
# Texts that look like dates or times: kept as text by the importer (quoted in the file).
DATE_LIKE = st.from_regex(r"\A\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}:\d{2}(\.\d{1,7})?([+-]\d{2}:\d{2}|Z)?)?\Z")
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT
    | DATE_LIKE
    | DATES
    | st.builds(datetime.datetime.combine, DATES, st.times(timezones=st.sampled_from(ZONES)))
)
JSONISH = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(WORD | st.integers(0, 9) | st.booleans(), children, max_size=3)
    ),
    max_leaves=8,
)
# YAML written as is in a value: odd tags, aliases, impossible dates, deep nesting, escapes YAML may refuse.
RAW_VALUES = st.sampled_from(
    [
        "2024-02-30",
        "2024-13-01T10:00:00",
        "!!binary aGVsbG8=",
        "!!set {a, b}",
        "!!int douze",
        "!custom x",
        ".inf",
        "-.nan",
        "0o17",
        "*nulle-part",
        "&boucle [1, *boucle]",
        '"\\ud800"',
        '"\\0"',
        "'\x00'",
        "[1, [2, [3, [4]]]]",
        "{a: &x [1, 2], b: *x}",
        "[" * 40 + "]" * 40,
        "[" * 400 + "]" * 400,
        "{? [a]: 1}",
        "|\n  ligne\n  autre",
    ]
)

REFERENCE_PREFIX = {
    "organisations": "/organisations/",
    "incubators": "/incubators/",
    "products": "/startups/",
    "members": "/authors/",
    "teams": "/teams/",
}
UNKNOWN = "inconnu-zz"


@st.composite
def references(draw, ids: list[str], kind: str, *, min_size=0, max_size=2) -> list[str]:
    chosen = draw(st.lists(st.sampled_from(ids), min_size=min_size, max_size=max_size, unique=True)) if ids else []
    return [f"{REFERENCE_PREFIX[kind]}{i}" if draw(st.booleans()) else i for i in chosen]


# Valid files


def _date_after(draw, start: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=draw(st.integers(1, 2000)))


@st.composite
def organisation(draw, ident: str, ids: dict) -> Draft:
    data = {"name": draw(TEXT)}
    if draw(st.booleans()):
        data["acronym"] = draw(WORD)
    if draw(st.booleans()):
        data["domaine_ministeriel"] = draw(st.sampled_from(sorted(MINISTRIES)))
    if draw(st.booleans()):
        data["type"] = draw(st.sampled_from(OrganisationType.values))
    return Draft("organisations", ident, data, draw(BODY))


@st.composite
def incubator(draw, ident: str, ids: dict) -> Draft:
    data = {"title": draw(TEXT)}
    if ids["organisations"] and draw(st.booleans()):
        data["owner"] = draw(references(ids["organisations"], "organisations", min_size=1, max_size=1))[0]
    for key in ("short_description", "contact", "website"):
        if draw(st.booleans()):
            data[key] = draw(TEXT)
    if ids["products"] and draw(st.booleans()):
        data["highlighted_startups"] = draw(st.lists(st.sampled_from(ids["products"]), max_size=2, unique=True))
    return Draft("incubators", ident, data, draw(BODY))


@st.composite
def phases(draw) -> list[dict]:
    names = draw(st.lists(st.sampled_from(PhaseName.values), max_size=3, unique=True))
    out = []
    for name in names:
        phase = {"name": name, "start": draw(DATES)}
        if draw(st.booleans()):
            phase["end"] = _date_after(draw, phase["start"])
        if draw(st.booleans()):
            phase["comment"] = draw(TEXT)
        out.append(phase)
    return out


@st.composite
def product(draw, ident: str, ids: dict) -> Draft:
    data = {"title": draw(TEXT), "mission": draw(TEXT)}
    if ids["incubators"] and draw(st.integers(0, 3)):
        data["incubator"] = draw(st.sampled_from(ids["incubators"]))
        if draw(st.integers(0, 3)) == 0:
            data["incubators"] = draw(references(ids["incubators"], "incubators", min_size=1))
    if ids["organisations"] and draw(st.booleans()):
        data["sponsors"] = draw(references(ids["organisations"], "organisations"))
    for key in ("contact", "link", "accessibility_status"):
        if draw(st.booleans()):
            data[key] = draw(TEXT)
    for key in ("stats", "analyse_risques"):
        if draw(st.booleans()):
            data[key] = draw(st.booleans())
    for key in ("thematiques", "techno"):
        if draw(st.booleans()):
            data[key] = draw(st.lists(WORD, max_size=2, unique_by=str.strip))
    if draw(st.booleans()):
        data["fast"] = {"promotion": draw(st.integers(1, 3)), "montant": draw(st.integers(0, 500_000))}
    if ids["members"] and draw(st.booleans()):
        data["contact_dinum"] = draw(st.sampled_from(ids["members"]))
    data["phases"] = draw(phases())
    if draw(st.booleans()):
        data["events"] = [
            {"name": draw(st.sampled_from(EventName.values)), "date": draw(DATES)}
            for _ in range(draw(st.integers(1, 2)))
        ]
    return Draft("products", ident, data, draw(BODY))


@st.composite
def missions(draw, ids: dict) -> list[dict]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        mission = {"start": draw(DATES)}
        if draw(st.booleans()):
            mission["end"] = _date_after(draw, mission["start"])
        if draw(st.booleans()):
            mission["status"] = draw(st.sampled_from(MissionStatus.values))
        if draw(st.booleans()):
            mission["employer"] = draw(TEXT)
        if ids["products"] and draw(st.booleans()):
            mission["startups"] = draw(st.lists(st.sampled_from(ids["products"]), max_size=2, unique=True))
        out.append(mission)
    return out


@st.composite
def member(draw, ident: str, ids: dict) -> Draft:
    data = {
        "fullname": draw(TEXT),
        "role": draw(TEXT),
        "domaine": draw(st.sampled_from(Domaine.values)),
        "missions": draw(missions(ids)),
    }
    if draw(st.booleans()):
        data["memberType"] = draw(st.sampled_from(MemberType.values))
    if draw(st.booleans()):
        data["competences"] = draw(st.lists(WORD, max_size=2, unique_by=str.strip))
    if ids["teams"] and draw(st.booleans()):
        data["teams"] = draw(references(ids["teams"], "teams", min_size=1))
    return Draft("members", ident, data, draw(BODY))


@st.composite
def team(draw, ident: str, ids: dict) -> Draft:
    data = {"name": draw(TEXT), "incubator": draw(st.sampled_from(ids["incubators"]))}
    if draw(st.booleans()):
        data["mission"] = draw(TEXT)
    return Draft("teams", ident, data, draw(BODY))


VALID = {
    "organisations": organisation,
    "incubators": incubator,
    "products": product,
    "members": member,
    "teams": team,
}

# Mangles. Each takes (draw, draft, key, lenient) and records what the import must say: "error" (refused, at that
# field), "warning" (imported, with a warning at that field), "ok", or "maybe" (no promise).


def text_field(*, required=False, max_length=None, keep=False):
    def mangle(draw, d: Draft, key: str, lenient: bool) -> None:
        options = ["int", "float", "date", "padded"]
        if max_length and keep and not required:
            options.append("overflow")
        if not max_length:
            options.append("huge")
        if not required:
            options += ["missing", "null"]
        if not lenient:
            options += ["list", "dict", "bool", "nul"]
            if required:
                options += ["missing", "blank"]
            if max_length and not (keep and not required):
                options.append("too-long")
        how = draw(st.sampled_from(options))
        error = "error"
        if how == "int":
            d.set(key, draw(st.integers(-(10**6), 10**6)))
        elif how == "float":
            d.set(key, draw(st.floats(allow_nan=False, allow_infinity=False)))
        elif how == "date":
            d.set(key, draw(DATES))
        elif how == "padded":
            d.set(key, f"  {draw(TEXT)}\t ")
        elif how == "overflow":
            d.set(key, "o" * (max_length + draw(st.integers(1, 50))), "warning")
        elif how == "huge":
            d.set(key, "h" * draw(st.integers(5_000, 20_000)))
        elif how == "null":
            d.set(key, None, error if required else "ok")
        elif how == "missing":
            d.drop(key, error if required else "ok")
        elif how == "blank":
            d.set(key, draw(st.sampled_from(["", "   ", "\t"])), error)
        elif how == "list":
            d.set(key, draw(st.lists(TEXT, max_size=2)), error)
        elif how == "dict":
            d.set(key, {"a": draw(TEXT)}, error)
        elif how == "bool":
            d.set(key, draw(st.booleans()), error)
        elif how == "nul":
            d.set(key, f"{draw(TEXT)}\x00{draw(TEXT)}", error)
        elif how == "too-long":
            d.set(key, "t" * (max_length + draw(st.integers(1, 50))), error)

    return mangle


def choice_field(values, *, required=False):
    def mangle(draw, d: Draft, key: str, lenient: bool) -> None:
        options = ["valid"] + ([] if required else ["missing"])
        if not lenient:
            options += ["unknown", "list", "number"] + (["missing"] if required else [])
        how = draw(st.sampled_from(options))
        if how == "valid":
            d.set(key, f" {draw(st.sampled_from(sorted(values)))} ")
        elif how == "missing":
            d.drop(key, "error" if required else "ok")
        elif how == "unknown":
            d.set(key, "pas-une-valeur", "error")
        elif how == "list":
            d.set(key, [draw(st.sampled_from(sorted(values)))], "error")
        elif how == "number":
            d.set(key, draw(st.integers(0, 99)), "error")

    return mangle


def flag_field(draw, d: Draft, key: str, lenient: bool) -> None:
    if lenient:
        d.set(key, draw(st.sampled_from([True, False, None])))
    else:
        d.set(key, draw(st.sampled_from(["oui", 1, 0, [], "true"])), "error")


def strings_field(*, allow_single=False):
    def mangle(draw, d: Draft, key: str, lenient: bool) -> None:
        options = ["duplicate", "numbers", "blanks", "empty", "single"]
        if not lenient:
            options += ["dict", "number", "nested", "nul"]
        how = draw(st.sampled_from(options))
        word = draw(WORD)
        if how == "duplicate":
            d.set(key, [word, f" {word} "], "warning", f"{key}[1]")
        elif how == "numbers":
            d.set(key, [draw(st.integers(0, 99)), draw(DATES)])
        elif how == "blanks":
            d.set(key, ["", "  ", word])
        elif how == "empty":
            d.set(key, draw(st.sampled_from([[], None])))
        elif how == "single":
            if allow_single:
                d.set(key, word)
            elif not lenient:
                d.set(key, word, "error")
            else:
                d.set(key, [word])
        elif how == "dict":
            d.set(key, {word: 1}, "error")
        elif how == "number":
            d.set(key, draw(st.integers(1, 9)), "error")
        elif how == "nested":
            d.set(key, [[word]], "error", f"{key}[0]")
        elif how == "nul":
            d.set(key, [f"{word}\x00"], "error", f"{key}[0]")

    return mangle


def references_field(target: str):
    def mangle(draw, d: Draft, key: str, lenient: bool) -> None:
        options = ["unknown", "single-unknown", "empty"]
        if not lenient:
            options += ["dict", "nested", "nul"]
        how = draw(st.sampled_from(options))
        current = d.data.get(key) if isinstance(d.data.get(key), list) else []
        if how == "unknown":
            d.set(key, [*current, f"{REFERENCE_PREFIX[target]}{UNKNOWN}"], "warning", f"{key}[{len(current)}]")
        elif how == "single-unknown":
            d.set(key, UNKNOWN, "warning", f"{key}[0]")
        elif how == "empty":
            d.set(key, draw(st.sampled_from([[], None])))
        elif how == "dict":
            d.set(key, {"a": 1}, "error")
        elif how == "nested":
            d.set(key, [[UNKNOWN]], "error", f"{key}[0]")
        elif how == "nul":
            d.set(key, [f"{UNKNOWN}\x00"], "error", f"{key}[0]")

    return mangle


def reference_field(*, required_in_tree=False):
    """A single reference (`incubator`, `owner`): to nothing is a warning, or an error for a team."""

    def mangle(draw, d: Draft, key: str, lenient: bool) -> None:
        options = [] if required_in_tree else ["unknown", "missing"]
        if not lenient:
            options += ["list", "bool", "nul"] + (["unknown", "missing"] if required_in_tree else [])
        if not options:
            return
        how = draw(st.sampled_from(options))
        severity = "error" if required_in_tree else "warning"
        if how == "unknown":
            d.set(key, UNKNOWN, severity)
        elif how == "missing":
            d.drop(key, "error" if required_in_tree else "ok")
        elif how == "list":
            d.set(key, [UNKNOWN], "error")
        elif how == "bool":
            d.set(key, True, "error")
        elif how == "nul":
            d.set(key, f"{UNKNOWN}\x00", "error")

    return mangle


def dated_items(*, names, date_keys: tuple[str, ...], unique_names: bool):
    """`phases`, `events`, `missions`: lists of tables with dates."""

    def mangle(draw, d: Draft, key: str, lenient: bool) -> None:
        value = d.data.get(key)
        items = [dict(item) for item in value if isinstance(item, dict)] if isinstance(value, list) else []
        start_key = date_keys[0]
        if not items:
            item = {start_key: draw(DATES)}
            if names:
                used = {i.get("name") for i in items}
                item["name"] = next(n for n in names if n not in used)
            items = [item]
        i = draw(st.integers(0, len(items) - 1))
        options = ["unknown-key", "quoted-date", "datetime", "no-end"]
        if not lenient:
            options += ["not-a-list", "not-a-table", "no-start", "impossible", "impossible-text", "number-date"]
            if len(date_keys) > 1:
                options.append("end-before-start")
            if names:
                options.append("bad-name")
                if unique_names:
                    options.append("duplicate-name")
        how = draw(st.sampled_from(options))
        path = f"{key}[{i}]"
        outcome, at = "ok", key
        if how == "unknown-key":
            items[i]["zz_inconnu"] = draw(TEXT)
            outcome, at = "warning", f"{path}.zz_inconnu"
        elif how == "quoted-date":
            items[i][start_key] = f" {draw(DATES).isoformat()} "
            items[i].pop("end", None)
        elif how == "datetime":
            items[i][start_key] = datetime.datetime.combine(draw(DATES), datetime.time(10, 30))
            items[i].pop("end", None)
        elif how == "no-end":
            items[i].pop("end", None)
        elif how == "not-a-list":
            d.set(key, {"a": 1}, "error")
            return
        elif how == "not-a-table":
            items[i] = draw(st.sampled_from(["texte", 3, ["a"]]))
            outcome, at = "error", path
        elif how == "no-start":
            items[i].pop(start_key, None)
            outcome, at = "error", f"{path}.{start_key}"
        elif how == "impossible":
            items[i][start_key] = YamlTimestamp(draw(st.sampled_from(["2023-02-30", "2023-13-01", "2021-02-29"])))
            outcome, at = "error", f"{path}.{start_key}"
        elif how == "impossible-text":
            items[i][start_key] = draw(st.sampled_from(["2023-02-30", "hier", "01/02/2023", ""]))
            outcome, at = "error", f"{path}.{start_key}"
        elif how == "number-date":
            items[i][start_key] = draw(st.sampled_from([20230101, 1.5, True, [2023]]))
            outcome, at = "error", f"{path}.{start_key}"
        elif how == "end-before-start":
            items[i][start_key] = start = draw(DATES)
            items[i]["end"] = start - datetime.timedelta(days=draw(st.integers(0, 30)))
            outcome, at = "error", f"{path}.end"
        elif how == "bad-name":
            items[i]["name"] = draw(st.sampled_from(["pas-une-phase", "", 7]))
            outcome, at = "error", f"{path}.name"
        elif how == "duplicate-name":
            items.append({**items[i], "name": items[i]["name"]})
            outcome, at = "error", f"{key}[{len(items) - 1}].name"
        d.set(key, items, outcome, at)

    return mangle


def member_missions(draw, d: Draft, key: str, lenient: bool) -> None:
    options = ["items", "unknown-product", "empty"]
    if not lenient:
        options += ["missing", "bad-status", "long-employer"]
    how = draw(st.sampled_from(options))
    value = d.data.get("missions")
    items = [dict(m) for m in value if isinstance(m, dict)] if isinstance(value, list) else []
    if how == "items":
        return dated_items(names=None, date_keys=("start", "end"), unique_names=False)(draw, d, key, lenient)
    if not items:
        items = [{"start": draw(DATES)}]
    if how == "unknown-product":
        items[0]["startups"] = [UNKNOWN]
        d.set(key, items, "warning", "missions[0].startups[0]")
    elif how == "empty":
        d.set(key, [])
    elif how == "missing":
        d.drop(key, "error")
    elif how == "bad-status":
        items[0]["status"] = "pas-un-statut"
        d.set(key, items, "error", "missions[0].status")
    elif how == "long-employer":
        items[0]["employer"] = "e" * draw(st.integers(301, 400))
        d.set(key, items, "error", "missions[0].employer")


def fast_field(draw, d: Draft, key: str, lenient: bool) -> None:
    options = ["digits", "empty", "unknown-key"]
    if not lenient:
        options += ["not-a-table", "negative", "too-big", "float"]
    how = draw(st.sampled_from(options))
    if how == "digits":
        d.set(key, {"promotion": f" {draw(st.integers(1, 3))} ", "montant": draw(st.integers(0, 10**6))})
    elif how == "empty":
        d.set(key, draw(st.sampled_from([{}, None])))
    elif how == "unknown-key":
        d.set(key, {"promotion": 2, "zz_inconnu": 1}, "warning", "fast.zz_inconnu")
    elif how == "not-a-table":
        d.set(key, draw(st.sampled_from([12, "12", [12]])), "error")
    elif how == "negative":
        d.set(key, {"promotion": -1}, "error", "fast.promotion")
    elif how == "too-big":
        d.set(key, {"promotion": 40_000}, "error", "fast.promotion")
    elif how == "float":
        d.set(key, {"promotion": 2, "montant": 1.5}, "error", "fast.montant")


LONG_TEXTS = {"contact": 300, "address": 500, "website": 500, "github": 500, "logo": 500}
FIELDS = {
    "organisations": {
        "name": text_field(required=True, max_length=300),
        "acronym": text_field(max_length=100, keep=True),
        "domaine_ministeriel": choice_field(MINISTRIES),
        "type": choice_field(OrganisationType.values),
    },
    "incubators": {
        "title": text_field(required=True, max_length=300),
        "short_description": text_field(),
        "owner": reference_field(),
        **{key: text_field(max_length=n, keep=True) for key, n in LONG_TEXTS.items()},
        "highlighted_startups": strings_field(),
    },
    "products": {
        "title": text_field(required=True, max_length=300),
        "mission": text_field(required=True),
        "incubator": reference_field(),
        "incubators": references_field("incubators"),
        "sponsors": references_field("organisations"),
        "contact": text_field(max_length=300, keep=True),
        "link": text_field(max_length=500, keep=True),
        "accessibility_status": text_field(max_length=100, keep=True),
        "contact_dinum": text_field(max_length=200, keep=True),
        "stats": flag_field,
        "mon_service_securise": flag_field,
        "thematiques": strings_field(),
        "redirect_from": strings_field(allow_single=True),
        "fast": fast_field,
        "phases": dated_items(names=PhaseName.values, date_keys=("start", "end"), unique_names=True),
        "events": dated_items(names=EventName.values, date_keys=("date",), unique_names=False),
    },
    "members": {
        "fullname": text_field(required=True, max_length=300),
        "role": text_field(max_length=300, keep=True),
        "domaine": choice_field(Domaine.values, required=True),
        "memberType": choice_field(MemberType.values),
        "github": text_field(max_length=200, keep=True),
        "avatar": text_field(max_length=500, keep=True),
        "competences": strings_field(),
        "missions": member_missions,
        "teams": references_field("teams"),
    },
    "teams": {
        "name": text_field(required=True, max_length=300),
        "mission": text_field(),
        "incubator": reference_field(required_in_tree=True),
    },
}


def any_key(draw, d: Draft, lenient: bool) -> None:
    """Mangles that do not depend on the kind: unknown keys and odd values in them, the body, the whole file."""
    options = ["unknown-key", "jekyll-key", "long-body", "blank-body"]
    if d.kind == "members":
        options.append("legacy-products")
    if not lenient:
        options += ["raw", "reserved-key", "number-key", "nul-extra", "nul-body"]
        options += ["empty-file", "no-front-matter", "unclosed", "list-front-matter", "not-utf8", "nul-byte"]
    how = draw(st.sampled_from(options))
    if how == "unknown-key":
        name = draw(st.sampled_from(["zz_inconnu", "Autre clé", "rgpd_x"]))
        d.set(name, draw(JSONISH), "warning")
    elif how == "jekyll-key":
        d.set("layout", draw(st.sampled_from(["default", None, 3])))
    elif how == "long-body":
        d.body = draw(TEXT) * draw(st.integers(1_000, 5_000))
        d.outcome["<body>"] = ("ok", "")
    elif how == "blank-body":
        d.body = draw(st.sampled_from(["", "\n\n", "  \t\n"]))
        d.outcome["<body>"] = ("ok", "")
    elif how == "legacy-products":
        d.set("previously", [UNKNOWN], "warning", "previously[0]")
    elif how == "raw":
        d.put_raw(draw(st.sampled_from(["zz_brut", *FIELDS[d.kind]])), draw(RAW_VALUES))
    elif how == "reserved-key":
        d.set("_body", draw(TEXT), "error")
    elif how == "number-key":
        d.set(draw(st.integers(0, 9)), draw(TEXT), "error", "")
    elif how == "nul-extra":
        d.set("zz_inconnu", {"a": [f"x\x00{draw(TEXT)}"]}, "error")
    elif how == "nul-body":
        d.body = f"{d.body}\x00"
        d.outcome["<body>"] = ("error", "")
    else:
        d.file_error = True
        text = d.render()
        front = dump(d.data).encode("utf-8")  # "---\n…---\n", without the body
        d.mangled_bytes = {
            "empty-file": b"",
            "no-front-matter": b"Pas d'en-t\xc3\xaate.\n" + d.body.encode("utf-8"),
            "unclosed": front[: -len(b"---\n")],
            "list-front-matter": b"---\n- une\n- liste\n---\n",
            "not-utf8": text[:5] + b"\xff\xfe" + text[5:],
            "nul-byte": text[:4] + b"zz: a\x00b\n" + text[4:],
        }[how]


@st.composite
def mangled(draw, d: Draft, lenient: bool, max_mangles: int) -> Draft:
    fields = FIELDS[d.kind]
    for _ in range(draw(st.integers(0, max_mangles))):
        if d.file_error:
            break
        if draw(st.integers(0, 3)) == 0:
            any_key(draw, d, lenient)
        else:
            key = draw(st.sampled_from(sorted(fields)))
            fields[key](draw, d, key, lenient)
    return d


# Identifiers: a few per kind, case variants among them (references are matched ignoring case when unambiguous).
IDS = {
    "organisations": ["dinum", "ademe", "Ademe", "min-santé"],
    "incubators": ["fabrique", "lab", "LAB"],
    "products": ["mon-service", "autre-service", "élan"],
    "members": ["alix.dupont", "dominique.durand", "camille"],
    "teams": ["animation", "outils"],
}
# Odd identifiers: only in the mangled trees.
ODD_IDS = {
    "organisations": ["o" * 201, "o" * 230],
    "incubators": ["i" * 201],
    "products": ["p" * 201, "p" * 250],
    "members": ["a b", "m" * 151, "Alix.Dupont", "é@x"],
    "teams": ["t" * 201],
}
# Those the import must refuse: longer than their key's field (200, an account's username 150), or not usable as the
# local part of an address ("Alix.Dupont" is imported: a case variant).
ODD_ID_ERRORS = {"o" * 201, "o" * 230, "i" * 201, "p" * 201, "p" * 250, "a b", "m" * 151, "é@x", "t" * 201}


@st.composite
def fast_editions(draw, tree: Tree, lenient: bool) -> None:
    promotions = draw(st.lists(st.integers(1, 4), max_size=2, unique=True))
    registered = set()
    for promotion in promotions:
        rel = f"_fasts/{promotion:02d}-fast.md"
        data = {"title": draw(TEXT | st.none())}
        if draw(st.booleans()):
            data["promotion"] = promotion
        outcome = None
        if not lenient:
            how = draw(
                st.sampled_from(
                    [
                        "good",
                        "good",
                        "bad-promotion",
                        "nul-title",
                        "odd-title",
                        "alias-title",
                        "folder",
                        "no-front-matter",
                    ]
                )
            )
            if how == "bad-promotion":
                data["promotion"] = draw(st.sampled_from(["douze", 0, 1000, 1.5, True]))
                outcome = "promotion"
            elif how == "nul-title":
                data["title"] = f"FAST\x00{promotion}"
                outcome = "title"
            elif how == "odd-title":  # not a text, or too long for a call's title
                data["title"] = draw(st.sampled_from([["FAST"], {"a": 1}, True, "t" * 201]))
                outcome = "title"
            elif how == "alias-title":  # a list of 10**9 texts once expanded: refused without expanding it
                levels = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 10))
                tree.files[rel] = f"---\npromotion: {promotion}\nl0: &l0 FAST\n{levels}title: *l9\n---\n".encode()
                tree.keys[rel] = {"promotion", "title", *(f"l{i}" for i in range(10))}
                tree.kinds[rel] = "fasts"
                tree.errors.add((rel, "title"))
                continue
            elif how == "folder":
                tree.files[rel] = None
                continue
            elif how == "no-front-matter":
                tree.files[rel] = b"FAST\n"
                tree.errors.add((rel, ""))
                tree.kinds[rel] = "fasts"
                continue
        tree.files[rel] = dump(data).encode("utf-8")
        tree.keys[rel] = set(data)
        tree.kinds[rel] = "fasts"
        if outcome:
            tree.errors.add((rel, outcome))
        else:
            registered.add(promotion)
    if not lenient and promotions and draw(st.integers(0, 4)) == 0:  # the same edition twice
        rel = f"_fasts/{promotions[0]:02d}-zz-bis.md"  # read after the first
        tree.files[rel] = dump({"promotion": promotions[0], "title": "Bis"}).encode("utf-8")
        tree.kinds[rel] = "fasts"
        tree.keys[rel] = {"promotion", "title"}
        if promotions[0] in registered:
            tree.errors.add((rel, "promotion"))


@st.composite
def trees(draw, *, lenient: bool) -> Tree:
    """A content tree. `lenient`: only what imports (with warnings); otherwise anything."""
    ids = {}
    for kind, pool in IDS.items():
        pool = pool + ([] if lenient else ODD_IDS[kind])
        ids[kind] = draw(st.lists(st.sampled_from(pool), max_size=3 if kind != "teams" else 2, unique=True))
    if lenient and not ids["incubators"]:
        ids["teams"] = []
    if not ids["incubators"] and ids["teams"]:
        ids["incubators"] = ["fabrique"] if lenient else []
    # Others refer to some ids that have no file, or to files of a neighbour's kind.
    refs = {
        kind: ident_list + (draw(st.lists(st.just(UNKNOWN), max_size=1)) if not lenient else [])
        for kind, ident_list in ids.items()
    }
    tree = Tree(folders=lenient)
    for kind, ident_list in ids.items():
        for ident in ident_list:
            if kind == "teams" and not refs["incubators"]:
                d = Draft("teams", ident, {"name": draw(TEXT), "incubator": UNKNOWN})
                d.outcome["incubator"] = ("error", "incubator")
            else:
                d = draw(VALID[kind](ident, refs))
            d = draw(mangled(d, lenient, max_mangles=2 if lenient else 3))
            name = f"{ident}.md"
            if draw(st.integers(0, 5)) == 0:  # no extension: imported under its name, with a warning
                name = ident
                d.file_warning = True
            rel = f"{FOLDER[kind]}/{name}"
            tree.files[rel] = d.render()
            if not d.file_error and draw(st.integers(0, 7)) == 0:  # as written on Windows: a BOM, CRLF
                tree.files[rel] = b"\xef\xbb\xbf" + tree.files[rel].replace(b"\n", b"\r\n")
            tree.kinds[rel] = kind
            tree.keys[rel] = {str(k) for k in d.data}
            if d.file_error:
                tree.errors.add((rel, ""))
            elif not d.unpredictable:
                for outcome, at in d.outcome.values():
                    if outcome == "error":
                        tree.errors.add((rel, at))
                    elif outcome == "warning":
                        tree.warnings.add((rel, at))
                if d.file_warning:
                    tree.warnings.add((rel, ""))
                if ident in ODD_ID_ERRORS:
                    tree.errors.add((rel, ""))
            if not lenient and name.endswith(".md") and draw(st.integers(0, 7)) == 0:
                # The same identifier in a second file (`x` is read before `x.md`, which is refused).
                twin = f"{FOLDER[kind]}/{ident}"
                tree.files[twin] = tree.files[rel]
                tree.kinds[twin] = kind
                tree.keys[twin] = tree.keys[rel]
                tree.errors = {(f, at) for f, at in tree.errors if f != rel} | {(rel, "")}
                tree.warnings = {(f, at) for f, at in tree.warnings if f != rel}
                if d.file_error:
                    tree.errors.add((twin, ""))
                elif not d.unpredictable:
                    tree.errors |= {(twin, at) for outcome, at in d.outcome.values() if outcome == "error"}
                    if ident in ODD_ID_ERRORS:
                        tree.errors.add((twin, ""))
            if not lenient and draw(st.integers(0, 15)) == 0:  # a folder where a file is expected: skipped
                tree.files[f"{FOLDER[kind]}/dossier.md"] = None
    draw(fast_editions(tree, lenient))
    return tree


# --- Checks ------------------------------------------------------------------------------------------------


def _matches(problem: Problem, rel: str, at: str) -> bool:
    """The problem is about that file and that field (or inside it: `phases` matches `phases[0]`)."""
    return problem.file == rel and (problem.field == at or problem.field.startswith((f"{at}.", f"{at}[")))


def _top_key(field_path: str) -> str:
    return re.split(r"[.\[]", field_path, maxsplit=1)[0]


def check_problem(problem: Problem, tree: Tree, root: Path) -> None:
    """A problem names a file of the tree (or the tree itself), its field when it has one, and says something."""
    assert isinstance(problem, Problem)
    text = str(problem)
    assert problem.message.strip(), problem
    if problem.file == str(root):
        return
    assert problem.file in tree.files, (problem.file, sorted(tree.files))
    assert text.startswith(problem.file), text
    if problem.field:
        assert f": {problem.field}: " in text, text
        keys = tree.keys.get(problem.file, set())
        # A field that is not in the file is one that must be there (or, for a product, its incubator).
        named = (
            keys | REQUIRED.get(tree.kinds.get(problem.file), set()) | ({"incubator"} if problem.warning else set())
        )
        assert _top_key(problem.field) in named, (text, keys)


def import_refused(root: Path, **kwargs) -> ImportRefused | None:
    """Import; on a refusal, check that nothing was written and return it."""
    before = registry_state()
    try:
        import_betagouv(path=root, **kwargs)
    except ImportRefused as refusal:
        assert registry_state() == before, "a refused import wrote something"
        return refusal
    return None


# --- 1. Nothing but ImportRefused ----------------------------------------------------------------------------


DIRECTORY_IN_FASTS = tree_of({"_organisations/dinum.md": "---\nname: DINUM\n---\n", "_fasts/01-fast.md": None})
LONG_IDENTIFIER = tree_of({f"_organisations/{'o' * 201}.md": "---\nname: DINUM\n---\n"})
NUL_IN_FAST_TITLE = tree_of(
    {
        "_organisations/dinum.md": "---\nname: DINUM\n---\n",
        "_fasts/01-fast.md": '---\npromotion: 1\ntitle: "A\\0B"\n---\n',
    }
)


@pytest.mark.django_db
@SETTINGS
@example(tree=DIRECTORY_IN_FASTS)
@example(tree=LONG_IDENTIFIER)
@example(tree=NUL_IN_FAST_TITLE)
@given(tree=trees(lenient=False))
def test_the_importer_raises_nothing_but_import_refused(tree):
    note(repr(tree))
    with tempfile.TemporaryDirectory() as tmp, transaction.atomic():
        root = tree.write(Path(tmp))
        try:
            import_betagouv(path=root)
        except ImportRefused:
            pass
        transaction.set_rollback(True)


# --- 2. A refusal names the file and the field, and writes nothing --------------------------------------------


@pytest.mark.django_db
@SETTINGS
@given(first=trees(lenient=True), tree=trees(lenient=False))
def test_a_refused_import_names_file_and_field_and_writes_nothing(first, tree):
    note(f"first: {first!r}\ntree: {tree!r}")
    with tempfile.TemporaryDirectory() as tmp, transaction.atomic():
        # Something imported before, so that "nothing written" also means "nothing updated or deleted".
        import_betagouv(path=first.write(Path(tmp) / "first"))
        root = tree.write(Path(tmp) / "tree")
        before = registry_state()
        try:
            import_betagouv(path=root)
        except ImportRefused as refusal:
            event("refused")
            assert registry_state() == before, "a refused import wrote something"
            message = str(refusal)
            assert message.startswith("Rien n'a été importé")
            assert refusal.errors
            for problem in refusal.problems:
                check_problem(problem, tree, root)
                if problem in refusal.errors:
                    assert str(problem) in message
            errors = refusal.errors
            if all(p.file.startswith("_fasts/") for p in errors):
                expected = tree.errors
            else:  # `_fasts` is read after the rest, only when the rest can be written
                expected = {(rel, at) for rel, at in tree.errors if not rel.startswith("_fasts/")}
            for rel, at in sorted(expected, key=str):
                assert any(_matches(p, rel, at) for p in errors), (rel, at, message)
        except Exception:
            # Property 1's business (see above); whatever it is, it must have written nothing.
            event("unexpected exception")
            assert registry_state() == before, "a failed import wrote something"
        else:
            event("imported")
            non_fast = {(rel, at) for rel, at in tree.errors if not rel.startswith("_fasts/")}
            assert not non_fast, f"imported despite errors: {sorted(non_fast, key=str)}"
        transaction.set_rollback(True)


# --- 3. Idempotent, and import(export(x)) changes nothing ------------------------------------------------------


def assert_nothing_changed(report, before: dict) -> None:
    assert sum(report.created.values()) == 0, report.lines()
    assert sum(report.updated.values()) == 0, report.lines()
    assert (report.accounts_created, report.accounts_linked) == (0, 0), report.lines()
    after = registry_state()
    assert after["JournalEntry"] == before["JournalEntry"] + 1  # the import's own row
    assert without_journal(after) == without_journal(before)


BIG_FLOAT = tree_of({"_organisations/dinum.md": "---\nname: DINUM\nzz_inconnu: 1.0e+300\n---\n"})


@pytest.mark.django_db
@SETTINGS
@example(tree=BIG_FLOAT)
@given(tree=trees(lenient=True))
def test_a_second_import_of_the_same_tree_changes_nothing(tree):
    note(repr(tree))
    with tempfile.TemporaryDirectory() as tmp, transaction.atomic():
        root = tree.write(Path(tmp))
        report = import_betagouv(path=root)
        assert sum(report.updated.values()) == 0
        for kind in FOLDER:
            files = sum(1 for rel, data in tree.files.items() if data is not None and tree.kinds.get(rel) == kind)
            assert report.created[kind] == files, (kind, report.lines())
        before = registry_state()
        assert_nothing_changed(import_betagouv(path=root), before)
        transaction.set_rollback(True)


UNICODE_DIGITS = tree_of({"_organisations/dinum.md": "---\nname: DINUM\nzz_inconnu: '٢٠٢٤-٠١-١٥'\n---\n"})
NEL = tree_of({"_organisations/dinum.md": '---\nname: DINUM\nacronym: "A\\NB"\n---\n'})  # U+0085, `\N` in YAML
QUOTED_TIMESTAMP = tree_of({"_organisations/dinum.md": "---\nname: DINUM\nzz_inconnu: '2024-01-15T10:00:00.5'\n---\n"})
FAST_TITLE = tree_of(
    {
        "_incubators/lab.md": "---\ntitle: Lab\n---\n",
        "_startups/mon-service.md": "---\ntitle: M\nmission: M\nincubator: lab\nfast: {promotion: 1}\n---\n",
        "_fasts/01-fast.md": "---\npromotion: 1\ntitle: FAST 1 - Printemps\n---\n",
    }
)


@pytest.mark.django_db
@SETTINGS
@example(tree=QUOTED_TIMESTAMP)
@example(tree=UNICODE_DIGITS)
@example(tree=NEL)
@example(tree=FAST_TITLE)
@given(tree=trees(lenient=True))
def test_importing_the_export_changes_nothing(tree):
    note(repr(tree))
    with tempfile.TemporaryDirectory() as tmp, transaction.atomic():
        import_betagouv(path=tree.write(Path(tmp) / "tree"))
        before = registry_state()
        exported = export_betagouv(path=Path(tmp) / "export")
        assert not exported.skipped
        assert_nothing_changed(import_betagouv(path=exported.folder), before)
        transaction.set_rollback(True)


# --- 4. Warnings name their file; --strict refuses exactly them ----------------------------------------------


@pytest.mark.django_db
@SETTINGS
@given(tree=trees(lenient=True))
def test_warnings_name_their_file_and_strict_refuses_exactly_them(tree):
    note(repr(tree))
    with tempfile.TemporaryDirectory() as tmp, transaction.atomic():
        root = tree.write(Path(tmp))
        refusal = import_refused(root, strict=True)
        report = import_betagouv(path=root)
        for rel, at in sorted(tree.warnings, key=str):
            assert any(_matches(p, rel, at) for p in report.warnings), (rel, at, [str(p) for p in report.warnings])
        for problem in report.warnings:
            assert problem.warning
            check_problem(problem, tree, root)
        if report.warnings:
            event("warnings")
            assert refusal is not None, "--strict imported a tree with warnings"
            assert refusal.strict and not refusal.warnings
            assert [str(p) for p in refusal.errors] == [str(p) for p in report.warnings]
            assert "--strict" in str(refusal)
        else:
            assert refusal is None
        transaction.set_rollback(True)
