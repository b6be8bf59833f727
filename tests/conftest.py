import os
import socket
import types

import pytest

from incubateur.core import pagecache
from tests import utils
from tests.organisation.helpers import load_organisation
from tests.utils import SAMPLE, SAMPLE_MISSING, SHARED_SAMPLE, SMTPServer, free_port


def pytest_configure(config):
    config.addinivalue_line("markers", "sample: reads the beta.gouv.fr sample (skipped without it: `make sample`)")
    config.addinivalue_line(
        "markers",
        "serial: stops or restarts a server that other tests use (the PostgreSQL cluster): `make test` runs these "
        "before the others, alone",
    )
    config.addinivalue_line(
        "markers",
        "shared_sample: asserts the figures of the team's sample in ../shared (skipped on the full tree that "
        "`make sample` fetches)",
    )


def pytest_collection_modifyitems(config, items):
    # Every test may use the database (les-emplois): no test silently skips its queries.
    for item in items:
        if "browser" not in item.keywords and item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db)
        if item.get_closest_marker("sample") is None and sample_needed(item):
            item.add_marker(pytest.mark.sample)
    needing = [item for item in items if item.get_closest_marker("sample") or item.get_closest_marker("shared_sample")]
    if needing and not SAMPLE.is_dir() and os.environ.get("CI") == "true":
        # CI has ../shared: a sample not found there is a broken path, not a reason to skip real-data tests.
        raise pytest.UsageError(f"{SAMPLE_MISSING} ({len(needing)} tests need it; CI=true: not skipping them)")


def pytest_runtest_setup(item):
    # Raised here, before the item's fixtures (a module-scoped import of the sample included), and from one line:
    # pytest folds every such skip into one line of its summary.
    if item.get_closest_marker("sample") and not SAMPLE.is_dir():
        pytest.skip(SAMPLE_MISSING)
    if item.get_closest_marker("shared_sample") and SAMPLE != SHARED_SAMPLE:
        pytest.skip(f"needs the team's sample in {SHARED_SAMPLE} (its exact figures), not the full tree")


# --- Which tests read the beta.gouv.fr sample --------------------------------------------------------------


def sample_needed(item) -> bool:
    """A test reads the sample when it is marked `sample`, or when its code, a function of its module it calls, or
    one of its fixtures names `tests.utils.SAMPLE`: no per-file boilerplate, and a new test that reads the sample
    skips without it like the others."""
    function = getattr(item, "function", None)
    if function is not None and _names_sample(function, set()):
        return True
    fixtureinfo = getattr(item, "_fixtureinfo", None)
    for definitions in fixtureinfo.name2fixturedefs.values() if fixtureinfo else ():
        for definition in definitions:
            if _names_sample(definition.func, set()):
                return True
    return False


def _names_sample(function, seen: set) -> bool:
    function = getattr(function, "__func__", function)
    code = getattr(function, "__code__", None)
    module_globals = getattr(function, "__globals__", None)
    if code is None or module_globals is None or not function.__module__.startswith("tests") or code in seen:
        return False
    seen.add(code)
    return _code_names_sample(code, module_globals, seen)


def _code_names_sample(code: types.CodeType, module_globals: dict, seen: set) -> bool:
    for name in code.co_names:
        value = module_globals.get(name)
        if name == "SAMPLE" and value is utils.SAMPLE:
            return True
        if isinstance(value, types.FunctionType) and _names_sample(value, seen):
            return True
    # Comprehensions, generator expressions and nested functions are code objects of their own.
    return any(
        isinstance(const, types.CodeType) and _code_names_sample(const, module_globals, seen)
        for const in code.co_consts
    )


# --- The organisation -------------------------------------------------------------------------------


@pytest.fixture
def organisation() -> None:
    """The tests' fictional organisation (tests/fixtures/organisation.yaml) and the default routing table, loaded
    as `make run` loads the real ones."""
    load_organisation(routing=True)


# --- The public page cache ---------------------------------------------------------------------------


@pytest.fixture
def public_page_cache(settings) -> None:
    """The public page cache on (the tests run with it off: query counts measure the views), its process-local
    copies emptied before and after (they outlive each test's rolled-back database)."""
    settings.PUBLIC_PAGE_CACHE = True
    pagecache._local.entries.clear()
    yield
    pagecache._local.entries.clear()


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
