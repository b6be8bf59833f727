"""A synthetic beta.gouv.fr content tree, `factor` times a real one (`manage.py synthetic_tree`), for measuring the
import at scale (`make bench`, P3).

Guarantees:

- the sample's layout: its `_*` folders, the registry's kinds (`_organisations`, `_incubators`, `_startups`,
  `_authors`, `_teams`) copied `factor` times — copy 1 is the sample's files byte for byte, each further copy has new
  identifiers (members `prenom.nom`, drawn from the vocabulary; the others `<id>-<copy>`, so that about one product
  id in six keeps a dot, as in the real tree); the other folders (`_events`, `_phases`, `_fasts`: vocabularies and
  FAST editions, which nothing refers to by name and whose editions must stay unique) are copied once;
- every reference between files is rewritten to the same copy (a mission's `startups`, a member's `teams`, a
  product's `incubator`/`incubators`/`sponsors`/contacts, an incubator's `owner`/`highlighted_startups`, a team's
  `incubator`); a reference the sample leaves dangling stays dangling, so that the import reports exactly `factor`
  times the sample's problems (none but the sample's own warnings);
- deterministic: the same sample, factor and seed write the same bytes;
- it refuses to write into a folder that is not empty unless `force` (which first removes the `_*` folders it writes).
"""

import random
import shutil
import unicodedata
from pathlib import Path

from incubateur.registry.content import KINDS, dump, parse
from incubateur.registry.content.frontmatter import InvalidDate, YamlTimestamp
from incubateur.synthetic.vocabulary import FIRST_NAMES, LAST_NAMES

# Reference prefixes as beta.gouv.fr writes them (as the importer reads them, registry/content/tree.py).
_PREFIXES = {
    "organisations": ("/organisations/",),
    "incubators": ("/incubators/", "/incubateurs/"),
    "teams": ("/teams/",),
    "products": ("/startups/",),
    "members": ("/authors/", "/membres/"),
}
_KIND_OF_FOLDER = {kind.folder: kind.name for kind in KINDS}


class TreeRefused(Exception):
    """The output folder is not empty (and `force` was not given), or the sample is no content tree."""


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c in " -")).lower().replace(" ", "-")


def _ident(name: str) -> tuple[str, str]:
    """(identifier, extension) of a file name: `rdv.mjd.md` → (`rdv.mjd`, `.md`); a name without `.md` is kept."""
    return (name[:-3], ".md") if name.endswith(".md") else (name, "")


class _Copy:
    """The identifiers of one copy: sample id → this copy's id, per kind."""

    def __init__(self, ids: dict[str, dict[str, str]], names: dict[str, str]):
        self.ids = ids
        self.names = names  # member id → « Prénom Nom » (its new fullname)
        self.folded = {kind: {old.casefold(): new for old, new in mapping.items()} for kind, mapping in ids.items()}

    def ref(self, kind: str, value):
        """A reference rewritten to this copy (its prefix kept); anything else as written."""
        if not isinstance(value, str):
            return value
        prefix = next((p for p in _PREFIXES[kind] if value.startswith(p)), "")
        bare = value[len(prefix) :].strip().strip("/")
        new = self.ids[kind].get(bare) or self.folded[kind].get(bare.casefold())
        return f"{prefix}{new}" if new is not None else value

    def refs(self, kind: str, value):
        if isinstance(value, list):
            return [self.ref(kind, item) for item in value]
        return self.ref(kind, value)


# The references of each kind of file: front-matter key → the kind it names (a text or a list of texts).
_REFERENCES = {
    "incubators": {"owner": "organisations", "highlighted_startups": "products"},
    "products": {
        "sponsors": "organisations",
        "incubator": "incubators",
        "incubators": "incubators",
        "contact_dinum": "members",
        "contact_incubator": "members",
    },
    "members": {"teams": "teams", "startups": "products", "previously": "products"},
    "teams": {"incubator": "incubators"},
    "organisations": {},
}


def _rewrite(kind: str, ident: str, data: dict, copy: _Copy) -> dict:
    data = {key: _plain(value) for key, value in data.items()}
    for key, target in _REFERENCES[kind].items():
        if key in data:
            data[key] = copy.refs(target, data[key])
    if kind == "members":
        if "fullname" in data:
            data["fullname"] = copy.names[ident]
        if isinstance(data.get("missions"), list):
            data["missions"] = [
                {**item, "startups": copy.refs("products", item["startups"])}
                if isinstance(item, dict) and "startups" in item
                else item
                for item in data["missions"]
            ]
    return data


def _plain(value):
    """A value the dumper writes back as it was read (an impossible date as the same plain scalar)."""
    if isinstance(value, InvalidDate):
        return YamlTimestamp(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _member_ids(count: int, taken: set[str], rng: random.Random) -> list[tuple[str, str]]:
    """`count` new (identifier, fullname): `prenom.nom` (a number appended when taken), none of `taken`."""
    out = []
    for _ in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{_ascii(first)}.{_ascii(last)}"
        ident, n = base, 1
        while ident in taken:
            n += 1
            ident = f"{base}{n}"
        taken.add(ident)
        out.append((ident, f"{first} {last}"))
    return out


def write_tree(*, out: Path, sample: Path, factor: int, seed: int = 0, force: bool = False) -> dict[str, int]:
    """Write the synthetic tree into `out`; returns the number of files written per folder."""
    if factor < 1:
        raise TreeRefused("le facteur doit être au moins 1")
    folders = sorted(p for p in sample.iterdir() if p.is_dir() and p.name.startswith("_")) if sample.is_dir() else []
    if not any(p.name in _KIND_OF_FOLDER for p in folders):
        raise TreeRefused(f"{sample} n'est pas un dossier content/ de beta.gouv.fr (_authors/, _startups/…)")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise TreeRefused(f"{out} n'est pas vide (--force pour le remplacer)")
        for folder in folders:
            if (out / folder.name).is_symlink() or (out / folder.name).is_file():
                (out / folder.name).unlink()
            elif (out / folder.name).exists():
                shutil.rmtree(out / folder.name)
    files = {
        folder.name: sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        for folder in folders
    }
    sample_ids = {
        kind.name: [_ident(p.name)[0] for p in files.get(kind.folder, [])] for kind in KINDS
    }  # fmt: skip
    rng = random.Random(seed)
    taken = set(sample_ids["members"])
    copies = []
    for number in range(2, factor + 1):
        members = _member_ids(len(sample_ids["members"]), taken, rng)
        ids = {
            kind: {old: f"{old}-{number}" for old in olds} for kind, olds in sample_ids.items() if kind != "members"
        }
        ids["members"] = {old: new for old, (new, _) in zip(sample_ids["members"], members, strict=True)}
        names = {old: name for old, (_, name) in zip(sample_ids["members"], members, strict=True)}
        copies.append(_Copy(ids, names))
    counts: dict[str, int] = {}
    for folder in folders:
        target = out / folder.name
        target.mkdir(parents=True, exist_ok=True)
        kind = _KIND_OF_FOLDER.get(folder.name)
        for path in files[folder.name]:
            raw = path.read_bytes()
            (target / path.name).write_bytes(raw)
            if kind is None:
                continue
            ident, extension = _ident(path.name)
            doc = parse(raw.decode("utf-8"))
            for copy in copies:
                data = _rewrite(kind, ident, doc.data, copy)
                (target / f"{copy.ids[kind][ident]}{extension}").write_text(dump(data, doc.body), encoding="utf-8")
        counts[folder.name] = len(files[folder.name]) * (len(copies) + 1 if kind else 1)
    return counts
