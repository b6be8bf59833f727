"""The past FAST editions, derived from the beta.gouv.fr tree when the registry is imported
(REGISTRY_IMPORT_HOOKS): one historical call per `_fasts/*.md` (its `promotion`, its `title`, and its text — the
Markdown body, kept as written in the call's description, which the edition's page shows), and its laureates from
each product's `fast: {promotion, montant}`. Idempotent; errors name the file and field and
refuse the whole import.

The registry's export writes them back (`export_fast_history`, a REGISTRY_EXPORT_HOOKS of `export_betagouv`): one
`_fasts/NN_fast.md` per historical edition (its text as the body), so that importing the export changes nothing.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.utils import timezone

from incubateur.core.text import plural, quantity
from incubateur.programmes.models import Application, ApplicationStatus, Call, Programme
from incubateur.registry.content import (
    Document,
    ExportRefused,
    FileRefused,
    FrontMatterError,
    ImportRefused,
    Problem,
    describe,
    dump,
    parse,
    read_text,
    read_utf8,
    write_file,
)
from incubateur.registry.models import Product

FAST = {
    "slug": "fast",
    "name": "FAST — Fonds d'accélération des startups d'État",
    "description": (
        "Le Fonds d'Accélération des Startups d'État et de Territoires : un accompagnement humain et financier "
        "des produits qui passent à l'échelle. Depuis 2026, le programme de consolidation lui succède."
    ),
}


def _default_title(number: int) -> str:
    """The title of an edition no file describes (or whose file has no title)."""
    return f"FAST {number}"


_FORBIDDEN = re.compile(r"[\x00\ud800-\udfff]")  # as the registry's import: a NUL or a lone surrogate


@dataclass
class _Edition:
    number: int
    title: str  # "" when the file has none
    name: str  # `_fasts/03-fast.md`
    path: Path
    document: Document

    @property
    def text(self) -> str:
        """The edition's text (the file's body), "" when blank."""
        return self.document.body if self.document.body.strip() else ""


def _read_editions(folder: Path, *, problems: list) -> dict[int, _Edition]:
    """The editions described by the `*.md` files of `folder` (`_fasts/`); what cannot be read goes to `problems`.
    As the registry's import does, only regular files are read: a folder named `x.md` is skipped."""
    editions: dict[int, _Edition] = {}
    if not folder.is_dir():
        return editions
    max_title = Call._meta.get_field("title").max_length
    for path in sorted(folder.glob("*.md")):
        if path.name.startswith(".") or not path.is_file():
            continue
        name = f"_fasts/{path.name}"
        text = read_utf8(path, name, problems)
        if text is None:
            continue
        try:
            document = parse(text)
        except FrontMatterError as exc:
            problems.append(Problem(name, exc.message, line=exc.line))
            continue
        before = len(problems)
        title = read_text(name, document, "title", problems, max_length=max_title)
        if _FORBIDDEN.search(document.body):
            problems.append(Problem(name, "caractère interdit dans le texte (caractère nul)", line=document.body_line))
        if len(problems) > before:
            continue
        promotion = document.data.get("promotion")
        if promotion is None:
            # The editions before FAST 12 have no `promotion`: their number is in the file name (`02-fast.md`)
            # and in the title (« FAST 2 - Novembre 2019 »).
            found = re.match(r"0*(\d+)[-_]", path.name) or re.match(r"FAST\s+(\d+)\b", title, flags=re.IGNORECASE)
            promotion = int(found.group(1)) if found else None
        if isinstance(promotion, bool) or not isinstance(promotion, int) or not 0 < promotion < 1000:
            problems.append(
                Problem(
                    name,
                    f"un numéro d'édition entier est attendu, pas {describe(promotion)}",
                    field="promotion",
                )
            )
            continue
        if promotion in editions:
            problems.append(
                Problem(
                    name,
                    f"l'édition {promotion} est déjà décrite par {editions[promotion].name}",
                    field="promotion",
                )
            )
            continue
        editions[promotion] = _Edition(promotion, title, name, path, document)
    return editions


def import_fast_history(*, content: Path, by=None) -> list[str]:
    """Create or update the historical FAST calls and their laureates. Runs inside the import's transaction."""
    problems = []
    editions = {
        number: (edition.title or _default_title(number), edition.text)
        for number, edition in _read_editions(Path(content) / "_fasts", problems=problems).items()
    }
    if problems:
        raise ImportRefused(problems)
    laureates = list(
        Product.objects.filter(fast_promotion__isnull=False).values_list("pk", "fast_promotion", "fast_amount")
    )
    for _, promotion, _ in laureates:
        editions.setdefault(promotion, (_default_title(promotion), ""))
    if not editions:
        return []
    programme, _ = Programme.objects.get_or_create(slug=FAST["slug"], defaults={**FAST, "order": 0})
    calls = {c.number: c for c in Call.objects.filter(programme=programme, number__in=list(editions))}
    created_calls = 0
    for number, (title, text) in sorted(editions.items()):
        call = calls.get(number)
        if call is None:
            calls[number] = Call.objects.create(
                programme=programme,
                number=number,
                title=title,
                description=text,
                historical=True,
                results_published_at=None,
            )
            created_calls += 1
        elif call.historical and (call.title, call.description) != (title, text):
            call.title, call.description = title, text
            call.save(update_fields=["title", "description"])
    existing = {
        (a.call_id, a.product_id): a
        for a in Application.objects.filter(call__in=[c for c in calls.values() if c.historical])
    }
    created = updated = 0
    now = timezone.now()
    for pk, promotion, amount in laureates:
        call = calls[promotion]
        if not call.historical:
            continue  # an edition run on this platform keeps its own decisions
        application = existing.pop((call.pk, pk), None)
        if application is None:
            Application.objects.create(
                call=call,
                product_id=pk,
                status=ApplicationStatus.LAUREATE,
                amount_granted=amount,
                decided_at=now,
                submitted_at=None,
            )
            created += 1
        elif application.amount_granted != amount or application.status != ApplicationStatus.LAUREATE:
            application.amount_granted, application.status = amount, ApplicationStatus.LAUREATE
            application.save(update_fields=["amount_granted", "status", "updated_at"])
            updated += 1
    # A product no longer listed as laureate of a historical edition (its `fast:` changed): not a laureate.
    stale = [a.pk for a in existing.values() if a.status == ApplicationStatus.LAUREATE]
    Application.objects.filter(pk__in=stale).delete()
    return [
        f"éditions FAST : {len(editions)} ({quantity(created_calls, 'créée')}) ; "
        f"lauréats : {quantity(created, 'créé')}, {quantity(updated, 'modifié')}, {quantity(len(stale), 'retiré')}"
    ]


def export_fast_history(*, content: Path) -> list[str]:
    """Write `content/_fasts/`: a file per historical FAST edition (`title`, `promotion`, its text as the body), so
    that the import of the export gives the same calls. An edition already described by a file of the folder keeps
    it (its other keys): it is rewritten only when its title or its text differ. An edition the products' `fast`
    alone give, under its default title and without a text, needs no file."""
    calls = (
        Call.objects.filter(programme__slug=FAST["slug"], historical=True, number__isnull=False)
        .order_by("number")
        .values_list("number", "title", "description")
    )
    folder = Path(content) / "_fasts"
    existing = _read_editions(folder, problems=[])
    implied = set(Product.objects.filter(fast_promotion__isnull=False).values_list("fast_promotion", flat=True))
    written = unchanged = 0
    for number, title, text in calls:
        edition = existing.get(number)
        if edition is None:
            if title == _default_title(number) and not text and number in implied:
                continue
            path = folder / f"{number:02d}_fast.md"
            i = 1
            while path.exists() or path.is_symlink():  # a file the import could not read, another edition's, a link
                i += 1
                path = folder / f"{number:02d}_fast-{i}.md"
            front, body = {"title": title, "sidebar": "sidebar-fast.html", "promotion": number}, text
        else:
            if (edition.title or _default_title(number), edition.text) == (title, text):  # what the import reads
                unchanged += 1
                continue
            path, body = edition.path, text
            front = {**edition.document.data, "title": title, "promotion": number}
        try:
            file_text = dump(front, body)
        except yaml.YAMLError:  # a value of the old front matter that cannot be written back: only ours, then
            file_text = dump({"title": title, "sidebar": "sidebar-fast.html", "promotion": number}, body)
        try:  # never through a link (a linked file is replaced, a linked `_fasts/` refuses the export)
            write_file(content, f"_fasts/{path.name}", file_text)
        except FileRefused as refused:
            raise ExportRefused([refused]) from refused
        written += 1
    if not written and not unchanged:
        return []
    return [
        f"éditions FAST : {quantity(written, 'fichier')} {plural(written, 'écrit')}, {quantity(unchanged, 'inchangé')}"
    ]
