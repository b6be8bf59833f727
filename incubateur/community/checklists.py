"""The onboarding and offboarding checklists as data (`data/onboarding.yaml`, `data/offboarding.yaml`).

`load(path)` reads and checks one file and refuses it with a `ChecklistError` that names the file and the item;
`items(checklist)` returns the shipped items (read once per process), `items_for(checklist, domaine)` those that
apply to a member of that domaine.
"""

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from incubateur.community.models import Checklist
from incubateur.registry.enums import Domaine

DATA = Path(__file__).resolve().parent / "data"
FILES = {Checklist.ONBOARDING: DATA / "onboarding.yaml", Checklist.OFFBOARDING: DATA / "offboarding.yaml"}

ANIMATION = "animation"
KEY = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
URL = re.compile(r"^https?://[^\s]+$")
ITEM_FIELDS = {"key", "label", "help", "links", "domaines", "by"}


class ChecklistError(ValueError):
    """A checklist file that cannot be used; the message names the file and the item."""


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    help: str = ""
    links: tuple[Link, ...] = ()
    domaines: tuple[str, ...] = ()  # empty: every member
    by: str = ""  # "animation": only the Pôle Animation ticks it

    @property
    def animation_only(self) -> bool:
        return self.by == ANIMATION

    def applies_to(self, domaine: str) -> bool:
        return not self.domaines or domaine in self.domaines


def _text(value, what: str, where: str, *, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ChecklistError(f"{where} : {what} doit être un texte non vide.")
    return value.strip()


def parse(text: str, *, name: str) -> tuple[Item, ...]:
    """Check the YAML `text` of the file `name` and return its items, or raise ChecklistError."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ChecklistError(f"{name} : YAML illisible ({exc}).") from None
    if not isinstance(document, dict) or set(document) != {"items"}:
        raise ChecklistError(f"{name} : le fichier doit contenir une seule clé « items ».")
    raw_items = document["items"]
    if not isinstance(raw_items, list) or not raw_items:
        raise ChecklistError(f"{name} : « items » doit être une liste non vide.")
    items, seen = [], set()
    for number, raw in enumerate(raw_items, start=1):
        item = _item(raw, where=f"{name}, étape {number}")
        if item.key in seen:
            raise ChecklistError(
                f"{name}, étape {number} « {item.key} » : cette clé est déjà utilisée par une autre étape."
            )
        seen.add(item.key)
        items.append(item)
    return tuple(items)


def _links(links, where: str) -> tuple[Link, ...]:
    if not isinstance(links, list):
        raise ChecklistError(f"{where} : « links » doit être une liste de {{label, url}}.")
    parsed = []
    for link in links:
        if not isinstance(link, dict) or set(link) != {"label", "url"}:
            raise ChecklistError(f"{where} : chaque lien a exactement « label » et « url ».")
        url = link["url"]
        if not isinstance(url, str) or not URL.match(url):
            raise ChecklistError(f"{where} : le lien {url!r} n'est pas une adresse http(s).")
        parsed.append(Link(label=_text(link["label"], "le libellé d'un lien", where, required=True), url=url))
    return tuple(parsed)


def _item(raw, *, where: str) -> Item:
    if not isinstance(raw, dict):
        raise ChecklistError(f"{where} : une étape est un dictionnaire (key, label…).")
    key = raw.get("key")
    if not isinstance(key, str) or not KEY.match(key):
        raise ChecklistError(
            f"{where} : « key » est obligatoire (lettres minuscules, chiffres et tirets, 100 caractères au plus)."
        )
    where = f"{where} « {key} »"
    unknown = set(raw) - ITEM_FIELDS
    if unknown:
        raise ChecklistError(f"{where} : champ inconnu {', '.join(sorted(map(str, unknown)))}.")
    domaines = raw.get("domaines") or []
    if not isinstance(domaines, list) or not all(isinstance(d, str) for d in domaines):
        raise ChecklistError(f"{where} : « domaines » doit être une liste de domaines.")
    wrong = [d for d in domaines if d not in Domaine.values]
    if wrong:
        raise ChecklistError(f"{where} : domaine inconnu {', '.join(wrong)} (attendus : {', '.join(Domaine.values)}).")
    by = raw.get("by")
    if by is not None and by != ANIMATION:
        raise ChecklistError(f"{where} : « by » ne peut valoir que « {ANIMATION} ».")
    return Item(
        key=key,
        label=_text(raw.get("label"), "« label »", where, required=True),
        help=_text(raw.get("help"), "« help »", where, required=False),
        links=_links(raw.get("links") or [], where),
        domaines=tuple(domaines),
        by=by or "",
    )


def load(path: Path) -> tuple[Item, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChecklistError(f"{path.name} : fichier illisible ({exc}).") from None
    return parse(text, name=path.name)


@functools.cache
def items(checklist: str) -> tuple[Item, ...]:
    """The shipped items of `checklist` (Checklist value), read and checked once per process."""
    return load(FILES[Checklist(checklist)])


def items_for(checklist: str, domaine: str) -> tuple[Item, ...]:
    return tuple(item for item in items(checklist) if item.applies_to(domaine))


def item(checklist: str, key: str) -> Item | None:
    return next((i for i in items(checklist) if i.key == key), None)
