"""One incident from the first alert to the executive report, in a real browser
(headless Chromium, Playwright) against the live test server.

Alertmanager posts a captured webhook to the integration URL; a Responder finds the
incident on the open-incident list and acknowledges, mitigates, resolves (with the
resolution) and closes it with the page's buttons, opens its post-incident review,
writes it and publishes it. A Manager then opens the executive dashboard, asks for an
incidents report in the admin, downloads its PDF through the browser and reads it.
Screenshots of each step are kept as artifacts (``e2e-*.png``)."""

import json
import urllib.request
from datetime import timedelta

import pypdf
import pytest
from django.core.cache import cache
from django.utils import timezone

from incidents.models import Incident, IncidentStatus, PostIncidentReview
from insights import services as insights_services
from insights.models import Report
from tests.browser import chromium_page, needs_chromium, on_a_thread_of_its_own, sign_in
from tests.factories import ServiceFactory, TeamFactory, UserFactory, make_integration
from tests.incidents.ingest.conftest import captured
from tests.insights.test_reports import needs_pango

pytestmark = [needs_chromium, needs_pango, pytest.mark.django_db(transaction=True)]

RESOLUTION = "Rolled back checkout v42; 5xx back under 0.1%"


def the_team():
    """Payments runs Checkout, watched by Prometheus through an Alertmanager integration;
    Rita responds, Erin manages. Answers the integration's secret."""
    checkout = ServiceFactory(name="Checkout", team=TeamFactory(name="Payments"))
    UserFactory(username="rita", roles=["Responder"])
    UserFactory(username="erin", first_name="Erin", roles=["Manager"])
    _, secret = make_integration("alertmanager", service=checkout, name="Prometheus")
    return secret


def alertmanager_posts(url, payload, secret):
    """What Alertmanager's webhook receiver sends (its headers included)."""
    request = urllib.request.Request(
        f"{url}/api/integrations/alertmanager/",
        data=json.dumps(payload).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {secret}",
            "User-Agent": "Alertmanager/0.25.0",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def text(page, selector):
    return " ".join(page.locator(selector).first.inner_text().split())


def test_an_incident_from_alert_to_published_review_dashboard_and_report(live_server, artifacts):
    secret = on_a_thread_of_its_own(the_team)
    # A warning opens a SEV3: below the severities whose review opens by itself on
    # resolve (REVIEW_SEVERITIES), so the responder opens it from the incident page.
    payload = captured("01-two-firing.json")
    for alert in payload["alerts"]:
        alert["labels"]["severity"] = "warning"
    payload["commonLabels"]["severity"] = "warning"

    status, answer = alertmanager_posts(live_server.url, payload, secret)

    assert status == 200, answer
    [opened] = answer["incidents"]
    assert (opened["decision"], opened["status"]) == ("opened", "triggered")
    reference = opened["reference"]
    shots = []

    with chromium_page(width=1366, height=900) as page:

        def shot(name):
            """Keep the page as an artifact; every page fits a 1366 px laptop screen."""
            path = artifacts / f"e2e-{name}.png"
            page.screenshot(path=str(path), full_page=True)
            shots.append(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1366, f"{name}: the page is {width} px wide"

        def follow(selector):
            """Click what leads to another page and wait until that page has loaded (the
            forms post and come back to the address they were on, so waiting for an
            address would not wait at all)."""
            with page.expect_navigation():
                page.click(selector)

        def press(action, note=""):
            page.fill("#id_lifecycle_note", note)
            follow(f"#lifecycle button[value={action}]")
            assert page.locator(".messagelist .success").count() == 1

        # --- the responder works the incident ------------------------------------
        sign_in(page, live_server.url, "rita", next_path="/admin/incidents/incident/")
        rows = page.locator("#result_list tbody tr")
        assert rows.count() == 1
        assert reference in rows.first.inner_text()
        assert "5xx ratio above 5% on checkout" in rows.first.inner_text()
        shot("01-open-list")

        follow(f"#result_list a:text('{reference}')")
        header = "#incident-header"
        assert "Triggered" in text(page, header)
        assert "SEV3" in text(page, header)
        assert "Checkout" in text(page, header)
        assert "Payments" in text(page, header)
        assert "alertname=HighErrorRate" in text(page, "#alerts")
        shot("02-triggered")

        press("acknowledge", "Looking at checkout's error logs")
        assert "Acknowledged" in text(page, header)
        assert text(page, "#incident-assignees") == "rita"

        press("mitigate", "Traffic moved to the previous release")
        assert "Mitigated" in text(page, header)
        shot("03-mitigated")

        press("resolve", RESOLUTION)
        assert "Resolved" in text(page, header)
        assert f"Resolved by rita: {RESOLUTION}" in text(page, "#timeline")

        press("close")
        assert "Closed" in text(page, header)
        assert page.locator("#lifecycle button[value=reopen]").count() == 0  # closed is final
        timeline = text(page, "#timeline")
        for step in ("Acknowledged by rita", "Mitigated by rita", "Closed by rita"):
            assert step in timeline
        shot("04-closed")

        # --- the post-incident review --------------------------------------------
        follow("a.button:text('Open a review')")
        assert "/admin/incidents/postincidentreview/add/" in page.url
        assert reference in text(page, ".field-incident")  # the incident comes chosen
        follow("input[name=_continue]")
        assert "Status: Draft" in text(page, "#review-status h2")
        page.fill("#id_summary", "Checkout v42 returned 5xx for a fifth of payments.")
        page.fill("#id_customer_impact", "About 1 in 5 checkouts failed for 20 minutes.")
        page.fill("#id_root_cause", "A connection pool sized for the old database proxy.")
        page.fill("#id_lessons_learned", "Canary every checkout release.")
        page.fill("#id_action_items-0-title", "Canary the checkout deploy")
        follow("input[name=_continue]")
        assert page.locator(".messagelist .success").count() == 1
        assert page.locator(".errornote").count() == 0
        shot("05-review-written")

        follow("#review-status button:text('Publish this review')")
        assert f"The review of {reference} is published." in text(page, ".messagelist")
        assert text(page, "#review-status h2") == "Published"
        assert "by rita. The text is final" in text(page, "#review-status")
        assert page.locator("#id_summary").count() == 0  # read-only now
        assert "Canary every checkout release." in text(page, ".field-lessons_learned")
        shot("06-review-published")

        follow(f".field-incident_link a:text('{reference}')")
        assert "Post-incident review published by rita" in text(page, "#timeline")
        assert page.locator(".field-review_link a", has_text="Review (Published)").count() == 1
        assert page.errors == []

        # --- the manager: dashboard and report -----------------------------------
        page.context.clear_cookies()
        cache.clear()  # the dashboard's figures are cached for a few seconds
        sign_in(page, live_server.url, "erin")
        assert text(page, "#vd-open-incidents .vd-big") == "0"
        response = {
            text(row, "th"): text(row, ".vd-now")
            for row in page.locator("#vd-response-times tbody tr").all()
        }
        assert response["Incidents"] == "1"
        assert response["MTTA"] != "—"
        assert response["MTTR"] != "—"
        assert text(page, "#vd-incidents-per-week .vd-count").startswith("1 in ")
        shot("07-dashboard")

        page.goto(f"{live_server.url}/admin/insights/report/add/")
        today = timezone.localdate()
        page.select_option("#id_kind", "incidents")
        page.fill("#id_start_0", (today - timedelta(days=6)).isoformat())
        page.fill("#id_start_1", "00:00:00")
        page.fill("#id_end_0", (today + timedelta(days=1)).isoformat())
        page.fill("#id_end_1", "00:00:00")
        follow("input[name=_save]")
        assert page.locator(".messagelist .success").count() == 1

        # What the worker on the reports queue runs for the report just asked for.
        report = on_a_thread_of_its_own(lambda: Report.objects.get())
        on_a_thread_of_its_own(lambda: insights_services.report_generate(report.pk))

        page.goto(f"{live_server.url}/admin/insights/report/{report.pk}/change/")
        assert "Done" in text(page, ".field-status")
        shot("08-report")
        with page.expect_download() as download:
            page.click(".field-documents a:text('PDF')")
        pdf_path = artifacts / "e2e-report.pdf"
        download.value.save_as(pdf_path)
        assert page.errors == []

    pdf = pypdf.PdfReader(pdf_path)
    words = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "1 incident triggered, 1 acknowledged and 1 resolved" in words, words[:3000]
    assert "Checkout" in words
    assert "HighErrorRate" in words

    incident, review = on_a_thread_of_its_own(
        lambda: (Incident.objects.get(), PostIncidentReview.objects.select_related().get())
    )
    assert (incident.status, incident.resolution_note) == (IncidentStatus.CLOSED, RESOLUTION)
    assert review.is_published
    assert review.published_by.username == "rita"
    assert [item.title for item in review.action_items.all()] == ["Canary the checkout deploy"]
    assert all(path.stat().st_size > 10_000 for path in shots), [
        (path.name, path.stat().st_size) for path in shots
    ]
