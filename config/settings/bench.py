"""`make bench`: the production settings, plus the tooling the benchmark needs and nothing else.

- `incubateur.synthetic` (`manage.py seed_synthetic`) and the bench's own commands;
- `config.urls_bench`: the production URLconf plus `/_perf/hello`, the floor every page is measured against;
- plain HTTP on loopback (no HTTPS redirect) unless SECURE_SSL_REDIRECT says otherwise.

Like production, it refuses to start without a long SECRET_KEY: `python -m bench` sets a random one.
"""

from config.settings.base import env_bool
from config.settings.production import *  # noqa: F403
from config.settings.production import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "incubateur.synthetic"]
ROOT_URLCONF = "config.urls_bench"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
