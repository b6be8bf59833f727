"""The demo registry: what a newcomer sees after the first `make run` on an empty registry.

`load()` writes a small synthetic registry and desk (`generator.seed`, its members' usernames starting with
`demo.` so that no real member can match one) and records it in the journal (`core.context_processors.DEMO_LOADED`):
every page then shows the "Données de démonstration" notice (`ui/_demo_banner.html`). The first real import removes
it: `import_betagouv` records its journal row inside its transaction, and this app's receiver (`apps.py`) then
deletes the synthetic rows and records `DEMO_REMOVED`, all or nothing with the import.
"""

from django.db import transaction

from incubateur.core import journal
from incubateur.core.context_processors import DEMO_LOADED, DEMO_REMOVED, demo_data_loaded
from incubateur.core.models import JournalEntry, Visibility
from incubateur.registry.models import Incubator, Member, Organisation, Product
from incubateur.synthetic import generator

SCALE = 12  # products; ten times as many members and requests
SEED = 0
USERNAME_PREFIX = "demo."
IMPORT_ACTION = "registry.import_betagouv"  # the journal row of a real import (registry.content.importer)


def registry_is_empty() -> bool:
    """No row of the registry, and no real import ever (a tree with no product still is real data)."""
    return not (
        Product.objects.exists()
        or Member.objects.exists()
        or Organisation.objects.exists()
        or Incubator.objects.exists()
        or JournalEntry.objects.filter(action=IMPORT_ACTION).exists()
    )


@transaction.atomic
def load(*, scale: int = SCALE) -> generator.Report | None:
    """Seed the demo registry when the registry is empty; None (nothing written) when it is not."""
    if not registry_is_empty():
        return None
    report = generator.seed(scale=scale, seed=SEED, username_prefix=USERNAME_PREFIX)
    journal.record(
        actor=None,
        action=DEMO_LOADED,
        message=f"Données de démonstration chargées : {scale} produits fictifs, leurs membres et leurs demandes",
        visibility=Visibility.INTERNAL,
        data={"scale": scale, "seed": SEED},
    )
    return report


def remove() -> dict[str, int] | None:
    """Delete the demo data (every synthetic row) and lower the flag; None when no demo data is loaded."""
    if not demo_data_loaded():
        return None
    with transaction.atomic():
        counts = generator.delete()
        journal.record(
            actor=None,
            action=DEMO_REMOVED,
            message="Données de démonstration retirées : "
            + ", ".join(f"{label} {count}" for label, count in counts.items() if count),
            visibility=Visibility.INTERNAL,
            data=counts,
        )
    return counts


def on_journal_entry(sender, instance, created: bool, **kwargs) -> None:
    """post_save of JournalEntry: a real import has just written the registry (in its transaction): the demo goes."""
    if created and instance.action == IMPORT_ACTION:
        remove()
