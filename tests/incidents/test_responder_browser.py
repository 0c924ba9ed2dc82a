"""A responder works an incident in a real browser (headless Chromium, Playwright) against
the live test server: signs in, finds the incident on the open-incident list,
acknowledges with a note, escalates, resolves, and sees each change in the page's
header, escalation panel and timeline. Screenshots of each step are kept as artifacts
(``var/test-artifacts/responder-*.png``)."""

from datetime import timedelta

import pytest

from incidents import services
from incidents.ingest.types import AlertGroup, IncomingAlert
from incidents.models import Incident, IncidentStatus
from incidents.services.alerts import alerts_ingest
from incidents.services.escalation import policy_save
from oncall import services as oncall_services
from tests.browser import chromium_page, needs_chromium, on_a_thread_of_its_own, sign_in
from tests.factories import ServiceFactory, TeamFactory, UserFactory, make_integration

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


def the_night(responder_name="rita"):
    """A Payments team whose Checkout service pages Rita first, then Ben; an alert from
    Prometheus opened INC-1; an older incident is already resolved."""
    team = TeamFactory(name="Payments")
    rita = UserFactory(username=responder_name, roles=["Responder"])
    ben = UserFactory(username="ben", roles=["Responder"])
    for user in (rita, ben):
        oncall_services.contact_method_create(
            user=user, kind="email", address=f"{user.username}@example.com"
        )
    policy = policy_save(
        name="Payments escalation",
        team=team,
        steps=[
            {"delay": timedelta(minutes=5), "users": [rita]},
            {"delay": timedelta(minutes=10), "users": [ben]},
        ],
    )
    checkout = ServiceFactory(name="Checkout", team=team)
    services.escalation_rule_set(service=checkout, policy=policy)

    old = services.incident_create(service=checkout, title="Yesterday's blip", by=None)
    services.incident_resolve(incident=old, by=None)

    integration, _ = make_integration("alertmanager", service=checkout, name="Prometheus")
    [outcome] = alerts_ingest(
        integration=integration,
        groups=[
            AlertGroup(
                key='{}:{alertname="CheckoutErrors"}',
                title="Checkout 5xx above 5%",
                alerts=[
                    IncomingAlert(
                        fingerprint="c0ffee",
                        status="firing",
                        summary="Checkout 5xx above 5%",
                        severity_value="critical",
                        labels={"alertname": "CheckoutErrors", "service": "checkout"},
                        annotations={"runbook_url": "https://runbooks.example.com/checkout"},
                    )
                ],
            )
        ],
    )
    return outcome.incident, old


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def text(page, selector):
    return " ".join(page.locator(selector).first.inner_text().split())


def test_a_responder_acknowledges_escalates_and_resolves_in_the_browser(live_server, artifacts):
    incident, old = on_a_thread_of_its_own(the_night)
    shots = []

    def shot(name):
        path = artifacts / f"responder-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    with chromium_page(width=1366, height=900) as page:
        sign_in(page, live_server.url, "rita", next_path="/admin/incidents/incident/")

        # The list starts on open incidents: tonight's is there, yesterday's is not.
        rows = page.locator("#result_list tbody tr")
        assert rows.count() == 1
        assert incident.reference in rows.first.inner_text()
        assert old.reference not in page.locator("#result_list").inner_text()
        assert "Open" in text(page, "#changelist-filter li.selected")
        assert fits(page), "the incident list is wider than a 1366 px screen"
        shot("1-open-list")

        page.click(f"#result_list a:text('{incident.reference}')")
        page.wait_for_selector("#incident-header")
        assert "Triggered" in text(page, "#incident-header")
        assert "Checkout" in text(page, "#incident-header")
        assert "Payments" in text(page, "#incident-header")
        assert text(page, "#escalation-level") == "level 1"
        assert "alertname=CheckoutErrors" in text(page, "#alerts")
        assert page.locator("#alerts a", has_text="runbook").get_attribute("href") == (
            "https://runbooks.example.com/checkout"
        )
        assert fits(page), "the incident page is wider than a 1366 px screen"
        shot("2-triggered")

        # Acknowledge with a note: the note lands with it, Rita is assigned.
        page.fill("#id_lifecycle_note", "Looking at the payment DB")
        page.click("#lifecycle button[value=acknowledge]")
        page.wait_for_selector(".messagelist .success")
        assert "Acknowledged" in text(page, "#incident-header")
        assert text(page, "#incident-assignees") == "rita"
        timeline = text(page, "#timeline")
        assert "Acknowledged by rita: Looking at the payment DB" in timeline
        assert "rita set assignees: rita (by acknowledging)" in timeline
        assert "nobody further is paged unless you escalate" in text(page, "#escalation")
        shot("3-acknowledged")

        # Escalate: Ben (level 2) is paged now; it stays acknowledged.
        page.fill("#id_lifecycle_note", "Need the DB owner")
        page.click("#escalate-now")
        page.wait_for_selector(".messagelist .success")
        assert text(page, "#escalation-level") == "level 2"
        assert "ben by Email" in text(page, "#escalation tr.current")
        timeline = text(page, "#timeline")
        assert "Escalated by rita: Need the DB owner" in timeline
        assert "Escalation level 2: paging ben" in timeline
        assert "Acknowledged" in text(page, "#incident-header")
        shot("4-escalated")

        # Resolve with the resolution.
        page.fill("#id_lifecycle_note", "Failed over to the replica")
        page.click("#lifecycle button[value=resolve]")
        page.wait_for_selector(".messagelist .success")
        assert "Resolved" in text(page, "#incident-header")
        assert "Resolved by rita: Failed over to the replica" in text(page, "#timeline")
        assert page.locator("#escalate-now").count() == 0
        shot("5-resolved")

        # Back on the list, nothing is open any more.
        page.goto(f"{live_server.url}/admin/incidents/incident/")
        assert page.locator("#result_list tbody tr").count() == 0
        assert page.errors == []

    stored = on_a_thread_of_its_own(lambda: Incident.objects.get(pk=incident.pk))
    assert stored.status == IncidentStatus.RESOLVED
    assert stored.resolution_note == "Failed over to the replica"
    assert all(path.stat().st_size > 10_000 for path in shots)
