"""The checks themselves: a stage that cannot see a violation would pass for the wrong reason."""

import pytest

from tests.browser.helpers import axe_violations, format_violations, wait_for_dsfr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_axe_sees_a_violation(page):
    page.goto("/")
    wait_for_dsfr(page)
    page.evaluate("document.querySelector('main').appendChild(document.createElement('img')).id = 'sans-alt'")
    violations = axe_violations(page)
    assert "image-alt" in [violation["id"] for violation in violations]
    assert "#sans-alt" in format_violations(violations)


def test_the_site_sends_a_csp_and_its_violations_are_recorded(page, csp_violations):
    response = page.goto("/")
    directives = dict(
        directive.strip().split(" ", 1) for directive in response.headers["content-security-policy"].split(";")
    )
    # django-csp adds a nonce only to pages that use one: none does yet, so only same-origin files run.
    assert directives["script-src"].split() == ["'self'"]
    assert directives["style-src"].split() == ["'self'"]
    wait_for_dsfr(page)
    assert csp_violations == []
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate("document.body.appendChild(document.createElement('script')).textContent = 'void 0'")
    assert len(csp_violations) == 1
    assert "script-src" in csp_violations[0]
    csp_violations.clear()  # expected here: the fixture fails the test on any violation left
