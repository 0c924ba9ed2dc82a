"""The incident page as a responder's console, and "Escalate now" behind it (service,
API, admin)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.errors import Conflict
from incidents import services
from incidents.models import Alert, Notification
from incidents.services.escalation import escalation_policy_for, policy_save
from oncall import services as oncall_services
from tests.factories import ServiceFactory, TeamFactory, UserFactory, open_incident

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def people():
    ana, ben, cy = (UserFactory(username=n, roles=["Responder"]) for n in ("ana", "ben", "cy"))
    for user in (ana, ben, cy):
        oncall_services.contact_method_create(
            user=user, kind="email", address=f"{user.username}@example.com"
        )
    return ana, ben, cy


@pytest.fixture
def team():
    return TeamFactory(name="Payments")


@pytest.fixture
def schedule(people, team):
    return oncall_services.schedule_create(
        name="primary",
        team=team,
        time_zone="UTC",
        layers=[
            {
                "name": "daily",
                "priority": 1,
                "rotation_length": timedelta(days=1),
                "handoff_date": T0.date() - timedelta(days=30),
                "handoff_time": T0.time(),
                "members": [people[1]],
            }
        ],
    )


@pytest.fixture
def service(people, schedule, team):
    """Level 1 pages ana directly, level 2 the primary schedule (ben), level 3 cy."""
    policy = policy_save(
        name="checkout policy",
        team=team,
        steps=[
            {"delay": timedelta(minutes=5), "users": [people[0]]},
            {"delay": timedelta(minutes=10), "schedules": [schedule]},
            {"delay": timedelta(minutes=15), "users": [people[2]]},
        ],
    )
    service = ServiceFactory(name="Checkout", team=team)
    services.escalation_rule_set(service=service, policy=policy)
    return service


def paged(incident):
    return sorted(
        (n.level, n.user.username)
        for n in Notification.objects.filter(incident=incident).select_related("user")
    )


def page(client, incident):
    response = client.get(f"/admin/incidents/incident/{incident.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def text_of(html, element_id):
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no #{element_id} on the page"
    return re.sub(r"\s+", " ", match.group(1)).strip()


def admin_client(user):
    client = Client()
    client.force_login(user)
    return client


# --- Escalate now: the service ------------------------------------------------------


def test_escalating_a_triggered_incident_pages_the_next_level_and_restarts_the_timer(
    service, people
):
    with time_machine.travel(T0, tick=False):
        incident = open_incident(service)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        incident = services.incident_escalate(incident=incident, by=people[2], note="db is on fire")

    assert paged(incident) == [(0, "ana"), (1, "ben")]
    assert incident.escalation_level == 1
    # Level 2 waits its own 10 minutes from now before level 3.
    assert incident.escalation_next_at == T0 + timedelta(minutes=11)
    messages = list(incident.timeline.values_list("message", flat=True))
    assert "Escalated by cy: db is on fire" in messages
    assert "Escalation level 2: paging ben" in messages


def test_escalating_an_acknowledged_incident_pages_help_and_keeps_it_acknowledged(service, people):
    incident = open_incident(service)
    services.incident_acknowledge(incident=incident, by=people[0])

    incident = services.incident_escalate(incident=incident, by=people[0])

    assert incident.status == "acknowledged"
    assert paged(incident) == [(0, "ana"), (1, "ben")]
    assert incident.escalation_next_at is None  # nobody further unless asked again
    incident.refresh_from_db()
    assert (incident.escalation_level, incident.escalation_next_at) == (1, None)


def test_escalating_past_the_last_level_is_refused_and_changes_nothing(service, people):
    incident = open_incident(service)
    services.incident_escalate(incident=incident, by=people[0])
    services.incident_escalate(incident=incident, by=people[0])
    entries = incident.timeline.count()

    with pytest.raises(Conflict, match="Level 3 is the last level of checkout policy"):
        services.incident_escalate(incident=incident, by=people[0], note="more!")

    assert incident.timeline.count() == entries
    assert paged(incident) == [(0, "ana"), (1, "ben"), (2, "cy")]


def test_a_resolved_incident_or_one_without_a_policy_is_not_escalated(service, people):
    resolved = open_incident(service)
    services.incident_resolve(incident=resolved, by=people[0])
    with pytest.raises(Conflict, match="only an open incident is escalated"):
        services.incident_escalate(incident=resolved, by=people[0])

    lonely = open_incident(ServiceFactory(name="Lonely"))
    with pytest.raises(Conflict, match="Lonely has no escalation policy"):
        services.incident_escalate(incident=lonely, by=people[0])
    assert not lonely.timeline.filter(kind="escalation").exists()


def test_an_incident_whose_service_gained_a_policy_later_starts_at_level_1(service, people):
    other = ServiceFactory(name="Late")
    incident = open_incident(other)
    assert incident.escalation == {}
    services.escalation_rule_set(service=other, policy=escalation_policy_for(service, "SEV3"))

    incident = services.incident_escalate(incident=incident, by=people[1])

    assert paged(incident) == [(0, "ana")]
    assert incident.escalation_level == 0


# --- Escalate now: the API -----------------------------------------------------------


def test_the_api_escalates_with_a_note_and_answers_409_at_the_last_level(service, people):
    incident = open_incident(service)
    client = APIClient()
    client.force_authenticate(people[1])

    first = client.post(
        f"/api/incidents/{incident.pk}/escalate", {"note": "need DBA"}, format="json"
    )
    client.post(f"/api/incidents/{incident.pk}/escalate")
    last = client.post(f"/api/incidents/{incident.pk}/escalate")

    assert first.status_code == 200
    assert first.json()["escalation"] == {
        "policy": "checkout policy",
        "level": 2,
        "levels": 3,
        "repeat": 0,
        "next_at": first.json()["escalation"]["next_at"],
    }
    assert first.json()["escalation"]["next_at"] is not None
    assert incident.timeline.filter(message="Escalated by ben: need DBA").exists()
    assert last.status_code == 409
    assert last.json()["error"] == {
        "code": "cannot_escalate",
        "message": (
            "Level 3 is the last level of checkout policy: there is nobody further to page."
        ),
        "fields": {"level": 3},
    }


def test_viewers_cannot_escalate(service):
    incident = open_incident(service)
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Viewer"]))

    assert client.post(f"/api/incidents/{incident.pk}/escalate").status_code == 403
    assert paged(incident) == [(0, "ana")]


# --- the page ------------------------------------------------------------------------


def test_the_header_says_what_is_burning_and_where(service, people):
    with time_machine.travel(T0, tick=False):
        incident = open_incident(service, title="Card payments failing", dedup_key="pay-5xx")
    with time_machine.travel(T0 + timedelta(hours=2, minutes=14), tick=False):
        html = page(admin_client(people[0]), incident)

    header = html[html.index('id="incident-header"') : html.index('id="lifecycle"')]
    assert incident.reference in header
    assert "Card payments failing" in header
    assert ">SEV3<" in header
    assert ">Triggered<" in header
    assert "Checkout" in header
    assert "Payments" in header
    assert "pay-5xx" in header
    assert text_of(html, "incident-age") == "2 h 14 min"
    assert "No alerts: this incident was opened by hand or through the API." in html
    # The stock subtitle repeating the title above the header is gone.
    assert f"<h2>{incident}</h2>" not in html


def test_the_escalation_panel_says_who_was_paged_how_and_what_comes_next(service, people):
    with time_machine.travel(T0, tick=False):
        incident = open_incident(service)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        html = page(admin_client(people[0]), incident)

    panel = html[html.index('id="escalation"') : html.index('id="alerts"')]
    assert text_of(html, "escalation-level") == "level 1"
    assert "checkout policy" in panel
    assert "ana by Email at 1 Jun 12:00 UTC" in panel
    assert re.search(r"Level 2 at 1 Jun 12:05 UTC</strong>\s*\(in 3 min\)", panel)
    assert "primary: <strong>ben</strong>" in panel  # who the schedule level pages now
    assert "Escalate now: page level 2" in panel


def test_escalate_now_assign_me_and_take_command_work_from_the_page(service, people):
    incident = open_incident(service)
    client = admin_client(people[2])
    url = f"/admin/incidents/incident/{incident.pk}/lifecycle"

    escalated = client.post(
        f"{url}/escalate/", {"lifecycle_note": "paging the DB team"}, follow=True
    )
    client.post(f"{url}/assign-me/", follow=True)
    html = client.post(f"{url}/command/", follow=True).content.decode()

    assert f"{incident.reference}: escalated." in escalated.content.decode()
    assert paged(incident) == [(0, "ana"), (1, "ben")]
    assert "Escalated by cy: paging the DB team" in html
    assert text_of(html, "escalation-level") == "level 2"
    assert text_of(html, "incident-assignees") == "cy"
    assert text_of(html, "incident-commander") == "cy"
    assert 'value="assign-me"' not in html  # already assigned
    assert 'value="command"' not in html  # already commander


def test_a_refused_escalation_shows_why_on_the_page(people):
    incident = open_incident(ServiceFactory(name="Lonely"))

    html = (
        admin_client(people[0])
        .post(f"/admin/incidents/incident/{incident.pk}/lifecycle/escalate/", follow=True)
        .content.decode()
    )

    assert "Lonely has no escalation policy" in html
    assert 'id="escalate-now"' not in html


def test_alerts_show_their_labels_and_runbook_one_row_per_fingerprint(people):
    incident = open_incident()
    integration = services.integration_create(
        kind="alertmanager", name="prom", service=incident.service
    ).integration
    for status in ("firing", "resolved"):
        Alert.objects.create(
            integration=integration,
            incident=incident,
            fingerprint="abc",
            group_key="g",
            status=status,
            summary="Disk full on db-1",
            severity="SEV2",
            labels={"alertname": "DiskFull", "instance": "db-1"},
            annotations={"runbook_url": "https://runbooks.example.com/disk"},
        )

    html = page(admin_client(people[0]), incident)
    alerts = html[html.index('id="alerts"') : html.index('id="timeline"')]

    assert "Alerts (1 shown, 2 deliveries in all)" in alerts  # one row per alert
    assert alerts.count("Disk full on db-1") == 1
    assert "2 deliveries" in alerts
    assert "alertname=<b>DiskFull</b>" in alerts
    assert "instance=<b>db-1</b>" in alerts
    assert 'href="https://runbooks.example.com/disk"' in alerts
    assert "<td>resolved<br>" in alerts  # its latest status


def test_the_timeline_is_one_stream_newest_first_without_per_row_headers(service, people):
    with time_machine.travel(T0, tick=False):
        incident = open_incident(service)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        services.incident_add_note(incident=incident, by=people[0], text="checking the DB")
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        services.incident_acknowledge(incident=incident, by=people[0], note="on it")

    html = page(admin_client(people[0]), incident)
    timeline = html[html.index('id="timeline"') :]

    order = [timeline.index(text) for text in ("Acknowledged by ana: on it", "checking the DB")]
    assert order == sorted(order)  # newest first
    assert "opened (SEV3)" in timeline
    assert "TimelineEntry object" not in html
    assert 'name="timeline-0-message"' not in html


def test_the_page_costs_the_same_queries_with_1_or_many_pages_alerts_and_entries(service, people):
    client = admin_client(people[0])
    # One of each (a person, a page, an entry, a commander) against many.
    small = open_incident(service, assignees=[people[0]], commander=people[0])
    page(client, small)
    with CaptureQueriesContext(connection) as few:
        page(client, small)

    big = open_incident(service, title="big")
    services.incident_escalate(incident=big, by=people[0])
    services.incident_escalate(incident=big, by=people[0])
    for n in range(30):
        services.incident_add_note(incident=big, by=people[n % 3], text=f"note {n}")
    services.incident_assign(incident=big, by=people[0], assignees=people, commander=people[1])
    with CaptureQueriesContext(connection) as many:
        page(client, big)

    assert len(many) == len(few)


def test_times_follow_the_viewers_browser_zone_where_set(service, people):
    with time_machine.travel(T0, tick=False):
        incident = open_incident(service)
    client = admin_client(people[0])

    default = page(client, incident)
    client.cookies["tz"] = "America/New_York"
    viewer = page(client, incident)
    client.cookies["tz"] = "Not/AZone"
    bogus = page(client, incident)

    assert "1 Jun 12:00 UTC" in default
    assert "1 Jun 08:00 EDT" in viewer
    assert "1 Jun 12:00 UTC" in bogus
