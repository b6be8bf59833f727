"""The three-way merge that lets an import over a diverged tree keep the platform's newer edits (#14).

The platform edits the registry too (missions, new members and products validated online), and the tree goes on
changing upstream. So `import_betagouv` does not simply overwrite the database with the tree: per file and per
field (a top-level front-matter key, or the file's text, `_body`) it compares three values, all in the form the
export writes (`exporter`: the same front matter whether it comes from a file read or from the database):

- **base**: what the previous import read of that file (`ContentBase`, one row per file, saved by every import);
- **theirs**: what the file holds now;
- **ours**: what the database holds now (what `export_betagouv` would write for that row).

The rule (`merge3`, a pure function):

- upstream changed it and the platform did not → upstream's value is taken;
- the platform changed it and upstream did not → ours is kept;
- both changed it, to the same value → that value;
- both changed it, differently → **ours is kept and a conflict is reported** (file, field, both values): the
  import's report lists it and its journal row holds it. It is reported once: the base becomes what was read
  (not what was kept), so the next import sees only the platform's change and keeps ours quietly, until
  upstream changes that field again.

A file with no base (the first import, or rows imported before the base existed) or whose row the export does not
write (a row deleted on the platform, a member or product not validated) is read as it is: the tree wins, as
before. Rows that are not in the tree — created online (validated or pending), or whose file was removed upstream —
are left as they are, as every import always did (the report counts them as absent). A merged file is read again
with every check of the importer (an impossible result is an error and nothing is written: all or nothing).
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from incubateur.registry.content import exporter
from incubateur.registry.content.frontmatter import dump
from incubateur.registry.content.kinds import BODY_KEY, KINDS
from incubateur.registry.content.tree import Tree
from incubateur.registry.content.writing import insert_rows
from incubateur.registry.models import ContentBase

STATE_PREFIX = "@"  # ContentBase rows that are no file of the tree (the sync's state: `sync.STATE`)


class _Missing:
    """A field absent from one side (a key the export does not write, a file without a body)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "MISSING"


MISSING = _Missing()


def same(a, b) -> bool:
    """Equal values, of the same JSON types all the way down (`true` is not `1`). MISSING is only itself (its type
    is its own, and it equals only itself)."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind in _SCALARS:  # the common case first: no recursion
        return a == b
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(value, b[key]) for key, value in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    return a == b


_SCALARS = frozenset({str, int, float, bool, type(None), _Missing})


def merge3(base, ours, theirs) -> tuple[object, bool]:
    """(the merged value, whether it is a conflict). Any value may be MISSING (the field is absent there)."""
    if same(ours, theirs):
        return ours, False
    if same(ours, base):
        return theirs, False
    if same(theirs, base):
        return ours, False
    return ours, True


def as_json(value):
    """A front-matter value as JSON: dates (and YAML timestamps) as ISO text, tuples as lists."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    return value


def fields_of(front: dict, body: str) -> dict:
    """One file as the merge compares it: its front-matter keys, and its text under `_body` (when it has one)."""
    out = {key: as_json(value) for key, value in front.items()}
    if body:
        out[BODY_KEY] = body
    return out


def text_of(merged: dict) -> str:
    """The file the merged fields make (dates as ISO text: the importer reads them back as dates)."""
    front = {k: v for k, v in merged.items() if k != BODY_KEY}
    return dump(front, merged.get(BODY_KEY, ""))


def record_file(kind: str, record: dict) -> tuple[dict, str]:
    """The front matter and body the export would write for a record the importer read (references resolved)."""
    fields = record["fields"]
    if kind == "organisations":
        return exporter.organisation_file(fields)
    if kind == "incubators":
        return exporter.incubator_file(fields, record["owner"])
    if kind == "products":
        links = record["incubators"]
        return exporter.product_file(
            fields,
            sponsors=record["sponsors"],
            incubators=[ghid for ghid, _ in links],
            principal=next((ghid for ghid, principal in links if principal), None),
            phases=record["phases"],
            events=record["events"],
        )
    if kind == "members":
        return exporter.member_file(fields, missions=record["missions"], teams=record["teams"])
    return exporter.team_file(fields, record["incubator"])


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Conflict:
    file: str  # `_authors/x.md`
    field: str  # a front-matter key, or `_body` (the file's text)
    ours: object  # the platform's value, kept (MISSING: absent)
    theirs: object  # upstream's value

    @property
    def label(self) -> str:
        return "texte" if self.field == BODY_KEY else self.field

    def __str__(self) -> str:
        return (
            f"{self.file}, {self.label} : plateforme {show(self.ours)}, beta.gouv.fr {show(self.theirs)} "
            "(la valeur de la plateforme est gardée)"
        )

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "field": self.field,
            "ours": None if self.ours is MISSING else self.ours,
            "theirs": None if self.theirs is MISSING else self.theirs,
        }


def show(value, limit: int = 160) -> str:
    if value is MISSING:
        return "(absent)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = " ".join(text.split())
    return f"« {text[: limit - 1]}… »" if len(text) > limit else f"« {text} »"


@dataclass
class Merge:
    overrides: dict[str, str] = field(default_factory=dict)  # rel → the merged file's text
    conflicts: list[Conflict] = field(default_factory=list)
    kept: int = 0  # files where the platform's edits were kept (some field at least)
    bases: dict[str, tuple[str, dict]] = field(default_factory=dict)  # rel → (digest, fields): the next base
    changed_files: int = 0  # files new or changed since the previous import (by their digest)
    removed_files: int = 0  # files the previous import read that are gone
    # rel → (pk, whether the row holds the next base already: same digest, same fields) of the ContentBase rows
    # `merge_tree` read: `save_bases` writes only the others, without reading (and decoding) them again.
    previous: dict[str, tuple[int, bool]] = field(default_factory=dict, repr=False)


def merge_tree(tree: Tree) -> Merge:
    """Compare each file of `tree` (read without error) with its base and with the database; reads only.

    Memory: what a re-import holds besides the tree is about what a first import holds. The bases are streamed
    (one query): a base equal to what the file reads now is the same value, shared, and only the others are kept
    decoded; the database's export view is streamed too (`exporter.db_files`), and only the rows that differ from
    their file are kept (few: the platform's edits), not the whole registry as the export would write it."""
    result = Merge()
    for kind in KINDS:
        for record in tree.records[kind.name].values():
            rel = record["rel"]
            result.bases[rel] = (digest(tree.texts[rel]), fields_of(*record_file(kind.name, record)))
    bases: dict[str, dict] = {}  # rel → the base's fields, for the files read now that have one
    for pk, rel, dig, fields in (
        ContentBase.objects.exclude(path__startswith=STATE_PREFIX)
        .order_by()
        .values_list("pk", "path", "digest", "fields")
        .iterator(500)
    ):
        read = result.bases.get(rel)
        if read is None:
            result.removed_files += 1
            result.previous[rel] = (pk, False)
            continue
        equal = same(fields, read[1])
        bases[rel] = read[1] if equal else fields
        result.previous[rel] = (pk, equal and dig == read[0])
        if dig != read[0]:
            result.changed_files += 1
    result.changed_files += len(result.bases.keys() - bases.keys())
    ours = _differing(tree, result.bases, bases) if result.previous else {}
    for kind in KINDS:
        for ident, record in tree.records[kind.name].items():
            our = ours.get((kind.name, ident))
            if our is None:
                continue  # no base, no row the export writes (the tree wins), or every field equal on both sides
            rel = record["rel"]
            theirs = result.bases[rel][1]
            base_fields = bases[rel]
            merged, kept = {}, False
            for key in [*our, *(k for k in theirs if k not in our)]:
                value, conflict = merge3(
                    base_fields.get(key, MISSING), our.get(key, MISSING), theirs.get(key, MISSING)
                )
                if conflict:
                    result.conflicts.append(Conflict(rel, key, our.get(key, MISSING), theirs.get(key, MISSING)))
                if not same(value, theirs.get(key, MISSING)):
                    kept = True
                if value is not MISSING:
                    merged[key] = value
            if kept:
                result.kept += 1
                result.overrides[rel] = text_of(merged)
    return result


def _differing(tree: Tree, read: dict[str, tuple[str, dict]], bases: dict) -> dict[tuple[str, str], dict]:
    """(kind, identifier) → the database's fields (as the export writes them), for the files of `tree` that have a
    base and a row the export writes whose fields differ from the file's (`read`: rel → (digest, fields)). The
    export view is streamed: a row equal to its file is dropped at once. The identifiers of a tree read without
    error are all valid file names (the export's `identifier_problem` filter holds for them)."""
    rels = {kind.name: {ident: r["rel"] for ident, r in tree.records[kind.name].items()} for kind in KINDS}
    out = {}
    for kind, ident, front, body in exporter.db_files():
        rel = rels[kind].get(ident)
        if rel is None or rel not in bases:
            continue
        our = fields_of(front, body)
        if not same(our, read[rel][1]):
            out[(kind, ident)] = our
    return out


def save_bases(merge: Merge) -> None:
    """Make ContentBase the files just read (the caller holds the import's transaction): rows created for new files,
    updated where the file or what it reads as changed, deleted for files gone (`merge.previous`)."""
    existing = merge.previous
    now = timezone.now()
    creates, updates = [], []
    for rel, (dig, fields) in merge.bases.items():
        row = existing.get(rel)
        if row is None:
            creates.append({"path": rel, "digest": dig, "fields": fields, "read_at": now})
        elif not row[1]:
            updates.append(ContentBase(pk=row[0], path=rel, digest=dig, fields=fields, read_at=now))
    gone = [pk for path, (pk, _) in existing.items() if path not in merge.bases]
    for start in range(0, len(gone), 500):
        ContentBase.objects.filter(pk__in=gone[start : start + 500]).delete()
    insert_rows(ContentBase, creates)
    ContentBase.objects.bulk_update(updates, ["digest", "fields", "read_at"], batch_size=500)
