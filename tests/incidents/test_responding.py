"""Working an incident as a responder (product issue 14): acknowledging assigns the
acknowledger, the admin's note box goes with every lifecycle button, and escalation
levels read the same (from 1) everywhere a person sees them."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from incidents import services
from incidents.actors import Actor
from incidents.models import Notification
from incidents.services.escalation import escalations_advance_due, policy_save
from incidents.services.notifications import notification_send, respond_link_use, respond_token
from oncall import services as oncall_services
from oncall.models import ContactMethod
from tests.factories import ServiceFactory, TeamFactory, UserFactory, open_incident

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def api_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def admin_client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ana():
    return UserFactory(username="ana", roles=["Responder"])


@pytest.fixture
def ben():
    return UserFactory(username="ben", roles=["Responder"])


def assignees(incident):
    return sorted(user.username for user in incident.assignees.all())


def entries(incident):
    return [(e.kind, e.message, e.data) for e in incident.timeline.order_by("created_at", "id")]


# --- 1. acknowledging assigns the acknowledger ---------------------------------------


def test_acknowledging_through_the_api_assigns_the_acknowledger(ana, ben):
    incident = open_incident(title="Checkout down", assignees=[ben])

    response = api_client(ana).post(f"/api/incidents/{incident.pk}/acknowledge")

    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert assignees(incident) == ["ana", "ben"]
    assert entries(incident)[1:] == [
        ("acknowledged", "Acknowledged by ana", {"from": "triggered", "to": "acknowledged"}),
        (
            "assigned",
            "ana set assignees: ana, ben (by acknowledging)",
            {"assignees": ["ana", "ben"], "added": "ana", "via": "acknowledge"},
        ),
    ]
    acknowledged, assigned = incident.timeline.filter(kind__in=["acknowledged", "assigned"])
    assert (assigned.actor_user, assigned.created_at) == (ana, acknowledged.created_at)
    assert sorted(user["username"] for user in response.json()["assignees"]) == ["ana", "ben"]


def test_acknowledging_again_or_when_assigned_already_records_no_assignment(ana):
    incident = open_incident(assignees=[ana])

    services.incident_acknowledge(incident=incident, by=ana)
    api_client(ana).post(f"/api/incidents/{incident.pk}/acknowledge")

    assert assignees(incident) == ["ana"]
    assert [kind for kind, _, _ in entries(incident)] == ["created", "acknowledged"]


def test_a_repeated_acknowledge_by_someone_else_assigns_nobody(ana, ben):
    incident = open_incident()
    services.incident_acknowledge(incident=incident, by=ana)

    services.incident_acknowledge(incident=incident, by=ben)  # a no-op: already acknowledged

    assert assignees(incident) == ["ana"]
    assert incident.timeline.filter(kind="assigned").count() == 1


@pytest.mark.parametrize("by", [None, Actor.integration("alertmanager")])
def test_the_system_or_an_integration_acknowledging_assigns_nobody(by):
    incident = open_incident()

    services.incident_acknowledge(incident=incident, by=by)

    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    assert assignees(incident) == []
    assert not incident.timeline.filter(kind="assigned").exists()


def test_the_admin_button_and_the_bulk_action_assign_the_acknowledger(ana):
    one, two = open_incident(), open_incident()
    client = admin_client(ana)

    client.post(f"/admin/incidents/incident/{one.pk}/lifecycle/acknowledge/")
    client.post(
        "/admin/incidents/incident/",
        {"action": "acknowledge_selected", "_selected_action": [two.pk]},
    )

    for incident in (one, two):
        incident.refresh_from_db()
        assert (incident.status, assignees(incident)) == ("acknowledged", ["ana"])
        assert incident.timeline.get(kind="assigned").message == (
            "ana set assignees: ana (by acknowledging)"
        )
    page = client.get(f"/admin/incidents/incident/{one.pk}/change/").content.decode()
    assert "ana set assignees: ana (by acknowledging)" in page


def test_a_respond_link_assigns_its_recipient(ana):
    incident = open_incident()

    respond_link_use(
        token=respond_token(incident_id=incident.pk, action="acknowledge", user_id=ana.pk)
    )

    assert assignees(incident) == ["ana"]


# --- 2. the note box goes with every lifecycle button --------------------------------


def lifecycle(client, incident, action, note):
    return client.post(
        f"/admin/incidents/incident/{incident.pk}/lifecycle/{action}/",
        {"lifecycle_note": note},
        follow=True,
    )


def test_a_note_typed_before_acknowledge_lands_on_the_acknowledge_entry(ana):
    incident = open_incident()

    response = lifecycle(admin_client(ana), incident, "acknowledge", "  looking at the DB  ")

    assert "acknowledged; you are assigned" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    entry = incident.timeline.get(kind="acknowledged")
    assert (entry.message, entry.data["note"]) == (
        "Acknowledged by ana: looking at the DB",
        "looking at the DB",
    )
    assert [kind for kind, _, _ in entries(incident)] == ["created", "acknowledged", "assigned"]


@pytest.mark.parametrize(
    ("action", "status", "kind", "message"),
    [
        ("mitigate", "mitigated", "mitigated", "Mitigated by ana: impact has stopped: rolled back"),
        ("resolve", "resolved", "resolved", "Resolved by ana: rolled back"),
    ],
)
def test_a_note_goes_with_mitigate_and_resolve(ana, action, status, kind, message):
    incident = open_incident()
    services.incident_acknowledge(incident=incident, by=ana)

    lifecycle(admin_client(ana), incident, action, "rolled back")

    incident.refresh_from_db()
    assert incident.status == status
    entry = incident.timeline.get(kind=kind)
    assert (entry.message, entry.data["note"]) == (message, "rolled back")
    assert incident.resolution_note == ("rolled back" if action == "resolve" else "")


def test_a_note_goes_with_reopen_as_its_reason_and_with_close(ana):
    incident = open_incident()
    services.incident_resolve(incident=incident, by=ana)
    client = admin_client(ana)

    lifecycle(client, incident, "reopen", "errors are back")
    incident.refresh_from_db()
    assert incident.status == "triggered"
    reopened = incident.timeline.get(kind="reopened")
    assert (reopened.message, reopened.data["reason"]) == (
        "Reopened by ana: errors are back",
        "errors are back",
    )

    services.incident_resolve(incident=incident, by=ana)
    lifecycle(client, incident, "close", "dup of INC-7")
    incident.refresh_from_db()
    assert incident.status == "closed"
    assert incident.timeline.get(kind="closed").message == "Closed by ana: dup of INC-7"


def test_an_empty_note_changes_nothing_extra(ana):
    incident = open_incident()

    lifecycle(admin_client(ana), incident, "acknowledge", "   ")

    assert entries(incident)[1:] == [
        ("acknowledged", "Acknowledged by ana", {"from": "triggered", "to": "acknowledged"}),
        (
            "assigned",
            "ana set assignees: ana (by acknowledging)",
            {"assignees": ["ana"], "added": "ana", "via": "acknowledge"},
        ),
    ]


def test_the_change_page_says_the_note_goes_with_every_button(ana):
    incident = open_incident()

    page = admin_client(ana).get(f"/admin/incidents/incident/{incident.pk}/change/")

    assert "Note (goes with the button you press)" in page.content.decode()


# --- 3. escalation levels count from 1 wherever a person reads them ------------------


@pytest.fixture
def paging(ana, ben):
    for user in (ana, ben):
        oncall_services.contact_method_create(
            user=user, kind="email", address=f"{user.username}@example.com"
        )
    policy = policy_save(
        name="checkout",
        team=TeamFactory(),
        steps=[
            {"delay": timedelta(minutes=5), "users": [ana]},
            {"delay": timedelta(minutes=5), "users": [ben]},
        ],
    )
    service = ServiceFactory()
    services.escalation_rule_set(service=service, policy=policy)
    with time_machine.travel(T0, tick=False):
        incident = open_incident(service, title="Checkout down")
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        escalations_advance_due()
    return incident


def test_the_first_level_is_level_1_on_the_timeline_the_admin_and_the_page(paging, smtp_server):
    incident = paging
    first = Notification.objects.get(incident=incident, user__username="ana")
    second = Notification.objects.get(incident=incident, user__username="ben")
    assert (first.level, second.level) == (0, 1)  # stored: the step's index

    assert [e.message for e in incident.timeline.filter(kind="escalation").order_by("id")] == [
        "Escalation level 1: paging ana",
        "Escalation level 2: paging ben",
    ]
    assert str(first) == f"{incident} level 1 to ana (pending)"

    boss = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    listing = admin_client(boss).get("/admin/incidents/notification/").content.decode()
    levels = re.findall(r'<td class="field-escalation_level">([^<]*)</td>', listing)
    assert sorted(levels) == ["level 1", "level 2"]
    detail = admin_client(boss).get(f"/admin/incidents/notification/{first.pk}/change/")
    assert "level 1" in detail.content.decode()

    notification_send(notification_id=first.pk)
    [mail] = smtp_server.messages
    assert "You are paged at escalation level 1." in mail.content.decode()


def test_a_webhook_page_numbers_its_level_from_1(paging, webhook_receiver):
    second = Notification.objects.get(incident=paging, user__username="ben")
    ContactMethod.objects.filter(pk=second.contact_method_id).update(
        kind="webhook", address=webhook_receiver.url
    )

    notification_send(notification_id=second.pk)

    [delivery] = webhook_receiver.received
    assert delivery["json"]["notification"] == {"id": second.pk, "level": 2, "repeat": 0}
    assert "Escalation level 2: " in delivery["json"]["text"]


def test_the_api_takes_a_note_with_acknowledge_mitigate_and_close():
    responder = UserFactory(roles=["Responder"])
    client = APIClient()
    client.force_authenticate(responder)
    incident = open_incident()
    base = f"/api/incidents/{incident.pk}"

    for action, note in (("acknowledge", "on it"), ("mitigate", "rolled back")):
        answer = client.post(f"{base}/{action}", {"note": note}, format="json")
        assert answer.status_code == 200, answer.content
    client.post(f"{base}/resolve", {"note": "fixed"}, format="json")
    assert client.post(f"{base}/close", {"note": "reviewed"}, format="json").status_code == 200

    messages = [entry.message for entry in incident.timeline.order_by("pk")]
    for note in ("on it", "rolled back", "reviewed"):
        assert any(note in message for message in messages), (note, messages)
    assert responder in incident.assignees.all()
