"""The version stamp of the public job posts, and their files published like files (core/published.py).

`/recrutement/flux.atom` and `/api/v2.6/jobs.json` list the public posts: they change when a post is written (this
stamp, bumped by the posts' signals: apps.py), when a product or a pole is renamed (the registry's and the
organisation's stamps) and when a post's dates open or close it (daily: the day is part of their version).
"""

from incubateur.core import published
from incubateur.core.stamps import Stamp
from incubateur.organisation import cache as organisation_cache
from incubateur.registry import cache as registry_cache

stamp = Stamp("recruitment")
STAMPS = (stamp, registry_cache.stamp, organisation_cache.stamp)
FEED = "/recrutement/flux.atom"
JOBS_JSON = "/api/v2.6/jobs.json"


def publish_files() -> None:
    published.register(FEED, stamps=STAMPS, content_type="application/atom+xml; charset=utf-8", daily=True)
    published.register(JOBS_JSON, stamps=STAMPS, content_type="application/json; charset=utf-8", daily=True)
