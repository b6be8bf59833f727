"""The past FAST editions, derived from the beta.gouv.fr tree when the registry is imported
(REGISTRY_IMPORT_HOOKS): one historical call per `_fasts/*.md` (its `promotion` and `title`), and its
laureates from each product's `fast: {promotion, montant}`. Idempotent; errors name the file and field and
refuse the whole import."""

import re
from pathlib import Path

from django.utils import timezone

from incubateur.programmes.models import Application, ApplicationStatus, Call, Programme

FAST = {
    "slug": "fast",
    "name": "FAST — Fonds d'accélération des startups d'État",
    "description": (
        "Le Fonds d'Accélération des Startups d'État et de Territoires : un accompagnement humain et financier "
        "des produits qui passent à l'échelle. Depuis 2026, le programme de consolidation lui succède."
    ),
}


def _read_editions(folder: Path) -> tuple[dict[int, tuple[str, str]], list]:
    from incubateur.registry.frontmatter import FrontMatterError, parse
    from incubateur.registry.importer import Problem

    editions, problems = {}, []
    if not folder.is_dir():
        return editions, problems
    for path in sorted(folder.glob("*.md")):
        name = f"_fasts/{path.name}"
        try:
            document = parse(path.read_text(encoding="utf-8"))
        except (FrontMatterError, UnicodeDecodeError) as exc:
            problems.append(Problem(name, str(exc), line=getattr(exc, "line", None)))
            continue
        promotion = document.data.get("promotion")
        if promotion is None:
            # The editions before FAST 12 have no `promotion`: their number is in the file name (`02-fast.md`)
            # and in the title (« FAST 2 - Novembre 2019 »).
            found = re.match(r"0*(\d+)[-_]", path.name) or re.match(
                r"FAST\s+(\d+)\b", str(document.data.get("title") or ""), flags=re.IGNORECASE
            )
            promotion = int(found.group(1)) if found else None
        if isinstance(promotion, bool) or not isinstance(promotion, int) or not 0 < promotion < 1000:
            problems.append(
                Problem(name, f"un numéro d'édition entier est attendu, pas « {promotion} »", field="promotion")
            )
            continue
        title = document.data.get("title")
        title = str(title).strip() if title else f"FAST {promotion}"
        if promotion in editions:
            problems.append(
                Problem(name, f"l'édition {promotion} est déjà décrite par {editions[promotion][1]}", "promotion")
            )
            continue
        editions[promotion] = (title[:200], name)
    return editions, problems


def import_fast_history(*, content: Path, by=None) -> list[str]:
    """Create or update the historical FAST calls and their laureates. Runs inside the import's transaction."""
    from incubateur.registry.importer import ImportRefused
    from incubateur.registry.models import Product

    editions, problems = _read_editions(Path(content) / "_fasts")
    if problems:
        raise ImportRefused(problems)
    laureates = list(
        Product.objects.filter(fast_promotion__isnull=False).values_list("pk", "fast_promotion", "fast_amount")
    )
    for _, promotion, _ in laureates:
        editions.setdefault(promotion, (f"FAST {promotion}", ""))
    if not editions:
        return []
    programme, _ = Programme.objects.get_or_create(slug=FAST["slug"], defaults={**FAST, "order": 0})
    calls = {c.number: c for c in Call.objects.filter(programme=programme, number__in=list(editions))}
    created_calls = 0
    for number, (title, _) in sorted(editions.items()):
        call = calls.get(number)
        if call is None:
            calls[number] = Call.objects.create(
                programme=programme, number=number, title=title, historical=True, results_published_at=None
            )
            created_calls += 1
        elif call.historical and call.title != title:
            call.title = title
            call.save(update_fields=["title"])
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
        f"éditions FAST : {len(editions)} ({created_calls} créée(s)) ; lauréats : {created} créé(s), "
        f"{updated} modifié(s), {len(stale)} retiré(s)"
    ]
