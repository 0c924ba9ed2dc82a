"""The executive dashboard in a real browser (headless Chromium driven by Playwright)
against the live test server: a manager logs in through the admin's login page, sees
the figures, and the page refreshes them from /api/admin/status without reloading,
under the Content-Security-Policy (the script is a static file). A full-page
screenshot is kept as an artifact (the ``artifacts`` fixture: ``var/test-artifacts/``)."""

import pytest
from django.core.cache import cache

from tests.browser import chromium_page, needs_chromium, on_a_thread_of_its_own, sign_in
from tests.factories import ServiceFactory, UserFactory, open_incident

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


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
        sign_in(page, live_server.url, "exec")

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
