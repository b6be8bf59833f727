"""Import the beta.gouv.fr content tree into the registry (`manage.py import_betagouv PATH`).

Two stages, so that nothing is written unless everything can be:

1. `tree.read_tree(content)` reads every file once (libyaml), checks its fields, then the references between files
   (sponsors, incubators, products of a mission, teams…). Nothing is written. Every problem is collected with
   its file, its line when known and its field:
   - an **error** refuses the whole import: invalid YAML, a required field missing, an impossible date, an end
     not after its start, a value outside a closed list (phase, domaine…), a value of the wrong type, a text or
     an identifier (the file's name) too long for its column;
   - a **warning** imports the file as well as can be: a file without `.md`, a reference to nothing (dropped,
     or kept as written where the model keeps text), a duplicate list entry (kept once), a front-matter key
     the registry does not know (kept in `extra`, written back by the export).
2. `import_betagouv(...)` writes it in one transaction (`writing`): upserts by identifier (`ghid`, a member's
   username), comparing with the rows read in memory (JSON as the database gives it back: jsonb turns `1e+300`
   into an int), bulk writes only; then one `cache.bump()` (bulk writes fire no signals) and one internal
   journal row.
   Rows that are not in the tree are left as they are.
3. Over a tree that has diverged from the platform (which edits missions, and creates members and products),
   the import merges (`merge`): per file and field, base = what the previous import read (`ContentBase`),
   theirs = the file now, ours = the database as the export would write it. Upstream changed and the platform
   did not → upstream's value; the platform changed and upstream did not → ours; both, differently → ours kept
   and a conflict reported (file, field, both values) in the report and the journal row; no base (a first
   import) → the tree wins. Rows created online are not in the tree: they are left as they are. Every import
   saves what it read as the next base (in the same transaction).

Normalisation (so that `import(export(x))` changes nothing): text fields are stripped of surrounding
whitespace (`link: 'https://… '` is stored without its trailing space); Markdown bodies are kept as written
(a blank body is empty); lists keep their order; dates in `extra` are kept as ISO text.
"""

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from incubateur.core import journal
from incubateur.core.models import Visibility
from incubateur.core.text import quantity
from incubateur.registry.content.kinds import KINDS
from incubateur.registry.content.merge import merge_tree, save_bases
from incubateur.registry.content.problems import ImportRefused
from incubateur.registry.content.tree import Progress, read_tree
from incubateur.registry.content.writing import Report, write


@contextmanager
def _no_cyclic_collection() -> Iterator[None]:
    """The cyclic garbage collector paused for the length of an import, as it was before afterwards.

    An import builds a few hundred thousand objects that all live until it ends (the files read, the database's
    rows, the export view of each): every collection of the oldest generation walks them all again and frees
    nothing, a fifth of an import's time. What is freed by reference counting (nearly everything) still is at
    once; the few reference cycles made meanwhile wait for the next collection after the import."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_betagouv(
    *, path: str | os.PathLike, strict: bool = False, by=None, progress: Progress | None = None
) -> Report:
    """Read the tree at `path` and write it in one transaction; raises ImportRefused (nothing written)."""
    with _no_cyclic_collection():
        return _import(path, strict=strict, by=by, progress=progress)


def _import(path: str | os.PathLike, *, strict: bool, by, progress: Progress | None) -> Report:
    tree = read_tree(path, progress=progress)
    if tree.errors or (strict and tree.warnings):
        raise ImportRefused(tree.problems, strict=strict)
    with transaction.atomic():
        # The platform's newer edits are kept (a three-way merge per file and field, `merge`): the merged files
        # are read again, with every check, instead of the tree's.
        merge = merge_tree(tree)
        if merge.overrides:
            tree = read_tree(path, overrides=merge.overrides)
            if tree.errors or (strict and tree.warnings):
                raise ImportRefused(tree.problems, strict=strict)
        report = Report(
            content=tree.content,
            files=tree.files,
            warnings=sorted(tree.warnings, key=lambda p: p.sort_key),
            conflicts=merge.conflicts,
            kept=merge.kept,
            changed_files=merge.changed_files,
            removed_files=merge.removed_files,
        )
        write(tree, report, progress)
        save_bases(merge)
        # Other apps derive their own history from the same tree, in the same transaction (all or nothing):
        # REGISTRY_IMPORT_HOOKS names them (the programmes app: past FAST editions and their laureates).
        for hook in settings.REGISTRY_IMPORT_HOOKS:
            report.more_lines += import_string(hook)(content=tree.content, by=by)
        totals = ", ".join(
            k.count(report.created[k.name] + report.updated[k.name] + report.unchanged[k.name]) for k in KINDS
        )
        journal.record(
            actor=by,
            action="registry.import_betagouv",
            message=(
                f"Import de beta.gouv.fr ({totals}) : {quantity(sum(report.created.values()), 'créé')}, "
                f"{quantity(sum(report.updated.values()), 'modifié')}, "
                f"{quantity(sum(report.unchanged.values()), 'inchangé')}, "
                f"{quantity(len(report.warnings), 'avertissement')}, {quantity(len(report.conflicts), 'conflit')}"
            ),
            visibility=Visibility.INTERNAL,
            data=report.summary(),
        )
    return report
