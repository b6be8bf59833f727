"""Write the registry back as beta.gouv.fr's content tree (`manage.py export_betagouv DIR`).

One Markdown file per row (`_authors/<username>.md`, `_startups/<ghid>.md`, `_incubators/`, `_organisations/`,
`_teams/`), with the front matter beta.gouv.fr and espace-membre write: dates `YYYY-MM-DD`, references as
`/organisations/<id>` and `/teams/<id>`, the Markdown description or bio as the body, and the `extra` keys
written back after the modelled ones; `_fasts/` (the past FAST editions) is written by the programmes app, whose
import hook reads it. What the importer reads from an export is what was exported: `import(export(x))` changes
nothing, online changes included (missions added, extended, ended; members and products created online once their
incubator validated them). A member or a product pending or refused is never written, nor named by a mission.

The front matter of each kind is built by one function (`member_file`, `product_file`…) from a row's values: the
export gives it the database's, the import's merge (`merge`) a record's, so that both compare in one form
(`db_files()`: what the export would write, without writing it, one file at a time).

The output passes beta.gouv.fr's own checks (`ci/authors.mjs`, `ci/startups.mjs`): a member's domaine is one
of the list, a mission ends after it starts, its products exist and are listed once; a product's phases are
valid and unique, `phases` is always there, `incubators` is written only for a co-incubated product and holds
the principal one.

Values are written in a fixed order (modelled keys first, then `extra` keys sorted, nested tables too), so
that an export does not depend on the database (PostgreSQL's jsonb does not keep the order of keys).
"""

import datetime
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from incubateur.core.text import quantity
from incubateur.registry.content import files
from incubateur.registry.content.files import LINKED_FOLDER, FileRefused, replace_file
from incubateur.registry.content.frontmatter import YamlTimestamp, dump
from incubateur.registry.content.kinds import BODY_KEY, KIND, KINDS
from incubateur.registry.content.writing import INCUBATOR_FIELDS, ORGANISATION_FIELDS, TEAM_FIELDS
from incubateur.registry.converters import identifier_problem
from incubateur.registry.enums import PhaseName, ReviewState
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

# Texts in `extra` that were dates or times in the front matter: the importer keeps them as their `isoformat()`.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d{6})?(?:[+-]\d{2}:\d{2})?)?", re.ASCII)
_PHASE_ORDER = {name: i for i, name in enumerate(PhaseName.values)}


@dataclass
class ExportReport:
    folder: Path
    written: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)  # identifiers that cannot be file names
    more_lines: list[str] = field(default_factory=list)  # what the import hooks wrote back

    def lines(self) -> list[str]:
        out = [f"{kind.label} : {quantity(self.written[kind.name], 'fichier')}" for kind in KINDS]
        if self.skipped:
            out.append(f"identifiants impossibles comme noms de fichier, non exportés : {', '.join(self.skipped)}")
        return out + self.more_lines


def _was_timestamp(text: str) -> bool:
    """The text is exactly what the importer keeps of a YAML date or time (and so what one reads back as). Any other
    text, however like a date it looks (`2024-01-15T10:00:00.5`, `…-00:00`, other digits), is written as a text."""
    if not _TIMESTAMP.fullmatch(text):
        return False
    try:
        value = datetime.datetime.fromisoformat(text) if "T" in text else datetime.date.fromisoformat(text)
    except ValueError:  # an impossible date (`2024-02-30`): read back as a text as well
        return False
    return value.isoformat() == text


def _yaml_extra(value):
    """`extra` as it was read: dates back to YAML dates, tables in a fixed order."""
    if isinstance(value, str):
        return YamlTimestamp(value) if _was_timestamp(value) else value
    if isinstance(value, dict):
        return {k: _yaml_extra(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_yaml_extra(v) for v in value]
    return value


def _with_extra(front: dict, extra: dict) -> dict:
    """The `extra` keys after the modelled ones. A modelled key left empty gives way to its `extra` value (a text
    too long for its field, kept there by the importer)."""
    for key in sorted(extra):
        if key == BODY_KEY:
            continue
        if key not in front or front[key] in ("", None, []):
            front[key] = _yaml_extra(extra[key])
    return front


def _put(front: dict, key: str, value) -> None:
    """Optional keys are written only when they say something (`false` and `0` do)."""
    if value not in ("", None, [], {}):
        front[key] = value


class ExportRefused(Exception):
    """Nothing was written: a folder of the destination is a symbolic link (`files` says why)."""

    def __init__(self, refused: list[FileRefused]):
        self.refused = refused
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(["Rien n'a été exporté :", *(f"{r.rel}: {r.message}" for r in self.refused)])


def folder_for(path: str | os.PathLike) -> Path:
    """`DIR`, or `DIR/content` when DIR is a beta.gouv.fr checkout (as the importer reads it)."""
    path = Path(path)
    return path / "content" if (path / "content").is_dir() else path


class _Writer:
    """Writes into the kinds' folders, held open (their descriptors) from before the first file to the last: no
    link is followed, a linked file is replaced by a regular one (`files.replace_file`), nothing is written outside
    the destination."""

    def __init__(self, folders: dict[str, int], report: ExportReport):
        self.folders = folders
        self.report = report

    def write(self, kind: str, ident: str, front: dict, body: str) -> None:
        if identifier_problem(ident):  # the converters' rule: a row so named cannot be a file of the folder
            self.report.skipped.append(f"{KIND[kind].folder}/{ident}")
            return
        replace_file(f"{ident}.md", dump(front, body), dir_fd=self.folders[kind])
        self.report.written[kind] += 1


@contextmanager
def _open_folders(path: str | os.PathLike) -> Iterator[tuple[Path, dict[str, int]]]:
    """The destination folder (`DIR`, followed if a link: the operator names it) and a descriptor per kind's folder
    (created when missing). A checkout's `content/` or a kind's folder that is a link refuses the whole export,
    before anything is written."""
    path = Path(path)
    if (path / "content").is_symlink():
        raise ExportRefused([FileRefused("content", LINKED_FOLDER)])
    folder = folder_for(path)
    with ExitStack() as stack:
        root = stack.enter_context(files.folder(folder, create=True))
        folders, refused = {}, []
        for kind in KINDS:
            try:
                fd = files.open_folder(kind.folder, dir_fd=root, rel=kind.folder, create=True)
            except FileRefused as exc:
                refused.append(exc)
                continue
            stack.callback(os.close, fd)
            folders[kind.name] = fd
        if refused:
            raise ExportRefused(refused)
        yield folder, folders


def export_betagouv(*, path: str | os.PathLike) -> ExportReport:
    """Write every organisation, incubator, product, member and team under `path` (files are replaced, never written
    through: a link is replaced by a regular file; a linked folder refuses the export: `ExportRefused`)."""
    with _open_folders(path) as (folder, folders):
        report = ExportReport(folder=folder)
        _export(_Writer(folders, report))
    # What other apps derive from the tree at import (REGISTRY_IMPORT_HOOKS) they write back (REGISTRY_EXPORT_HOOKS;
    # the programmes app: `_fasts/`, the past FAST editions, whose titles are nowhere else).
    for hook in settings.REGISTRY_EXPORT_HOOKS:
        report.more_lines += import_string(hook)(content=folder)
    return report


def _export(w: _Writer) -> None:
    for kind, ident, front, body in db_files():
        w.write(kind, ident, front, body)


# --- One file's front matter and body, from a row's values (the database's or a record's the importer read) -----


def organisation_file(fields: dict) -> tuple[dict, str]:
    extra = fields["extra"]
    front = {
        "name": fields["name"],
        "acronym": fields["acronym"],
        "domaine_ministeriel": fields["domaine_ministeriel"],
        "type": fields["type"],
    }
    return _with_extra(front, extra), extra.get(BODY_KEY, "")


def incubator_file(fields: dict, owner: str | None) -> tuple[dict, str]:
    front = {"title": fields["title"]}
    _put(front, "short_description", fields["short_description"])
    front["owner"] = f"/organisations/{owner}" if owner else ""
    _put(front, "logo", fields["logo"])
    for key in ("contact", "address", "website", "github"):
        front[key] = fields[key]
    _put(front, "highlighted_startups", fields["highlighted_products"])
    return _with_extra(front, fields["extra"]), fields["description"]


def product_file(
    fields: dict, *, sponsors: list[str], incubators: list[str], principal: str | None, phases: list, events: list
) -> tuple[dict, str]:
    """`sponsors`, `incubators`: identifiers in their order; `phases`: (name, start, end, comment); `events`:
    (name, date, comment) in their order."""
    p = fields
    front = {"title": p["name"], "mission": p["pitch"]}
    _put(front, "incubator", principal or (incubators[0] if incubators else ""))
    if len(incubators) > 1:
        front["incubators"] = list(incubators)
    _put(front, "sponsors", [f"/organisations/{ghid}" for ghid in sponsors])
    front["contact"] = p["contact"]
    _put(front, "contact_dinum", p["contact_dinum"])
    _put(front, "contact_incubator", p["contact_incubator"])
    front["link"] = p["link"]
    _put(front, "repository", p["repository"])
    _put(front, "stats", p["stats"])
    for key in ("stats_url", "budget_url", "impact_url", "dashlord_url", "accessibility_status"):
        _put(front, key, p[key])
    _put(front, "analyse_risques", p["analyse_risques"])
    _put(front, "analyse_risques_url", p["analyse_risques_url"])
    _put(front, "mon_service_securise", p["mon_service_securise"])
    for key in ("techno", "usertypes", "thematiques"):
        _put(front, key, p[key])
    fast = {}
    _put(fast, "promotion", p["fast_promotion"])
    _put(fast, "montant", p["fast_amount"])
    _put(front, "fast", fast)
    _put(front, "redirect_from", p["redirect_from"])
    # `phases` is always written: beta.gouv.fr's check reads its length.
    written = []
    for name, start, end, comment in phases:
        phase = {"name": name, "start": start}
        _put(phase, "end", end)
        _put(phase, "comment", comment)
        written.append(phase)
    front["phases"] = sorted(written, key=lambda ph: (ph["start"], _PHASE_ORDER.get(ph["name"], 99)))
    written = []
    for name, date, comment in events:
        event = {"name": name, "date": date}
        _put(event, "comment", comment)
        written.append(event)
    _put(front, "events", written)
    return _with_extra(front, p["extra"]), p["description"]


def member_file(fields: dict, *, missions: list, teams: list[str]) -> tuple[dict, str]:
    """`missions`: ((start, end, status, employer), [product identifiers]) in their order; `teams`: identifiers
    (written sorted)."""
    m = fields
    front = {"fullname": m["fullname"], "role": m["role"], "domaine": m["domaine"]}
    for key in ("link", "avatar", "github", "competences"):
        _put(front, key, m[key])
    _put(front, "memberType", m["member_type"])
    written = []
    for (start, end, status, employer), products in missions:
        mission = {"start": start}
        _put(mission, "end", end)
        _put(mission, "status", status)
        _put(mission, "employer", employer)
        _put(mission, "startups", list(products))
        written.append(mission)
    front["missions"] = written
    _put(front, "teams", [f"/teams/{ghid}" for ghid in sorted(teams)])
    return _with_extra(front, m["extra"]), m["bio"]


def team_file(fields: dict, incubator: str | None) -> tuple[dict, str]:
    extra = fields["extra"]
    front = {"name": fields["name"], "mission": fields["mission"], "incubator": incubator}
    return _with_extra(front, extra), extra.get(BODY_KEY, "")


# --- The database's rows, as files --------------------------------------------------------------------------


def db_files() -> Iterator[tuple[str, str, dict, str]]:
    """(kind, identifier, front matter, body) of every row the export writes: everything but the members and
    products the platform has not validated (pending or refused: they are nowhere else either). A generator, the
    members and products fetched in chunks: the caller holds one file at a time, not the whole registry. (A row
    whose identifier cannot be a file name is yielded too: the caller checks, `identifier_problem`.)"""
    for row in Organisation.objects.order_by("ghid").values("ghid", *ORGANISATION_FIELDS):
        yield ("organisations", row["ghid"], *organisation_file(row))
    for row in Incubator.objects.order_by("ghid").values("ghid", "owner__ghid", *INCUBATOR_FIELDS):
        yield ("incubators", row["ghid"], *incubator_file(row, row["owner__ghid"]))
    yield from _db_products()
    yield from _db_members()
    for row in Team.objects.order_by("ghid").values("ghid", "incubator__ghid", *TEAM_FIELDS):
        yield ("teams", row["ghid"], *team_file(row, row["incubator__ghid"]))


def _db_products() -> Iterator[tuple[str, str, dict, str]]:
    sponsors = defaultdict(list)
    for product_id, ghid in ProductSponsor.objects.order_by("order", "organisation__ghid").values_list(
        "product_id", "organisation__ghid"
    ):
        sponsors[product_id].append(ghid)
    incubators = defaultdict(list)
    principal = {}
    for product_id, ghid, is_principal in ProductIncubator.objects.order_by("order", "incubator__ghid").values_list(
        "product_id", "incubator__ghid", "is_principal"
    ):
        incubators[product_id].append(ghid)
        if is_principal:
            principal[product_id] = ghid
    phases = defaultdict(list)
    for product_id, *phase in Phase.objects.values_list("product_id", "name", "start", "end", "comment"):
        phases[product_id].append(phase)
    events = defaultdict(list)
    for product_id, *event in Event.objects.order_by("order", "date").values_list(
        "product_id", "name", "date", "comment"
    ):
        events[product_id].append(event)
    for p in Product.objects.filter(review_state=ReviewState.VALIDATED).order_by("ghid").values().iterator(500):
        pk = p["id"]
        front, body = product_file(
            p,
            sponsors=sponsors.get(pk, []),
            incubators=incubators.get(pk, []),
            principal=principal.get(pk),
            phases=phases.get(pk, []),
            events=events.get(pk, []),
        )
        yield "products", p["ghid"], front, body


def _db_members() -> Iterator[tuple[str, str, dict, str]]:
    teams = defaultdict(list)
    for member_id, ghid in Member.teams.through.objects.values_list("member_id", "team__ghid"):
        teams[member_id].append(ghid)
    products = defaultdict(list)
    # A product the platform has not validated has no file: a mission on it does not name it.
    for mission_id, ghid in (
        MissionProduct.objects.filter(product__review_state=ReviewState.VALIDATED)
        .order_by("order", "product__ghid")
        .values_list("mission_id", "product__ghid")
    ):
        products[mission_id].append(ghid)
    missions = defaultdict(list)
    for pk, member_id, *values in Mission.objects.order_by("order", "start", "pk").values_list(
        "pk", "member_id", "start", "end", "status", "employer"
    ):
        missions[member_id].append((tuple(values), products.get(pk, [])))
    for m in Member.objects.filter(review_state=ReviewState.VALIDATED).order_by("username").values().iterator(500):
        pk = m["id"]
        front, body = member_file(m, missions=missions.get(pk, []), teams=teams.get(pk, []))
        yield "members", m["username"], front, body
