"""Read and check `data/organisation.yaml`. Nothing is written here: `services.organisation_load` applies it.

Every problem is reported with the file, the entry and the field, e.g.
`data/organisation.yaml: poles[2] (acceleration).positions[0].person: « paul.burgn » n'est pas dans people`.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from incubateur.core.ministries import MINISTRIES

USERNAME = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*(?:\.[a-z0-9]+(?:[-_][a-z0-9]+)*)+$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class OrganisationFileError(Exception):
    def __init__(self, path, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {p}" for p in problems))


@dataclass
class PersonData:
    username: str
    first_name: str
    last_name: str
    email: str | None = None


@dataclass
class PositionData:
    person: str
    title: str
    lead: bool = False


@dataclass
class PoleData:
    slug: str
    name: str
    emoji: str = ""
    mission: str = ""
    note: str = ""
    positions: list[PositionData] = field(default_factory=list)


@dataclass
class PortfolioData:
    slug: str
    label: str
    manager: str | None
    ministries: list[str]
    themes: list[str]


@dataclass
class OrganisationData:
    department: dict
    contacts: list[dict]
    people: list[PersonData]
    poles: list[PoleData]
    portfolios: list[PortfolioData]
    reasons: list[dict]
    commitments: dict


class _Checker:
    def __init__(self):
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def mapping(self, value, where: str) -> dict:
        if not isinstance(value, dict):
            self.problem(where, "une table (clé: valeur) est attendue")
            return {}
        return value

    def seq(self, value, where: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(where, "une liste est attendue")
            return []
        return value

    def text(self, entry: dict, key: str, where: str, *, required=True, max_length=None) -> str:
        value = entry.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(f"{where}.{key}", "champ obligatoire manquant")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.problem(f"{where}.{key}", "un texte est attendu")
            return ""
        value = " ".join(str(value).split())
        if max_length and len(value) > max_length:
            self.problem(f"{where}.{key}", f"{max_length} caractères au plus ({len(value)} donnés)")
        return value

    def flag(self, entry: dict, key: str, where: str) -> bool:
        value = entry.get(key, False)
        if not isinstance(value, bool):
            self.problem(f"{where}.{key}", "true ou false est attendu")
            return False
        return value

    def strings(self, entry: dict, key: str, where: str) -> list[str]:
        values = self.seq(entry.get(key), f"{where}.{key}")
        out = []
        for i, value in enumerate(values):
            if not isinstance(value, str) or not value.strip():
                self.problem(f"{where}.{key}[{i}]", "un texte non vide est attendu")
            else:
                out.append(value.strip())
        return out

    def slug(self, entry: dict, where: str, seen: set[str], duplicate: str) -> tuple[str, str]:
        """An entry's `slug`, checked and added to `seen`; and how its problems name the entry from now on."""
        slug = self.text(entry, "slug", where)
        where = f"{where} ({slug})" if slug else where
        if slug and not SLUG.match(slug):
            self.problem(f"{where}.slug", "identifiant attendu en minuscules et tirets")
        if slug and slug in seen:
            self.problem(f"{where}.slug", duplicate)
        seen.add(slug)
        return slug, where

    def known_person(self, username: str, usernames: set[str], where: str) -> None:
        if username and username not in usernames:
            self.problem(where, f"« {username} » n'est pas dans people")

    def email(self, value: str, where: str) -> None:
        try:
            validate_email(value)
        except ValidationError:
            self.problem(where, f"« {value} » n'est pas une adresse e-mail valide")

    def url(self, value: str, where: str) -> None:
        try:
            URLValidator()(value)
        except ValidationError:
            self.problem(where, f"« {value} » n'est pas une adresse web valide")


class _SafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when available: 5× faster
    """PyYAML's safe loader, whose value errors (`2024-13-01`, `!!int abc`) become YAML errors at their line."""

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(None, None, f"valeur illisible ({exc})", node.start_mark) from exc


def parse(text: str, path: str | Path = "organisation.yaml") -> OrganisationData:
    """The file's data, checked; raises OrganisationFileError with every problem (in the file's order)."""
    c = _Checker()
    root = c.mapping(_load_yaml(text, path), "(fichier)")
    department = _parse_department(c, root.get("department"))
    people = _parse_people(c, root.get("people"))
    usernames = {person.username for person in people}
    poles = _parse_poles(c, root.get("poles"), usernames)
    slugs = {pole.slug for pole in poles}
    _check_department_links(c, department, slugs, usernames)
    portfolios = _parse_portfolios(c, root.get("portfolios"), usernames)
    contacts = _parse_contacts(c, root.get("contacts"), slugs)
    reasons = _parse_reasons(c, root.get("reasons"))
    commitments = _parse_commitments(c, root.get("commitments", {}))
    if c.problems:
        raise OrganisationFileError(path, c.problems)
    return OrganisationData(
        department=department,
        contacts=contacts,
        people=people,
        poles=poles,
        portfolios=portfolios,
        reasons=reasons,
        commitments=commitments,
    )


def _load_yaml(text: str, path: str | Path):
    try:
        return yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        if "maximum nesting depth" in str(exc):  # libyaml's own limit (the pure-Python parser recurses instead)
            raise OrganisationFileError(path, ["YAML invalide : trop de niveaux imbriqués"]) from exc
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            line = f" (ligne {mark.line + 1})"
        elif isinstance(exc, yaml.reader.ReaderError):  # a forbidden character: it knows its position only
            newlines = text[: exc.position].count("\n")
            line = f" (ligne {newlines + 1})"
        else:
            line = ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())  # one line per problem
        raise OrganisationFileError(path, [f"YAML invalide{line} : {problem}"]) from exc
    except RecursionError as exc:
        raise OrganisationFileError(path, ["YAML invalide : trop de niveaux imbriqués"]) from exc
    except UnicodeEncodeError as exc:  # libyaml encodes the text first: a lone surrogate cannot be
        raise OrganisationFileError(path, [f"YAML invalide : caractère illisible à la position {exc.start}"]) from exc


def _parse_department(c: _Checker, raw) -> dict:
    department = c.mapping(raw, "department")
    dep = {
        "name": c.text(department, "name", "department", max_length=200),
        "short_description": c.text(department, "short_description", "department", required=False),
        "description": c.text(department, "description", "department", required=False),
        "contact_email": c.text(department, "contact_email", "department"),
        "mattermost_channel": c.text(department, "mattermost_channel", "department", required=False),
        "mattermost_url": c.text(department, "mattermost_url", "department", required=False),
        "recruitment": c.text(department, "recruitment", "department", required=False),
        "recruitment_url": c.text(department, "recruitment_url", "department", required=False),
        "fallback_pole": c.text(department, "fallback_pole", "department"),
        "operations_lead": c.text(department, "operations_lead", "department", required=False),
    }
    if dep["contact_email"]:
        c.email(dep["contact_email"], "department.contact_email")
    for key in ("mattermost_url", "recruitment_url"):
        if dep[key]:
            c.url(dep[key], f"department.{key}")
    return dep


def _check_department_links(c: _Checker, dep: dict, slugs: set[str], usernames: set[str]) -> None:
    """The department's references to the poles and people (read after them)."""
    if dep["fallback_pole"] and dep["fallback_pole"] not in slugs:
        c.problem("department.fallback_pole", f"« {dep['fallback_pole']} » n'est pas dans poles")
    c.known_person(dep["operations_lead"], usernames, "department.operations_lead")
    if "partenariats" not in slugs:
        c.problem("poles", "le pôle « partenariats » (les responsables de portefeuille) est obligatoire")


def _parse_people(c: _Checker, raw) -> list[PersonData]:
    people: list[PersonData] = []
    usernames: set[str] = set()
    for i, entry in enumerate(c.seq(raw, "people")):
        entry = c.mapping(entry, f"people[{i}]")
        username = c.text(entry, "username", f"people[{i}]")
        where = f"people[{i}] ({username})" if username else f"people[{i}]"
        if username and not USERNAME.match(username):
            c.problem(f"{where}.username", "identifiant attendu au format prenom.nom (minuscules, sans accents)")
        if username and username in usernames:
            c.problem(f"{where}.username", "cette personne est déjà dans la liste")
        usernames.add(username)
        email = c.text(entry, "email", where, required=False) or None
        if email:
            c.email(email, f"{where}.email")
        people.append(
            PersonData(
                username=username,
                first_name=c.text(entry, "first_name", where, max_length=150),
                last_name=c.text(entry, "last_name", where, max_length=150),
                email=email,
            )
        )
    return people


def _parse_poles(c: _Checker, raw, usernames: set[str]) -> list[PoleData]:
    poles: list[PoleData] = []
    slugs: set[str] = set()
    for i, entry in enumerate(c.seq(raw, "poles")):
        entry = c.mapping(entry, f"poles[{i}]")
        slug, where = c.slug(entry, f"poles[{i}]", slugs, "ce pôle est déjà dans la liste")
        positions = _parse_positions(c, entry.get("positions"), where, usernames)
        poles.append(
            PoleData(
                slug=slug,
                name=c.text(entry, "name", where, max_length=200),
                emoji=c.text(entry, "emoji", where, required=False, max_length=16),
                mission=c.text(entry, "mission", where, required=False),
                note=c.text(entry, "note", where, required=False),
                positions=positions,
            )
        )
    return poles


def _parse_positions(c: _Checker, raw, where: str, usernames: set[str]) -> list[PositionData]:
    positions = []
    for j, pos in enumerate(c.seq(raw, f"{where}.positions")):
        pos = c.mapping(pos, f"{where}.positions[{j}]")
        person = c.text(pos, "person", f"{where}.positions[{j}]")
        c.known_person(person, usernames, f"{where}.positions[{j}].person")
        positions.append(
            PositionData(
                person=person,
                title=c.text(pos, "title", f"{where}.positions[{j}]", max_length=200),
                lead=c.flag(pos, "lead", f"{where}.positions[{j}]"),
            )
        )
    if sum(p.lead for p in positions) > 1:
        c.problem(f"{where}.positions", "un pôle a au plus un responsable (lead: true)")
    return positions


def _parse_portfolios(c: _Checker, raw, usernames: set[str]) -> list[PortfolioData]:
    portfolios: list[PortfolioData] = []
    portfolio_slugs: set[str] = set()
    for i, entry in enumerate(c.seq(raw, "portfolios")):
        entry = c.mapping(entry, f"portfolios[{i}]")
        slug, where = c.slug(entry, f"portfolios[{i}]", portfolio_slugs, "ce portefeuille est déjà dans la liste")
        manager = c.text(entry, "manager", where, required=False) or None
        if manager:
            c.known_person(manager, usernames, f"{where}.manager")
        ministries = c.strings(entry, "ministries", where)
        for k, code in enumerate(ministries):
            if code not in MINISTRIES:
                c.problem(
                    f"{where}.ministries[{k}]",
                    f"« {code} » n'est pas un domaine ministériel de beta.gouv.fr ({', '.join(MINISTRIES)})",
                )
        portfolios.append(
            PortfolioData(
                slug=slug,
                label=c.text(entry, "label", where, max_length=200),
                manager=manager,
                ministries=ministries,
                themes=c.strings(entry, "themes", where),
            )
        )
    claimed: dict[str, str] = {}
    for p in portfolios:
        for code in p.ministries:
            if code in claimed:
                c.problem(
                    f"portfolios ({p.slug}).ministries", f"« {code} » est déjà dans le portefeuille {claimed[code]}"
                )
            claimed[code] = p.slug
    return portfolios


def _parse_contacts(c: _Checker, raw, slugs: set[str]) -> list[dict]:
    contacts = []
    for i, entry in enumerate(c.seq(raw, "contacts")):
        entry = c.mapping(entry, f"contacts[{i}]")
        kind = c.text(entry, "kind", f"contacts[{i}]")
        value = c.text(entry, "value", f"contacts[{i}]")
        if kind not in ("email", "mattermost", "url"):
            c.problem(f"contacts[{i}].kind", "email, mattermost ou url est attendu")
        if kind == "email" and value:
            c.email(value, f"contacts[{i}].value")
        pole = c.text(entry, "pole", f"contacts[{i}]", required=False)
        if pole and pole not in slugs:
            c.problem(f"contacts[{i}].pole", f"« {pole} » n'est pas dans poles")
        url = c.text(entry, "url", f"contacts[{i}]", required=False)
        if url:
            c.url(url, f"contacts[{i}].url")
        contacts.append(
            {"label": c.text(entry, "label", f"contacts[{i}]"), "kind": kind, "value": value, "url": url, "pole": pole}
        )
    return contacts


def _parse_reasons(c: _Checker, raw) -> list[dict]:
    reasons = []
    for i, entry in enumerate(c.seq(raw, "reasons")):
        entry = c.mapping(entry, f"reasons[{i}]")
        code = c.text(entry, "code", f"reasons[{i}]")
        if code and not SLUG.match(code):
            c.problem(f"reasons[{i}].code", "code attendu en minuscules et tirets")
        reasons.append(
            {
                "code": code,
                "title": c.text(entry, "title", f"reasons[{i}]", max_length=300),
                "detail": c.text(entry, "detail", f"reasons[{i}]", required=False),
            }
        )
    return reasons


def _parse_commitments(c: _Checker, raw) -> dict:
    raw_commitments = c.mapping(raw, "commitments")
    commitments = {
        "intro": c.text(raw_commitments, "intro", "commitments", required=False),
        "outro": c.text(raw_commitments, "outro", "commitments", required=False),
        "items": [],
    }
    for i, entry in enumerate(c.seq(raw_commitments.get("items"), "commitments.items")):
        entry = c.mapping(entry, f"commitments.items[{i}]")
        commitments["items"].append(
            {
                "title": c.text(entry, "title", f"commitments.items[{i}]", max_length=200),
                "text": c.text(entry, "text", f"commitments.items[{i}]"),
            }
        )
    return commitments


def load(path: str | Path) -> OrganisationData:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OrganisationFileError(path, [f"fichier illisible : {exc}"]) from exc
    return parse(text, path)
