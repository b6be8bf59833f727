"""The public journal's Atom feed, published like a file (core/published.py).

`/journal/flux.atom` depends only on the journal's rows: the core stamp `stamps.journal`, bumped by every save and
delete of a `JournalEntry` (apps.py) and by writers that bypass signals. Its links are computed from the rows alone.
"""

from incubateur.core import published, stamps

stamp = stamps.journal
FEED = "/journal/flux.atom"


def publish_files() -> None:
    published.register(FEED, stamps=(stamp,), content_type="application/atom+xml; charset=utf-8")
