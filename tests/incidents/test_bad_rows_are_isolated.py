"""A bad row that reaches the database anyway (written around the models' validation:
an old migration, a hand-edited row, raw SQL) breaks only its own schedule or webhook.
Who is on call, escalation, alert ingestion and incident creation go on for the rest."""

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from incidents import services
from incidents.models import Incident, Notification
from oncall import services as oncall_services
from tests.factories import ServiceFactory, TeamFactory, UserFactory, make_integration
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ALERTMANAGER_PAYLOAD = (
    Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager" / "01-two-firing.json"
)

# How a schedule's stored row can be broken: (table, column, stored value).
BROKEN_SCHEDULES = [
    pytest.param(("oncall_schedulelayer", "restrictions", '[{"start": "9am"}]'), id="no-days"),
    pytest.param(
        ("oncall_schedulelayer", "restrictions", '[{"days": [0], "start": "9am", "end": "17:00"}]'),
        id="bad-start",
    ),
    pytest.param(("oncall_schedulelayer", "restrictions", '{"start": "9am"}'), id="object"),
    pytest.param(("oncall_schedulelayer", "restrictions", "5"), id="number"),
    pytest.param(("oncall_schedulelayer", "restrictions", '["9am"]'), id="string-item"),
    pytest.param(("oncall_schedule", "time_zone", "Mars/Olympus"), id="time-zone"),
]
# A webhook's stored event list that is not a list.
BROKEN_EVENTS = [
    pytest.param("5", id="number"),
    pytest.param('"triggered"', id="string"),
    pytest.param('{"triggered": true}', id="object"),
    pytest.param("null", id="null"),
]


def write_around_validation(table, column, value, pk):
    """Store ``value`` as it is, the way a bad migration or a hand edit would."""
    placeholder = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    if column == "time_zone":
        placeholder = "%s"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = {placeholder} WHERE id = %s", [value, pk])
        assert cursor.rowcount == 1


# --- setup (as in tests/incidents/test_escalation.py) ----------------------------


@pytest.fixture
def people():
    ana, ben, cy = (UserFactory(username=n, roles=["Responder"]) for n in ("ana", "ben", "cy"))
    for user in (ana, ben, cy):
        oncall_services.contact_method_create(
            user=user, kind="email", address=f"{user.username}@example.com"
        )
    return ana, ben, cy


def daily_schedule(name, team, member):
    return oncall_services.schedule_create(
        name=name,
        team=team,
        time_zone="UTC",
        layers=[
            {
                "name": "daily",
                "rotation_length": timedelta(days=1),
                "handoff_date": T0.date() - timedelta(days=30),
                "handoff_time": time(0),
                "members": [member],
            }
        ],
    )


def service_paging(team, *steps):
    """A service whose default escalation policy has ``steps`` (5 minutes apart)."""
    service = ServiceFactory(team=team)
    policy = services.policy_save(
        name=f"policy of {service.slug}",
        team=team,
        steps=[{"delay": timedelta(minutes=5), **step} for step in steps],
    )
    services.escalation_rule_set(service=service, policy=policy)
    return service


@pytest.fixture
def world(people, request):
    """A healthy schedule (ben on call), a broken one (cy's, unreadable), and services
    whose policies page ana first, then the broken, the healthy or both schedules."""
    ana, ben, cy = people
    team = TeamFactory()
    healthy = daily_schedule("healthy", team, ben)
    broken = daily_schedule("broken", team, cy)
    services_by_name = {
        "broken": service_paging(team, {"users": [ana]}, {"schedules": [broken]}),
        "healthy": service_paging(team, {"users": [ana]}, {"schedules": [healthy]}),
        "both": service_paging(team, {"users": [ana]}, {"schedules": [broken, healthy]}),
        "both-first": service_paging(team, {"schedules": [broken, healthy]}),
    }
    table, column, value = getattr(request, "param", BROKEN_SCHEDULES[0].values[0])
    pk = broken.layers.get().pk if table == "oncall_schedulelayer" else broken.pk
    write_around_validation(table, column, value, pk)
    return {"healthy": healthy, "broken": broken, "services": services_by_name}


@pytest.fixture
def webhooks(request):
    """A healthy webhook for every service's ``triggered`` events, and a broken one."""
    healthy = webhook_services.webhook_create(
        name="healthy", url="https://hooks.example.com/a", events=["triggered"]
    )
    broken = webhook_services.webhook_create(
        name="broken", url="https://hooks.example.com/b", events=["triggered"]
    )
    value = getattr(request, "param", "5")
    write_around_validation("webhooks_outgoingwebhook", "events", value, broken.pk)
    return healthy, broken


def deliveries(webhook):
    return list(WebhookDelivery.objects.filter(webhook=webhook).values_list("event", "subject"))


def paged_at(incident, level):
    return sorted(
        Notification.objects.filter(incident=incident, level=level).values_list(
            "user__username", flat=True
        )
    )


# --- schedules --------------------------------------------------------------------


@pytest.mark.parametrize("world", BROKEN_SCHEDULES, indirect=True)
def test_the_oncall_overview_shows_nobody_for_the_broken_schedule_only(world):
    viewer = APIClient()
    viewer.force_authenticate(UserFactory(roles=["Viewer"]))

    with time_machine.travel(T0, tick=False):
        response = viewer.get("/api/incidents/oncall")

    assert response.status_code == 200, response.content
    body = response.json()
    assert {s["name"]: s["user"] and s["user"]["username"] for s in body["schedules"]} == {
        "broken": None,
        "healthy": "ben",
    }
    levels = {
        policy["name"].removeprefix("policy of "): [
            [user["username"] for user in level["users"]] for level in policy["levels"]
        ]
        for policy in body["escalation_policies"]
    }
    services_by_slug = {name: s.slug for name, s in world["services"].items()}
    assert levels[services_by_slug["broken"]] == [["ana"], []]
    assert levels[services_by_slug["healthy"]] == [["ana"], ["ben"]]
    assert levels[services_by_slug["both"]] == [["ana"], ["ben"]]


@pytest.mark.parametrize("world", BROKEN_SCHEDULES, indirect=True)
def test_escalation_goes_on_for_incidents_paging_healthy_schedules(world):
    by_name = world["services"]
    with time_machine.travel(T0, tick=False):
        opened = {
            name: services.incident_create(service=by_name[name], title=name)
            for name in ("broken", "healthy", "both")
        }
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        advanced = services.escalations_advance_due()

    assert advanced == 3
    for incident in opened.values():
        incident.refresh_from_db()
        assert incident.escalation_level == 1
        assert paged_at(incident, 0) == ["ana"]
    assert paged_at(opened["healthy"], 1) == ["ben"]
    assert paged_at(opened["both"], 1) == ["ben"]
    # The broken schedule's own step pages nobody, and says so.
    assert paged_at(opened["broken"], 1) == []
    assert (
        opened["broken"]
        .timeline.filter(kind="escalation", message__startswith="Escalation level 2")
        .get()
        .message
        == "Escalation level 2: paging nobody"
    )


@pytest.mark.parametrize(
    "snapshot",
    [
        pytest.param('{"steps": 5}', id="steps-not-a-list"),
        pytest.param('{"steps": [{"delay": "soon", "users": [], "schedules": []}]}', id="delay"),
        pytest.param("[]", id="not-an-object"),
    ],
)
def test_an_unreadable_escalation_snapshot_stops_only_its_own_escalation(world, snapshot):
    by_name = world["services"]
    with time_machine.travel(T0, tick=False):
        corrupt = services.incident_create(service=by_name["healthy"], title="corrupt")
        healthy = services.incident_create(service=by_name["healthy"], title="healthy")
    write_around_validation("incidents_incident", "escalation", snapshot, corrupt.pk)

    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        assert services.escalations_advance_due() == 2
        services.escalation_advance(incident=corrupt)  # the API's "escalate now": no 500

    healthy.refresh_from_db()
    corrupt.refresh_from_db()
    assert (healthy.escalation_level, paged_at(healthy, 1)) == (1, ["ben"])
    assert corrupt.escalation_next_at is None
    assert paged_at(corrupt, 1) == []
    assert corrupt.timeline.filter(
        kind="escalation", message__startswith="Escalation stopped: its stored policy snapshot"
    ).exists()


@pytest.mark.parametrize("world", BROKEN_SCHEDULES, indirect=True)
def test_the_schedule_api_and_admin_still_answer_with_a_broken_schedule(world, people):
    viewer = APIClient()
    viewer.force_authenticate(UserFactory(roles=["Viewer"]))
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))
    healthy, broken = world["healthy"].pk, world["broken"].pk
    cy = people[2]  # the broken schedule's only member
    feed = oncall_services.calendar_feed_get_or_create(user=cy)

    with time_machine.travel(T0, tick=False):
        listing = viewer.get("/api/schedules")
        healthy_oncall = viewer.get(f"/api/schedules/{healthy}/oncall")
        broken_oncall = viewer.get(f"/api/schedules/{broken}/oncall")
        healthy_shifts = viewer.get(f"/api/schedules/{healthy}/shifts")
        healthy_ical = viewer.get(f"/api/schedules/{healthy}/ical")
        broken_shifts = viewer.get(f"/api/schedules/{broken}/shifts")
        broken_ical = viewer.get(f"/api/schedules/{broken}/ical")
        member_feed = Client().get(f"/calendar/{feed.token}.ics")
        admin_list = admin.get("/admin/oncall/schedule/")
        admin_page = admin.get(f"/admin/oncall/schedule/{broken}/change/")

    assert listing.status_code == 200
    assert listing.json()["count"] == 2
    assert healthy_oncall.json()["user"]["username"] == "ben"
    assert broken_oncall.status_code == 200
    assert broken_oncall.json()["user"] is None
    assert healthy_shifts.status_code == 200
    assert {row["username"] for row in healthy_shifts.json()} == {"ben"}
    assert healthy_ical.status_code == 200
    assert b"BEGIN:VCALENDAR" in healthy_ical.content
    # The broken schedule's own shifts are a 409 that names it, not a 500.
    for response in (broken_shifts, broken_ical):
        assert response.status_code == 409, response.content
        error = response.json()["error"]
        assert error["code"] == "conflict"
        assert error["message"].startswith("Schedule broken cannot be evaluated")
        assert error["fields"] == {"schedule": broken}
    # Its member's personal feed skips it and still answers.
    assert member_feed.status_code == 200
    assert b"BEGIN:VCALENDAR" in member_feed.content
    assert admin_list.status_code == 200
    assert admin_page.status_code == 200
    assert b"This schedule cannot be evaluated" in admin_page.content


@pytest.mark.parametrize("world", BROKEN_SCHEDULES, indirect=True)
def test_a_manager_repairs_the_broken_schedule_through_the_api(world, people):
    manager = APIClient()
    manager.force_authenticate(UserFactory(roles=["Manager"]))
    broken = world["broken"].pk
    layer = {
        "name": "daily",
        "rotation_length": "1 00:00:00",
        "handoff_date": (T0.date() - timedelta(days=30)).isoformat(),
        "handoff_time": "00:00",
        "members": [people[2].pk],
    }

    with time_machine.travel(T0, tick=False):
        repaired = manager.patch(
            f"/api/schedules/{broken}", {"time_zone": "UTC", "layers": [layer]}, format="json"
        )
        oncall = manager.get(f"/api/schedules/{broken}/oncall")

    assert repaired.status_code == 200, repaired.content
    assert repaired.json()["layers"][0]["restrictions"] == []
    assert oncall.json()["user"]["username"] == "cy"


# --- ingestion and incident creation ------------------------------------------------


@pytest.mark.parametrize("webhooks", BROKEN_EVENTS, indirect=True)
def test_alert_ingestion_works_with_a_broken_schedule_and_a_broken_webhook(world, webhooks):
    healthy_hook, broken_hook = webhooks
    _, secret = make_integration("alertmanager", service=world["services"]["both-first"])

    with time_machine.travel(T0, tick=False):
        response = Client().post(
            "/api/integrations/alertmanager/",
            ALERTMANAGER_PAYLOAD.read_text(),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )

    assert response.status_code == 200, response.content
    incident = Incident.objects.get()
    assert response.json()["incidents"][0]["id"] == incident.pk
    assert incident.alerts.count() == 2
    assert paged_at(incident, 0) == ["ben"]  # the healthy schedule's on-call
    assert deliveries(healthy_hook) == [("triggered", f"incident:{incident.pk}")]
    assert deliveries(broken_hook) == []


@pytest.mark.parametrize("webhooks", BROKEN_EVENTS, indirect=True)
def test_incident_create_works_and_the_healthy_webhook_gets_its_delivery(webhooks):
    healthy_hook, broken_hook = webhooks

    incident = services.incident_create(service=ServiceFactory(), title="Checkout down")

    assert Incident.objects.filter(pk=incident.pk).exists()
    assert deliveries(healthy_hook) == [("triggered", f"incident:{incident.pk}")]
    assert deliveries(broken_hook) == []
    assert WebhookDelivery.objects.count() == 1


def test_the_webhook_api_and_admin_still_answer_with_a_broken_webhook(webhooks):
    _, broken_hook = webhooks
    manager = APIClient()
    manager.force_authenticate(UserFactory(roles=["Manager"]))
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))

    listing = manager.get("/api/webhooks")
    admin_list = admin.get("/admin/webhooks/outgoingwebhook/")
    admin_page = admin.get(f"/admin/webhooks/outgoingwebhook/{broken_hook.pk}/change/")
    # The broken webhook is repaired through the API like any other.
    repaired = manager.patch(
        f"/api/webhooks/{broken_hook.pk}", {"events": ["resolved"]}, format="json"
    )

    assert listing.status_code == 200
    assert {row["name"]: row["events"] for row in listing.json()["results"]} == {
        "broken": 5,
        "healthy": ["triggered"],
    }
    assert admin_list.status_code == 200
    assert admin_page.status_code == 200
    assert repaired.status_code == 200, repaired.content
    broken_hook.refresh_from_db()
    assert broken_hook.events == ["resolved"]
