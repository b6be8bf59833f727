"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

One Chromium for the whole session; each test gets its own browser context (cookies, storage) and page.
`browser.launch()` gives Chromium a fresh temporary profile (Playwright passes its own `--user-data-dir`
under /tmp and deletes it on close), so nothing is shared with another run.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.browser.helpers import DESKTOP, assert_no_csp_violation

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session", autouse=True)
def _django_orm_beside_playwright() -> Iterator[None]:
    """Let the test's own ORM calls run while Playwright's sync API keeps its asyncio loop on this thread.

    Without it Django raises SynchronousOnlyOperation (it sees a running event loop). The live server
    answers in its own threads, which have no loop. Documented workaround; restored after the session.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(_django_orm_beside_playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/test.sh browser does it as root).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(transactional_db) -> None:
    # The rate-limit counters live in the database cache table, which the test flush does not empty.
    cache.clear()


@pytest.fixture
def csp_violations() -> list[str]:
    """Every console message about the Content-Security-Policy seen by this test's pages."""
    return []


@pytest.fixture
def new_page(browser, live_server, csp_violations) -> Iterator[Callable[..., Page]]:
    """Open a page in a new browser context; keyword arguments go to `browser.new_context()`."""
    contexts = []

    def record_csp(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            csp_violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def open_page(**options) -> Page:
        context = browser.new_context(
            **{"base_url": live_server.url, "locale": "fr-FR", "viewport": DESKTOP, **options}
        )
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("console", record_csp)
        return page

    yield open_page
    for context in contexts:
        context.close()
    # A violation after the test's last check still fails it.
    assert_no_csp_violation(csp_violations)


@pytest.fixture
def page(new_page) -> Page:
    return new_page()
