import socket

import pytest

from tests.organisation.helpers import load_organisation
from tests.utils import SMTPServer, free_port


def pytest_collection_modifyitems(config, items):
    # Every test may use the database (les-emplois): no test silently skips its queries.
    for item in items:
        if "browser" not in item.keywords and item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db)


# --- The organisation -------------------------------------------------------------------------------


@pytest.fixture
def organisation() -> None:
    """The tests' fictional organisation (tests/fixtures/organisation.yaml) and the default routing table, loaded
    as `make run` loads the real ones."""
    load_organisation(routing=True)


# --- No outbound network: only loopback ----------------------------------------------------------

_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6):
        if not (host.startswith("127.") or host in ("::1", "localhost")):
            raise OSError(f"Outbound network is blocked in tests (tried {address!r}).")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _block_outbound_network():
    socket.socket.connect = _guarded_connect
    yield
    socket.socket.connect = _real_connect


# --- A real SMTP server --------------------------------------------------------------------------


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback, and Django configured to send to it."""
    server = SMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    yield server
    server.stop()


@pytest.fixture
def smtp_port(settings):
    """A port for an SMTP server that is not running yet (the test starts it when it wants)."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    return port


@pytest.fixture
def mattermost(settings, httpserver):
    """A real HTTP peer standing in for the Mattermost incoming webhook."""
    settings.MATTERMOST_WEBHOOK_URL = httpserver.url_for("/hooks/incubateur")
    return httpserver


@pytest.fixture(autouse=True, scope="session")
def _urls_loaded_before_any_frozen_clock():
    """Build the URLconf (and django-ninja's schemas) once with the real clock: pydantic fails to build them under
    freezegun, so a test that freezes time before the first URL resolution would fail for that reason alone."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the import and resolution are the point
