"""What the importer finds wrong in the tree: a `Problem` names its file, its line when known and its field; an
`ImportRefused` carries every problem of an import that wrote nothing."""

import datetime
from dataclasses import dataclass

from incubateur.core.text import quantity
from incubateur.registry.content.kinds import FOLDER_ORDER


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
            f"Rien n'a été importé : {quantity(len(errors), 'erreur')}"
            + (" (--strict : les avertissements comptent)" if self.strict else "")
            + "."
        ]
        lines += [str(p) for p in errors]
        if self.warnings:
            lines.append(f"Avertissements ({len(self.warnings)}) :")
            lines += [f"  {p}" for p in self.warnings]
        return "\n".join(lines)


def field_name(path: tuple) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


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
