"""The public journal's Atom feed, published like a file (core/published.py), and the stamps of the transparency
pages cached whole for anonymous visitors (core/pagecache.py).

`/journal/flux.atom` depends only on the journal's rows: the core stamp `stamps.journal`, bumped by every save and
delete of a `JournalEntry` (apps.py) and by writers that bypass signals. Its links are computed from the rows alone.

`snapshots` is bumped by every save and delete of a `Snapshot` (apps.py): the statistics and the commitments are
written by `update_or_create` (a save) when the worker computes them; the only `.update()` writers move the daily
claim markers, which no page shows. The pages that read snapshots are cached under it:
- /statistiques/ and an indicator's page: `STATISTICS_STAMPS`;
- /engagements/: `STATISTICS_STAMPS`;
- /journal/: `JOURNAL_PAGE_STAMPS`: the rows (`stamps.journal`), the poles of its filter and the positions and
  portfolios it filters by (the organisation's stamp), the posts it filters by pole (recruitment's), and the offers'
  counts per month (the "consentement" snapshot). The months offered depend on today: the cache's key holds the day.
"""

from incubateur.core import published, stamps
from incubateur.core.stamps import Stamp
from incubateur.organisation import cache as organisation_cache
from incubateur.recruitment import cache as recruitment_cache

stamp = stamps.journal
snapshots = Stamp("transparency-snapshots")
STATISTICS_STAMPS = (snapshots,)
JOURNAL_PAGE_STAMPS = (stamp, organisation_cache.stamp, recruitment_cache.stamp, snapshots)
FEED = "/journal/flux.atom"


def publish_files() -> None:
    published.register(FEED, stamps=(stamp,), content_type="application/atom+xml; charset=utf-8")
