"""Markdown files with a YAML front matter, as Jekyll reads them (beta.gouv.fr's `content/_*/*.md`).

`parse(text)` splits a file into its front matter (a mapping) and its Markdown body, and knows the line of the
file each part starts on. It reads YAML with libyaml (`CSafeLoader`) when PyYAML was built with it, and builds
nothing but plain data (safe loading). A date YAML cannot build (`2024-02-30`) does not stop the parse: it comes
back as an `InvalidDate`, so the caller reports it with its field and goes on with the other fields.

`Document.line_of("missions", 1, "start")` gives the line of a field in the file. It composes the YAML again,
so it is meant for error messages only: the fast path never tracks lines.

`dump(data, body)` writes a file back: front matter keys in the given order, `YYYY-MM-DD` dates, lists
indented under their key (as espace-membre writes them), long lines never folded.
"""

import datetime
import re
from dataclasses import dataclass, field

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

_FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Jekyll's rule: the file starts with a `---` line; the front matter ends at the next `---` (or `...`) line.
_OPEN = re.compile(r"---[ \t]*\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$\n?", re.MULTILINE)


class FrontMatterError(Exception):
    """The file has no readable front matter. `line` is the line of the file, when known."""

    def __init__(self, message: str, line: int | None = None):
        self.message = message
        self.line = line
        super().__init__(f"ligne {line} : {message}" if line else message)


class InvalidDate(str):
    """The text of a scalar YAML reads as a date or a time but which is none (`2024-02-30`, `2024-13-01`)."""


# A plain date, by far the most common timestamp of a front matter (every start and end): built without PyYAML's
# regular expression and group dictionary; what it gives is the same (`datetime.date`), any other form and an
# impossible date (`2024-02-30`) go the whole way.
_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _timestamp(loader, node):
    value = node.value
    if len(value) == 10 and _PLAIN_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return InvalidDate(node.value)


class _Loader(_FastLoader):
    """The safe loader, with impossible dates kept as `InvalidDate` instead of failing the whole file."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


class _LocatingLoader(yaml.SafeLoader):
    """Pure-Python, slow: used only to find the line of a value YAML cannot build (`!!int douze`)."""

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError, KeyError) as exc:
            raise yaml.constructor.ConstructorError(None, None, f"valeur illisible ({exc})", node.start_mark) from exc


_LocatingLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


# The fast path: libyaml composes the node tree, and `_build` turns it into data for the plain tags of a front
# matter. PyYAML's constructor (pure Python even with libyaml) takes a third of a load; this takes a tenth. Any
# other tag (`!!binary`, `!!set`, a merge key `<<`…) or an unhashable key falls back to `_Loader`, which builds
# or reports it exactly as `yaml.load` does.
_STR = "tag:yaml.org,2002:str"
_SCALARS = {
    "tag:yaml.org,2002:null": SafeConstructor.construct_yaml_null,
    "tag:yaml.org,2002:bool": SafeConstructor.construct_yaml_bool,
    "tag:yaml.org,2002:int": SafeConstructor.construct_yaml_int,
    "tag:yaml.org,2002:float": SafeConstructor.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": _timestamp,
}
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_scalar_constructor = SafeConstructor()


class _Fallback(Exception):
    pass


def _build(node, memo: dict):
    cls = node.__class__
    if cls is ScalarNode:
        if node.tag == _STR:
            return node.value
        construct = _SCALARS.get(node.tag)
        if construct is None:
            raise _Fallback
        return construct(_scalar_constructor, node)
    built = memo.get(id(node))  # an alias: the same object, as PyYAML gives it (and no exponential blow-up)
    if built is not None:
        return built
    if cls is MappingNode and node.tag == _MAP:
        built = memo[id(node)] = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is not ScalarNode or key_node.tag == "tag:yaml.org,2002:merge":
                raise _Fallback
            built[_build(key_node, memo)] = _build(value_node, memo)
        return built
    if cls is SequenceNode and node.tag == _SEQ:
        built = memo[id(node)] = []
        built.extend(_build(item, memo) for item in node.value)
        return built
    raise _Fallback


class _Composer(_FastLoader):
    """libyaml's composer, with PyYAML's implicit tag resolution done in one step per scalar.

    libyaml calls back into Python for the tag of every node (`resolve`) and around every child (`descend_resolver`,
    `ascend_resolver`): half the time of composing a front matter. The safe loader has no path resolvers, so those
    two are no-ops (here C callables that build a throwaway value, instead of Python calls), and `resolve` gives
    exactly PyYAML's tags: the implicit resolvers of the scalar's first character, then the wildcard ones, tried
    in PyYAML's order."""

    _implicit = {
        first: tuple(resolvers + _FastLoader.yaml_implicit_resolvers.get(None, []))
        for first, resolvers in _FastLoader.yaml_implicit_resolvers.items()
        if first is not None
    }
    _wildcard = tuple(_FastLoader.yaml_implicit_resolvers.get(None, []))
    descend_resolver = slice  # called as (parent, index): a type is no descriptor, so `self` is not passed
    ascend_resolver = tuple  # called with no argument

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in self._implicit.get(value[:1], self._wildcard):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP


assert not _FastLoader.yaml_path_resolvers  # else descend/ascend_resolver would matter


def _load(yaml_text: str):
    loader = _Composer(yaml_text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    if node is None:
        return None
    try:
        return _build(node, {})
    except _Fallback:
        return yaml.load(yaml_text, Loader=_Loader)


@dataclass
class Document:
    data: dict
    body: str
    yaml_text: str = field(repr=False)
    first_line: int = 2  # line of the file where the front matter's text starts (after the opening ---)
    body_line: int = 0  # line of the file where the body starts
    _root: object = field(default=None, repr=False, compare=False)

    def line_of(self, *path) -> int | None:
        """The line of the file where `path` (keys and list indexes) is written.

        For a key that is missing, the line of the nearest enclosing entry; None when even the first step of
        the path is missing (a top-level field that is not there has no line).
        """
        if len(path) == 1 and isinstance(path[0], str):
            # A top-level key starts a line at column 0: found without composing the YAML again.
            key = re.escape(path[0])
            found = re.search(rf"^(?:{key}|'{key}'|\"{key}\")[ \t]*:", self.yaml_text, re.MULTILINE)
            if found:
                return self.yaml_text.count("\n", 0, found.start()) + self.first_line
        if self._root is None:
            try:
                self._root = yaml.compose(self.yaml_text, Loader=_FastLoader) or False
            except Exception:  # the data was read already: finding a line is a best effort for a message
                self._root = False
        node = self._root
        if not node or not path:
            return None
        line = None
        for step in path:
            child, child_line = _child(node, step)
            if child is None:
                break
            node, line = child, child_line
        return None if line is None else line + self.first_line


def _child(node, step):
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if getattr(key, "value", None) == str(step):
                return value, key.start_mark.line
    elif isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        item = node.value[step]
        return item, item.start_mark.line
    return None, None


def split(text: str) -> tuple[str, str, int]:
    """(front matter text, body, line of the body). The text has `\\n` line ends."""
    opening = _OPEN.match(text)
    if opening is None:
        raise FrontMatterError("pas d'en-tête YAML : le fichier doit commencer par une ligne « --- »", line=1)
    closing = _CLOSE.search(text, opening.end())
    if closing is None:
        raise FrontMatterError("en-tête YAML non fermé : la ligne « --- » qui le termine est introuvable", line=1)
    body_line = text.count("\n", 0, closing.end()) + 1
    return text[opening.end() : closing.start()], text[closing.end() :], body_line


def _yaml_error(exc: Exception, yaml_text: str, first_line: int) -> FrontMatterError:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        line = mark.line + first_line
    elif isinstance(exc, yaml.reader.ReaderError):  # a forbidden character: libyaml knows its position only
        line = yaml_text.count("\n", 0, max(exc.position, 0)) + first_line
    else:
        line = None
    problem = " ".join(str(getattr(exc, "problem", None) or exc).split())  # one line per problem
    return FrontMatterError(f"YAML invalide : {problem}", line=line)


def parse(text: str) -> Document:
    """Split and read a file. Raises FrontMatterError (with its line when known), never anything else."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    yaml_text, body, body_line = split(text)
    try:
        data = _load(yaml_text)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, yaml_text, 2) from exc
    except RecursionError as exc:
        raise FrontMatterError("YAML invalide : trop de niveaux imbriqués") from exc
    except Exception as exc:
        # A value of an explicit tag YAML cannot build (`!!int douze`, `!!bool peut-être`): PyYAML raises a plain
        # ValueError or KeyError, without a line. Read again, slowly, to find it.
        try:
            yaml.load(yaml_text, Loader=_LocatingLoader)
        except yaml.YAMLError as located:
            raise _yaml_error(located, yaml_text, 2) from exc
        except Exception:  # no better message than the first one
            pass
        raise FrontMatterError(f"YAML invalide : valeur illisible ({exc})") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError("l'en-tête YAML doit être une table (clé: valeur)", line=2)
    return Document(data=data, body=body, yaml_text=yaml_text, first_line=2, body_line=body_line)


# --- Writing ----------------------------------------------------------------------------------------------


class YamlTimestamp(str):
    """A string written as a plain YAML date or time (so that it reads back as one): `2024-01-15`."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        # "key:\n  - item" (espace-membre's js-yaml style) rather than PyYAML's "key:\n- item".
        return super().increase_indent(flow, False)

    def ignore_aliases(self, data):
        return True


def _represent_timestamp(dumper, data):
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", str(data))


# The line breaks YAML knows besides `\n` and `\r` (NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR): PyYAML writes them
# raw in a single-quoted scalar, where a reader folds a NEL into a space. Escaped in double quotes, they read back.
_OTHER_BREAKS = re.compile("[\x85\u2028\u2029]")


def _represent_str(dumper, data):
    if _OTHER_BREAKS.search(data):
        return dumper.represent_scalar(_STR, data, style='"')
    return dumper.represent_str(data)


_Dumper.add_representer(YamlTimestamp, _represent_timestamp)
_Dumper.add_representer(str, _represent_str)


def dump(data: dict, body: str = "") -> str:
    """A Jekyll file: `---`, the front matter, `---`, the body."""
    front = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1_000_000) if data else ""
    return f"---\n{front}---\n{body}"
