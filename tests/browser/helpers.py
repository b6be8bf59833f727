"""What the browser tests check on every page: DSFR's JavaScript started, no CSP violation, no axe violation."""

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page

DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 375, "height": 812}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = Axe()


def wait_for_dsfr(page: Page) -> None:
    """DSFR's JavaScript marks <html data-fr-js="true"> once started; it rewrites parts of the page (header)."""
    page.wait_for_load_state("load")
    page.locator("html[data-fr-js='true']").wait_for(state="attached")


def axe_violations(page: Page) -> list[dict]:
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    return AXE.run(page, options=options).response["violations"]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe found violations on {page.url}:\n{format_violations(violations)}"


def assert_no_csp_violation(csp_violations: list[str]) -> None:
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


def check_page(page: Page, csp_violations: list[str]) -> None:
    """The page as a user gets it: scripts started, nothing refused by the CSP, no WCAG 2.1 A/AA violation."""
    wait_for_dsfr(page)
    assert_no_csp_violation(csp_violations)
    assert_accessible(page)


def log_in(page: Page, user, base_url: str) -> None:
    """Give the page's browser context a session for `user` (the login flow itself has its own test)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}])
