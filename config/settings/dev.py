"""Local development (`make run`): DEBUG on, a throwaway secret key, console e-mail unless EMAIL_HOST is set."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import INSTALLED_APPS, STORAGES, env_bool

INSTALLED_APPS = [*INSTALLED_APPS, "incubateur.synthetic"]  # tooling: seed_synthetic, never in production
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-key-do-not-use-in-production"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The demo registry of a first `make run` is labelled on every page (one query: ui/_demo_banner.html).
DEMO_DATA_NOTICE = True
