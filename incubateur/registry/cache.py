"""The version stamp of the registry's public reads (pages, /api/v2.7/*.json, /api/v1/). See core/stamps.py.

Model saves and deletes bump it through signals (apps.py); bulk writes (the importer) call `bump()` themselves.
`publish_files()` (apps.py) registers beta.gouv.fr's drop-in files with core/published.py: they are written to disk
when built under a version and served from there, ahead of the middleware stack, until the version moves.
"""

from incubateur.core import published
from incubateur.core.stamps import Stamp

stamp = Stamp("registry")
version = stamp.version
bump = stamp.bump
key = stamp.key

JSON_TYPE = "application/json; charset=utf-8"
CSV_TYPE = "text/csv; charset=utf-8"
# Files that depend on today's date (running missions): rebuilt at midnight too.
DAILY = {"startups_details", "compteur_smiirl"}
FILES = {
    "authors": "/api/v2.7/authors.json",
    "startups": "/api/v2.7/startups.json",
    "incubators": "/api/v2.7/incubators.json",
    "organisations": "/api/v2.7/organisations.json",
    "sponsors": "/api/v2.7/sponsors.json",
    "startups_details": "/api/v2.7/startups_details.json",
    "compteur_smiirl": "/compteur_smiirl.json",
}


def publish_files() -> None:
    for name, path in FILES.items():
        published.register(path, stamps=(stamp,), content_type=JSON_TYPE, daily=name in DAILY)
    published.register("/api/v2.7/startups.csv", stamps=(stamp,), content_type=CSV_TYPE)
    # One file per product; its active members depend on today's date.
    published.register_pattern("/api/v3/startups/", ".json", stamps=(stamp,), content_type=JSON_TYPE, daily=True)
