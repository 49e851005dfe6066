"""The OpenAPI page renders in a real Chromium under the strict CSP, from vendored files only."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.pages import BasePage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_page_renders_every_operation_without_csp_error(live_server, page):
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "request",
        lambda request: (
            problems.append(f"external {request.url}")
            if not request.url.startswith(live_server.url) and not request.url.startswith("data:")
            else None
        ),
    )

    response = page.goto(f"{live_server.url}/api/v1/docs")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_text("/api/v1/sites/{site_id}", exact=True)).to_be_visible()
    expect(page.get_by_text("/api/v1/communes", exact=True)).to_be_visible()
    assert problems == []


def test_swagger_page_has_no_serious_accessibility_violation(live_server, browser):
    context = browser.new_context(bypass_csp=True)  # lets the test inject axe-core; the page never needs it
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/api/v1/docs")
        expect(page.get_by_text("/api/v1/communes", exact=True)).to_be_visible()
        # One read and one write operation opened, with their parameters and bodies shown.
        for path in ("/api/v1/communes", "/api/v1/scheduling/bookings"):
            page.locator(f'.opblock-summary-control:has([data-path="{path}"])').first.click()
        expect(page.locator(".parameters-container").first).to_be_visible()
        violations = BasePage(page, live_server.url).accessibility_violations()
    finally:
        context.close()
    assert violations == []
