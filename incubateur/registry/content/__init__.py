"""beta.gouv.fr's content tree, read into the registry and written back (`manage.py import_betagouv` and
`export_betagouv`).

- `import_betagouv(path=…)` is all or nothing: every file is read and checked, then the references between
  files, before anything is written; one error and nothing is written (`ImportRefused` lists every problem).
  Every problem (`Problem`) names its file, its line when known and its field.
- `export_betagouv(path=…)` writes one Markdown file per validated row; `import(export(x))` changes nothing.
- Over a tree that has diverged, the import keeps the platform's newer edits and reports the conflicts: a three-way
  merge per file and field (`merge`, its docstring states the rule). `sync` follows the beta.gouv.fr repository
  (`manage.py sync_betagouv`, and the worker once a day when BETAGOUV_REPO_URL is set).
- Neither follows a symbolic link below the folder it is given (`files`): the import refuses a linked file or
  folder (an error naming it); the export replaces a linked file by a regular one (its target is not touched) and
  refuses a linked folder (`ExportRefused`, nothing written). `write_file` writes a file of the tree so, for the
  apps that write back files of their own (REGISTRY_EXPORT_HOOKS).
- `parse(text)` / `dump(data, body)` read and write one Markdown file with a YAML front matter; `read_utf8`,
  `read_text` and `describe` are the importer's helpers for other apps reading files of the same tree
  (REGISTRY_IMPORT_HOOKS), so that their problems read as the importer's.
"""

from incubateur.registry.content.exporter import ExportRefused, ExportReport, export_betagouv
from incubateur.registry.content.files import FileRefused, write_file
from incubateur.registry.content.frontmatter import Document, FrontMatterError, InvalidDate, YamlTimestamp, dump, parse
from incubateur.registry.content.importer import import_betagouv
from incubateur.registry.content.kinds import KIND, KINDS, Kind
from incubateur.registry.content.problems import ImportRefused, Problem, describe
from incubateur.registry.content.reading import check_file, read_text, read_utf8
from incubateur.registry.content.tree import read_tree
from incubateur.registry.content.writing import Report

__all__ = [
    "Document",
    "ExportRefused",
    "ExportReport",
    "FileRefused",
    "FrontMatterError",
    "ImportRefused",
    "InvalidDate",
    "KIND",
    "KINDS",
    "Kind",
    "Problem",
    "Report",
    "YamlTimestamp",
    "check_file",
    "describe",
    "dump",
    "export_betagouv",
    "import_betagouv",
    "parse",
    "read_text",
    "read_tree",
    "read_utf8",
    "write_file",
]
