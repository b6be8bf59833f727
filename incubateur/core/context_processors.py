from django.conf import settings
from django.db import DatabaseError

from incubateur.core.models import JournalEntry
from incubateur.core.roles import role_of

# The demo registry that `make run` loads on an empty registry (`incubateur.synthetic.demo`) is recorded in the
# journal: loaded, then removed by the first real import. The last of these two rows says whether it is there.
DEMO_LOADED = "demo.loaded"
DEMO_REMOVED = "demo.removed"


def demo_data_loaded() -> bool:
    """Whether the registry holds the demo data (`manage.py load_demo`) and no real import has replaced it yet."""
    try:
        last = (
            JournalEntry.objects.filter(action__in=(DEMO_LOADED, DEMO_REMOVED))
            .order_by("-pk")
            .values_list("action", flat=True)
            .first()
        )
    except DatabaseError:
        return False  # the page is about to say what went wrong; not this banner's business
    return last == DEMO_LOADED


def platform(request):
    """What every page's layout needs. Reads no database beyond the session's user, except where the demo notice is
    on (`DEMO_DATA_NOTICE`: `make run`'s settings only, so tests and the bench count production's queries): there
    `demo_data` is read (one query) when a template asks, i.e. by `ui/_demo_banner.html`."""
    return {
        "current_role": role_of(getattr(request, "user", None)),
        "demo_data": demo_data_loaded if settings.DEMO_DATA_NOTICE else False,
    }
