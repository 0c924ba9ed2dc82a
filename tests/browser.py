"""Real headless Chromium (Debian's ``chromium``) driven by Playwright's sync API, for
tests that look at pages as people do. CI installs both (.ci/run); elsewhere the tests
that use them are skipped, never faked."""

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - requirements-dev.txt installs it
    sync_playwright = None

MISSING = sync_playwright is None or not Path(CHROMIUM).exists()
if MISSING and os.environ.get("CI"):
    raise RuntimeError("CI must install Playwright and Chromium (see .ci/run)")

needs_chromium = pytest.mark.skipif(
    MISSING, reason=f"Playwright or {CHROMIUM} is missing (.ci/run installs Chromium)"
)


@contextmanager
def chromium_page(*, width=1440, height=900):
    """A page that records script errors and console errors in ``page.errors``."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
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


def sign_in(page, base_url, username, *, next_path="/admin/"):
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")


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
