"""The executive dashboard in a real browser (headless Chromium driven by Playwright)
against the live test server: a manager logs in through the admin's login page, sees
the figures, and the page refreshes them from /api/admin/status without reloading,
under the Content-Security-Policy (the script is a static file). A full-page
screenshot is kept as an artifact (the ``artifacts`` fixture: ``var/test-artifacts/``)."""

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connections

from tests.factories import ServiceFactory, UserFactory, open_incident

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - requirements-dev.txt installs it
    sync_playwright = None

MISSING = sync_playwright is None or not Path(CHROMIUM).exists()
if MISSING and os.environ.get("CI"):
    raise RuntimeError("CI must install Playwright and Chromium (see .ci/run)")
pytestmark = [
    pytest.mark.skipif(
        MISSING, reason=f"Playwright or {CHROMIUM} is missing (.ci/run installs Chromium)"
    ),
    pytest.mark.django_db(transaction=True),
]


@contextmanager
def chromium_page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.errors = []
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            page.on(
                "console",
                lambda message: (
                    page.errors.append(message.text) if message.type == "error" else None
                ),
            )
            yield page
        finally:
            browser.close()


def on_a_thread_of_its_own(function):
    """``function()``, run on another thread. Playwright's sync API keeps an event loop
    running on this one, beside which Django refuses database calls."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function()
        except BaseException as error:  # re-raised below, on the test's thread
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def test_a_manager_sees_the_figures_and_they_refresh_without_a_reload(
    live_server, settings, artifacts
):
    settings.DASHBOARD_REFRESH_SECONDS = 1
    settings.DASHBOARD_CACHE_SECONDS = 1
    UserFactory(username="exec", first_name="Erin", roles=["Manager"])
    checkout = ServiceFactory(name="Checkout")
    for title in ("Payments failing", "Card declines"):
        open_incident(checkout, severity="SEV1", title=title)
    open_incident(checkout, severity="SEV3", title="Slow search")
    cache.clear()

    with chromium_page() as page:
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", "exec")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")

        sev1 = page.locator('#vd-open-incidents [data-severity="SEV1"] .vd-tile-count')
        total = page.locator("#vd-open-incidents .vd-big")
        assert (sev1.text_content(), total.text_content()) == ("2", "3")
        assert page.locator("#vd-slos").is_visible()
        page.evaluate("window.vigilNotReloaded = true")

        # Another SEV1 comes in; the next refresh (every second here) shows it.
        on_a_thread_of_its_own(
            lambda: open_incident(checkout, severity="SEV1", title="Checkout down")
        )
        cache.clear()
        with page.expect_response(
            lambda response: "/api/admin/status" in response.url and response.ok,
            timeout=10_000,
        ):
            pass
        page.wait_for_function(
            "document.querySelector('#vd-open-incidents .vd-big').textContent === '4'",
            timeout=10_000,
        )

        assert sev1.text_content() == "3"
        assert page.evaluate("window.vigilNotReloaded") is True  # the same page, not reloaded
        link = page.locator('#vd-open-incidents [data-severity="SEV1"] a').get_attribute("href")
        assert link.startswith("/admin/incidents/incident/?status__in=")
        assert page.errors == []  # no script error, nothing the policy blocked
        page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)

    assert (artifacts / "dashboard.png").stat().st_size > 10_000
