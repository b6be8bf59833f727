"""Tests: real database (SQLite in memory, or PostgreSQL from DATABASE_URL), real task backend, strict templates."""

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, INSTALLED_APPS, STORAGES, TEMPLATES

INSTALLED_APPS = [*INSTALLED_APPS, "incubateur.synthetic"]  # tooling: seed_synthetic, never in production
DEBUG = False
SECRET_KEY = "test-only-key-" + "x" * 50
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # The guichet's attachments: in memory, unless a test gives a directory of its own.
    "guichet": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
EMAIL_TIMEOUT = 3
MATTERMOST_TIMEOUT = 3
MATTERMOST_WEBHOOK_URL = ""
BASE_URL = "http://testserver"
# Off by default so that query counts measure the views; tests/core/test_pagecache.py turns it on.
PUBLIC_PAGE_CACHE = False
# Off: a directory shared by test runs would outlive their databases; tests/core/test_published.py turns it on.
PUBLISHED_ROOT = None

if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # pytest-django creates and drops the test database; a pool would hold connections to it.
    DATABASES["default"]["OPTIONS"].pop("pool", None)


class InvalidTemplateVariable(str):
    """Fail loudly on a variable a template uses but its context does not have (les-emplois)."""

    def __mod__(self, other):
        raise AssertionError(f"Invalid template variable: {{{{ {other} }}}}")


TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = InvalidTemplateVariable("%s")

# Static files come from the apps (no collectstatic before tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
