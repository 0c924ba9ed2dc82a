import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from incidents import services
from incidents.models import Incident, IncidentSeverity, TimelineEntry
from tests.factories import ServiceFactory, UserFactory, open_incident

pytestmark = pytest.mark.django_db


def staff_client(*roles, superuser=False):
    if superuser:
        user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    else:
        user = UserFactory(roles=list(roles))
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def responder():
    return staff_client("Responder")


def test_the_list_shows_incidents_with_coloured_severity_and_status(responder):
    alice = UserFactory(username="alice")
    incident = open_incident(
        title="Checkout down", severity=IncidentSeverity.SEV1, assignees=[alice]
    )

    html = responder.get("/admin/incidents/incident/").content.decode()

    assert incident.reference in html
    assert "Checkout down" in html
    assert "#b91c1c" in html  # SEV1 and triggered are red
    assert ">SEV1<" in html
    assert ">Triggered<" in html
    assert "alice" in html


def test_the_list_costs_the_same_queries_for_1_and_50_incidents(
    responder, django_assert_num_queries
):
    people = [UserFactory() for _ in range(2)]
    open_incident(assignees=people, commander=people[0])
    responder.get("/admin/incidents/incident/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        responder.get("/admin/incidents/incident/")
    for _ in range(49):
        open_incident(assignees=people, commander=people[0])
    with django_assert_num_queries(len(one.captured_queries)):
        html = responder.get("/admin/incidents/incident/").content.decode()
    assert html.count('class="action-select"') == 50


def test_search_finds_an_incident_by_reference(responder):
    wanted = open_incident(title="wanted")
    open_incident(title="other")

    html = responder.get(f"/admin/incidents/incident/?q={wanted.reference}").content.decode()

    assert "wanted" in html
    assert "other" not in html


def test_the_change_page_shows_the_timeline_read_only_and_the_allowed_actions(responder):
    incident = open_incident(by=responder.user)
    services.incident_add_note(incident=incident, by=responder.user, text="checking dashboards")

    html = responder.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()

    assert "checking dashboards" in html
    assert 'name="timeline-0-message"' not in html  # shown, not editable
    assert f"/admin/incidents/incident/{incident.pk}/lifecycle/acknowledge/" in html
    assert f"/admin/incidents/incident/{incident.pk}/lifecycle/resolve/" in html
    assert "/lifecycle/close/" not in html


def test_a_lifecycle_button_calls_the_service(responder):
    incident = open_incident()

    response = responder.post(
        f"/admin/incidents/incident/{incident.pk}/lifecycle/resolve/",
        {"lifecycle_note": "fixed the config"},
        follow=True,
    )

    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.resolved_by == responder.user
    assert incident.resolution_note == "fixed the config"
    assert "INC-1: resolved." in response.content.decode()


def test_a_refused_lifecycle_button_shows_why_and_changes_nothing(responder):
    incident = open_incident()

    response = responder.post(
        f"/admin/incidents/incident/{incident.pk}/lifecycle/close/", follow=True
    )

    incident.refresh_from_db()
    assert incident.status == "triggered"
    assert "Cannot close an incident that is triggered" in response.content.decode()


def test_a_viewer_cannot_use_the_lifecycle_buttons():
    viewer = staff_client("Viewer")
    incident = open_incident()

    viewer.post(f"/admin/incidents/incident/{incident.pk}/lifecycle/acknowledge/")

    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_bulk_acknowledge_and_resolve(responder):
    first, second = open_incident(), open_incident()
    services.incident_resolve(incident=second, by=None)
    services.incident_close(incident=second, by=None)

    response = responder.post(
        "/admin/incidents/incident/",
        {"action": "acknowledge_selected", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    responder.post(
        "/admin/incidents/incident/",
        {"action": "resolve_selected", "_selected_action": [first.pk]},
    )

    first.refresh_from_db()
    assert first.status == "resolved"
    assert list(first.timeline.values_list("kind", flat=True)) == [
        "created",
        "acknowledged",
        "assigned",  # the acknowledger is assigned
        "resolved",
    ]
    html = response.content.decode()
    assert "Acknowledged 1 incident(s)." in html
    assert second.reference in html  # named as refused


def test_adding_an_incident_in_the_admin_goes_through_the_service(responder):
    service = ServiceFactory()

    responder.post(
        "/admin/incidents/incident/add/",
        {
            "service": service.pk,
            "title": "Opened by hand",
            "summary": "",
            "severity": "SEV2",
            "dedup_key": "",
            "assignees": [responder.user.pk],
        },
    )

    incident = Incident.objects.get()
    assert incident.triggered_by == responder.user
    assert list(incident.assignees.all()) == [responder.user]
    assert incident.timeline.get().kind == "created"


def test_editing_in_the_admin_writes_the_timeline(responder):
    incident = open_incident(title="old", severity=IncidentSeverity.SEV3)

    responder.post(
        f"/admin/incidents/incident/{incident.pk}/change/",
        {
            "title": "new",
            "summary": "",
            "severity": "SEV1",
            "commander": "",
            "assignees": [],
            "timeline-TOTAL_FORMS": 1,
            "timeline-INITIAL_FORMS": 1,
        },
    )

    incident.refresh_from_db()
    assert (incident.title, incident.severity) == ("new", "SEV1")
    assert list(incident.timeline.values_list("kind", flat=True)) == [
        "created",
        "updated",
        "severity_changed",
    ]


def test_timeline_entries_cannot_be_edited_or_deleted_in_the_admin():
    admin = staff_client(superuser=True)
    entry = open_incident().timeline.get()

    assert admin.get(f"/admin/incidents/timelineentry/{entry.pk}/change/").status_code == 404
    assert TimelineEntry.objects.filter(pk=entry.pk).exists()


def test_responders_cannot_delete_incidents_in_the_admin(responder):
    incident = open_incident()

    assert responder.get(f"/admin/incidents/incident/{incident.pk}/delete/").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "oncall/schedule",
        "incidents/escalationpolicy",
        "oncall/contactmethod",
        "webhooks/outgoingwebhook",
        "incidents/integration",
        "incidents/notification",
        "incidents/alert",
        "catalog/team",
        "catalog/service",
    ],
)
def test_admin_lists_cost_the_same_queries_for_1_and_many_rows(path, django_assert_num_queries):
    """Every configuration list page stays flat as it grows (no query per row)."""
    from datetime import timedelta

    from incidents.services.escalation import policy_save
    from oncall.services import contact_method_create, schedule_create
    from tests.factories import TeamFactory, make_integration
    from webhooks.services import webhook_create

    admin = staff_client(superuser=True)

    def add_rows(n):
        for _ in range(n):
            user, team = UserFactory(), TeamFactory()
            schedule = schedule_create(
                name="s",
                team=team,
                layers=[
                    {
                        "name": "l",
                        "rotation_length": timedelta(days=1),
                        "members": [user],
                        "handoff_date": "2026-01-01",
                        "handoff_time": "09:00",
                    }
                ],
            )
            policy_save(
                name="p",
                team=team,
                steps=[{"delay": timedelta(minutes=5), "schedules": [schedule]}],
            )
            contact_method_create(user=user, kind="email", address="a@example.com")
            webhook_create(name="w", url="https://example.com/hook", service=ServiceFactory())
            make_integration("webhook")

    add_rows(1)
    url = f"/admin/{path}/"
    admin.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert admin.get(url).status_code == 200
    add_rows(5)
    with django_assert_num_queries(len(one.captured_queries)):
        admin.get(url)
