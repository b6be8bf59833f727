"""Reading the whole tree: every file read once (`reading`), then the references between files resolved
(sponsors, incubators, products of a mission, teams…). Nothing is written. A symbolic link in the tree (a file, a
kind's folder, a checkout's `content/`) is an error naming it: nothing of it is read (`files`)."""

import functools
import os
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from incubateur.registry.content.files import LINKED_FILE, LINKED_FOLDER, FileRefused, folder, read_at
from incubateur.registry.content.kinds import KINDS
from incubateur.registry.content.problems import ImportRefused, Problem
from incubateur.registry.content.reading import File, decode_utf8, read_file

# Reference prefixes as beta.gouv.fr writes them (`sponsors: [/organisations/dinum]`); a bare id is read too.
PREFIXES = {
    "organisations": ("/organisations/",),
    "incubators": ("/incubators/", "/incubateurs/"),
    "teams": ("/teams/",),
    "products": ("/startups/",),
    "members": ("/authors/", "/membres/"),
}

Progress = Callable[[str, int, int], None]


@dataclass
class Tree:
    content: Path
    records: dict[str, dict[str, dict]]  # kind → id → record
    problems: list[Problem]
    files: Counter
    texts: dict[str, str] = field(default_factory=dict)  # rel → the file's text as read from the tree

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]


def content_folder(path: str | os.PathLike) -> Path:
    """`PATH` is a beta.gouv.fr checkout (with `content/`) or its `content/` folder."""
    path = Path(path)
    if (path / "content").is_symlink():  # a checkout's folder: links in it are not followed (files.py)
        raise ImportRefused([Problem("content", LINKED_FOLDER)])
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


def read_tree(
    path: str | os.PathLike, *, progress: Progress | None = None, overrides: dict[str, str] | None = None
) -> Tree:
    """Read and check the whole tree. Writes nothing; raises only ImportRefused for a PATH that is no tree.

    `overrides` (rel → text) replaces the text of some files for the reading (the merge's result, `merge`); `texts`
    keeps what the files themselves hold."""
    overrides = overrides or {}
    texts: dict[str, str] = {}
    content = content_folder(path)
    problems: list[Problem] = []
    records: dict[str, dict[str, dict]] = {kind.name: {} for kind in KINDS}
    files: dict[str, dict[str, File]] = {kind.name: {} for kind in KINDS}
    # Every identifier of the tree, readable or not: a reference to a file with errors is no warning besides.
    ids: dict[str, set[str]] = {kind.name: set() for kind in KINDS}
    counts: Counter = Counter()
    for kind in KINDS:
        folder_path = content / kind.folder
        if folder_path.is_symlink():
            problems.append(Problem(kind.folder, LINKED_FOLDER))
            continue
        if not folder_path.is_dir():
            continue
        with os.scandir(folder_path) as it:
            visible = [e for e in it if not e.name.startswith(".")]
        # A link is refused, to a file or a folder, inside the tree or out of it (reading opens no link either).
        for entry in sorted((e for e in visible if e.is_symlink()), key=lambda e: e.name):
            problems.append(Problem(f"{kind.folder}/{entry.name}", LINKED_FILE))
        entries = sorted((e for e in visible if not e.is_symlink() and e.is_file()), key=lambda e: e.name)
        try:
            # The kind's folder is opened once, without following a link (`files`); each file relative to it.
            with folder(content, kind.folder) as dir_fd:
                _read_folder(kind, entries, dir_fd, texts, overrides, problems, records, files, ids, counts, progress)
        except FileRefused as exc:
            problems.append(Problem(exc.rel, exc.message))
        except OSError as exc:
            problems.append(Problem(kind.folder, f"dossier illisible : {exc.strerror or exc}"))
    _link(records, files, ids)
    return Tree(content=content, records=records, problems=problems, files=counts, texts=texts)


def _read_folder(kind, entries, dir_fd, texts, overrides, problems, records, files, ids, counts, progress) -> None:
    """Read and check the files of one kind (`entries`, sorted) into `records`, `files`, `ids`… (read_tree's)."""
    total = len(entries)
    for done, entry in enumerate(entries, 1):
        name = entry.name
        rel = f"{kind.folder}/{name}"
        ident = name[:-3] if name.endswith(".md") else name
        counts[kind.name] += 1
        if not name.endswith(".md"):
            problems.append(
                Problem(rel, f"fichier sans l'extension .md (importé sous l'identifiant « {ident} »)", warning=True)
            )
        if ident in ids[kind.name]:
            problems.append(Problem(rel, f"l'identifiant « {ident} » est déjà pris par un autre fichier"))
            continue
        ids[kind.name].add(ident)
        text = decode_utf8(functools.partial(read_at, name, dir_fd=dir_fd, rel=rel), rel, problems)
        if text is None:
            continue
        texts[rel] = text
        text = overrides.get(rel, text)
        record, f = read_file(kind, name, text, problems)
        if record is not None:
            record["rel"] = rel
            records[kind.name][ident] = record
            files[kind.name][ident] = f
        if progress:
            progress(kind.label, done, total)


class _Linker:
    """Resolves the references of each kind of record against every identifier of the tree; what points to nothing
    is a warning (or an error, for a team's incubator)."""

    def __init__(self, ids: dict[str, set[str]]):
        self.resolvers = {name: _Resolver(ids[name], PREFIXES[name]) for name in ids}

    def one(self, f: File, kind: str, ref: tuple[tuple, str], what: str) -> str | None:
        path, text = ref
        ident, note = self.resolvers[kind].resolve(text)
        if ident is None:
            f.warn(path, f"« {text} » n'est pas {what} de l'arborescence (ignoré)")
        elif note:
            f.warn(path, note)
        return ident

    def many(self, f: File, kind: str, refs, what: str) -> list[str]:
        out: list[str] = []
        for ref in refs:
            ident = self.one(f, kind, ref, what)
            if ident is None:
                continue
            if ident in out:
                f.warn(ref[0], f"« {ref[1]} » est en double dans la liste (gardé une fois)")
                continue
            out.append(ident)
        return out

    def kept_as_written(self, f: File, kind: str, path: tuple, ident: str, what: str) -> None:
        """A reference the model keeps as text: only checked."""
        if ident not in self.resolvers[kind].ids:
            f.warn(path, f"« {ident} » n'est pas {what} de l'arborescence (conservé tel quel)")

    def incubator(self, f: File, record: dict) -> None:
        written = record["owner"]
        record["owner"] = self.one(f, "organisations", written, "une organisation") if written else None
        if written and record["owner"] is None:
            # Kept as written in `extra` (beta.gouv.fr publishes it so; the export gives it back).
            record["fields"]["extra"]["owner"] = written[1]
        for i, product in enumerate(record["fields"]["highlighted_products"]):
            self.kept_as_written(f, "products", ("highlighted_startups", i), product, "un produit")

    def product(self, f: File, record: dict) -> None:
        record["sponsors"] = self.many(f, "organisations", record["sponsors"], "une organisation")
        listed = self.many(f, "incubators", record["incubators"], "un incubateur")
        principal = self.one(f, "incubators", record["incubator"], "un incubateur") if record["incubator"] else None
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
            if username := record["fields"][key]:
                self.kept_as_written(f, "members", (key,), username, "un membre")

    def team(self, f: File, record: dict) -> None:
        if record["incubator"]:
            path, text = record["incubator"]
            incubator, note = self.resolvers["incubators"].resolve(text)
            if incubator is None:
                f.problem(path, f"« {text} » n'est pas un incubateur de l'arborescence (une équipe en a un)")
            elif note:
                f.warn(path, note)
            record["incubator"] = incubator

    def member(self, f: File, record: dict) -> None:
        record["teams"] = self.many(f, "teams", record["teams"], "une équipe")
        record["missions"] = [
            (values, self.many(f, "products", refs, "un produit")) for values, refs in record["missions"]
        ]
        for path, product in record.pop("legacy_products"):
            self.kept_as_written(f, "products", path, product, "un produit")


def _link(records: dict[str, dict[str, dict]], files: dict[str, dict[str, File]], ids: dict[str, set[str]]):
    """Resolve the references between files, kind by kind (organisations refer to nothing)."""
    linker = _Linker(ids)
    for kind, link in (
        ("incubators", linker.incubator),
        ("products", linker.product),
        ("teams", linker.team),
        ("members", linker.member),
    ):
        for ident, record in records[kind].items():
            link(files[kind][ident], record)
