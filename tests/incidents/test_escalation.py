import hashlib
import hmac
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest
import time_machine
from django.db import connections
from django.test import Client
from rest_framework.test import APIClient

from core.outbox import outbox_kind
from incidents import services
from incidents.models import EscalationPolicy, Notification
from incidents.services.escalation import escalations_advance_due, policy_save
from incidents.services.notifications import SendFailed, notification_send, respond_token
from oncall import services as oncall_services
from oncall.models import ContactMethod
from tests.factories import ServiceFactory, TeamFactory, UserFactory, open_incident

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
def schedule(people):
    return oncall_services.schedule_create(
        name="primary",
        team=TeamFactory(),
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
def service(people, schedule):
    policy = policy_save(
        name="checkout",
        team=schedule.team,
        repeat=1,
        steps=[
            {"delay": timedelta(minutes=5), "users": [people[0]]},
            {"delay": timedelta(minutes=10), "schedules": [schedule]},
        ],
    )
    service = ServiceFactory()
    services.escalation_rule_set(service=service, policy=policy)
    return service


def paged(incident):
    return sorted(
        (n.round, n.repeat, n.level, n.user.username)
        for n in Notification.objects.filter(incident=incident).select_related("user")
    )


pytestmark = pytest.mark.django_db


def test_triggering_pages_the_first_step_and_snapshots_the_policy(service, people):
    with time_machine.travel(T0, tick=False):
        incident = open_incident(service)

    incident.refresh_from_db()
    assert paged(incident) == [(0, 0, 0, "ana")]
    assert incident.escalation["name"] == "checkout"
    assert incident.escalation_next_at == T0 + timedelta(minutes=5)
    assert incident.timeline.filter(kind="escalation").get().message == (
        "Escalation level 1: paging ana"
    )

    # Editing the policy does not change the running escalation.
    policy_save(
        policy=EscalationPolicy.objects.get(name="checkout"),
        steps=[{"delay": timedelta(minutes=1), "users": [people[2]]}],
    )
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        escalations_advance_due()
    assert paged(incident)[-1] == (0, 0, 1, "ben")  # the schedule's on-call, per the snapshot


def test_levels_advance_repeat_and_finish(service):
    with time_machine.travel(T0, tick=False):
        incident = open_incident(service)
    for minutes in (6, 16, 22, 40, 60):
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            escalations_advance_due()

    assert paged(incident) == [
        (0, 0, 0, "ana"),
        (0, 0, 1, "ben"),
        (0, 1, 0, "ana"),
        (0, 1, 1, "ben"),
    ]
    incident.refresh_from_db()
    assert incident.escalation_next_at is None
    assert incident.timeline.filter(message__startswith="Escalation finished").exists()


def test_acknowledging_stops_it_and_reopening_starts_a_new_round(service, people):
    with time_machine.travel(T0, tick=False):
        incident = open_incident(service)
        services.incident_acknowledge(incident=incident, by=people[0])
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        assert escalations_advance_due() == 0
        services.incident_resolve(incident=incident, by=people[0])
        services.incident_reopen(incident=incident, by=people[0])

    assert paged(incident) == [(0, 0, 0, "ana"), (1, 0, 0, "ana")]


def test_a_severity_rule_picks_another_policy(service, people, schedule):
    other = policy_save(
        name="sev1",
        team=schedule.team,
        steps=[{"delay": timedelta(minutes=1), "users": [people[2]]}],
    )
    services.escalation_rule_set(service=service, severity="SEV1", policy=other)

    assert paged(open_incident(service, severity="SEV1")) == [(0, 0, 0, "cy")]
    assert paged(open_incident(service, severity="SEV3")) == [(0, 0, 0, "ana")]


def test_escalate_now_through_the_api(service, people):
    incident = open_incident(service)
    client = APIClient()
    client.force_authenticate(people[2])

    response = client.post(f"/api/incidents/{incident.pk}/escalate")

    assert response.status_code == 200
    assert paged(incident) == [(0, 0, 0, "ana"), (0, 0, 1, "ben")]


def test_oncall_overview_lists_schedules_and_policy_levels(service, people):
    client = APIClient()
    client.force_authenticate(people[0])

    body = client.get("/api/incidents/oncall").json()

    assert [(s["name"], s["user"]["username"]) for s in body["schedules"]] == [("primary", "ben")]
    [policy] = body["escalation_policies"]
    assert [[u["username"] for u in level["users"]] for level in policy["levels"]] == [
        ["ana"],
        ["ben"],
    ]


@pytest.mark.django_db(transaction=True)
def test_two_workers_ticking_at_once_never_page_anyone_twice(service):
    with time_machine.travel(T0, tick=False):
        incidents = [open_incident(service, title=f"i{n}") for n in range(20)]
    barrier = Barrier(2)

    def tick(_):
        barrier.wait()
        try:
            with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
                return escalations_advance_due(limit=100)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        advanced = list(pool.map(tick, range(2)))

    assert sum(advanced) == 20
    assert Notification.objects.filter(level=1).count() == 20
    for incident in incidents:
        assert paged(incident) == [(0, 0, 0, "ana"), (0, 0, 1, "ben")]


# --- sending --------------------------------------------------------------------


def test_an_email_page_arrives_and_its_link_acknowledges_as_the_recipient(
    service, smtp_server, people
):
    incident = open_incident(service, title="Checkout down")
    notification = Notification.objects.get(incident=incident)

    assert notification_send(notification_id=notification.pk) == "sent"
    assert notification_send(notification_id=notification.pk) == "skipped"  # idempotent

    [mail] = smtp_server.messages
    text = mail.content.decode()
    assert mail.rcpt_tos == ["ana@example.com"]
    assert f"{incident.reference}: Checkout down" in text
    ack = next(line for line in text.splitlines() if line.startswith("Acknowledge: "))
    path = ack.split("Acknowledge: ", 1)[1].replace("http://localhost:8000", "")
    page = Client().get(path)  # opening the link only asks to confirm
    assert page.status_code == 200
    incident.refresh_from_db()
    assert incident.status == "triggered"
    confirm = re.search(r'name="confirm" value="([^"]+)"', page.content.decode()).group(1)
    assert Client().post(path, {"confirm": confirm}).status_code == 200
    incident.refresh_from_db()
    assert (incident.status, incident.acknowledged_by) == ("acknowledged", people[0])
    assert incident.timeline.filter(kind="notification", message__startswith="Paged ana").exists()


def test_an_smtp_outage_is_retried_then_one_email_is_sent(
    service, smtp_port, settings, people, request
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp_port, 2
    incident = open_incident(service)
    notification = Notification.objects.get(incident=incident)

    with pytest.raises(SendFailed):
        notification_send(notification_id=notification.pk)  # nothing listens yet
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)

    mailbox = request.getfixturevalue("smtp_server")  # the server comes up
    assert notification_send(notification_id=notification.pk) == "sent"
    assert notification_send(notification_id=notification.pk) == "skipped"
    assert len(mailbox.messages) == 1
    attempts = incident.timeline.filter(kind="notification").order_by("id")
    assert [e.data["ok"] for e in attempts] == [False, True]


def test_a_webhook_page_is_signed(service, webhook_receiver, people):
    ContactMethod.objects.filter(user=people[0]).update(
        kind="webhook", address=webhook_receiver.url
    )
    method = ContactMethod.objects.get(user=people[0])
    incident = open_incident(service)

    notification_send(notification_id=Notification.objects.get(incident=incident).pk)

    [delivery] = webhook_receiver.received
    timestamp = delivery["headers"]["X-Vigil-Timestamp"]
    expected = hmac.new(
        method.secret.encode(), f"{timestamp}.".encode() + delivery["body"], hashlib.sha256
    ).hexdigest()
    assert delivery["headers"]["X-Vigil-Signature"] == f"sha256={expected}"
    assert delivery["json"]["incident"]["reference"] == incident.reference
    assert incident.reference in delivery["json"]["text"]


def test_a_failing_webhook_stays_pending_for_a_retry(service, webhook_receiver, people):
    ContactMethod.objects.filter(user=people[0]).update(
        kind="webhook", address=webhook_receiver.url
    )
    webhook_receiver.status = 503
    incident = open_incident(service)
    notification = Notification.objects.get(incident=incident)

    with pytest.raises(SendFailed, match="HTTP 503"):
        notification_send(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.status == "pending"


def test_the_sweeper_finds_pages_left_pending(service):
    from incidents.services.notifications import notifications_pending_since

    with time_machine.travel(T0, tick=False):
        incident = open_incident(service)
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        stale = notifications_pending_since(older_than=timedelta(minutes=2))

    assert stale == list(
        Notification.objects.filter(incident=incident).values_list("pk", flat=True)
    )


def test_respond_links_expire_and_cannot_be_forged(service, people):
    incident = open_incident(service)
    token = respond_token(incident_id=incident.pk, action="resolve", user_id=people[0].pk)

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=25)):
        assert Client().get(f"/respond/{token}").status_code == 410
    assert Client().get(f"/respond/{token[:-2]}xx").status_code == 404
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_the_send_task_gives_up_after_its_last_attempt(service, smtp_port, settings):
    from incidents.tasks import notification_send as task

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp_port, 2
    incident = open_incident(service)
    notification = Notification.objects.get(incident=incident)
    last = outbox_kind(Notification).max_attempts
    Notification.objects.filter(pk=notification.pk).update(attempts=last - 1)

    task.apply(args=[notification.pk])

    notification.refresh_from_db()
    assert notification.status == "failed"
    assert incident.timeline.filter(message__startswith="Gave up paging ana").exists()


def test_a_tick_costs_the_same_queries_for_1_and_20_due_incidents(
    service, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(T0, tick=False):
        open_incident(service, title="one")
    with (
        time_machine.travel(T0 + timedelta(minutes=6), tick=False),
        CaptureQueriesContext(connection) as one,
    ):
        assert escalations_advance_due() == 1

    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        for n in range(20):
            open_incident(service, title=f"many {n}")
    with (
        time_machine.travel(T0 + timedelta(hours=1, minutes=6), tick=False),
        django_assert_num_queries(len(one.captured_queries)),
    ):
        assert escalations_advance_due() == 21  # the 20, and the first one's next level


def test_contact_methods_through_the_api(people, webhook_receiver):
    mine = APIClient()
    mine.force_authenticate(people[0])

    created = mine.post(
        "/api/contact-methods", {"kind": "webhook", "address": webhook_receiver.url}
    )
    bad = mine.post("/api/contact-methods", {"kind": "email", "address": "not-an-address"})
    listed = mine.get("/api/contact-methods").json()

    assert created.status_code == 201
    assert created.json()["secret"]
    assert bad.status_code == 400
    assert {m["kind"] for m in listed["results"]} == {"email", "webhook"}  # only ana's own
    assert mine.delete(f"/api/contact-methods/{created.json()['id']}").status_code == 204


def test_policies_through_the_api(people, schedule):
    manager = APIClient()
    manager.force_authenticate(UserFactory(roles=["Manager"]))

    created = manager.post(
        "/api/escalation-policies",
        {
            "name": "web",
            "team": schedule.team_id,
            "repeat": 2,
            "steps": [
                {"delay": "00:05:00", "schedules": [schedule.pk]},
                {"delay": "00:15:00", "users": [people[0].pk]},
            ],
        },
        format="json",
    )
    empty_step = manager.post(
        "/api/escalation-policies",
        {"name": "bad", "team": schedule.team_id, "steps": [{"delay": "00:05:00"}]},
        format="json",
    )

    assert created.status_code == 201, created.json()
    assert created.json()["steps"] == [
        {"delay": "00:05:00", "users": [], "schedules": [schedule.pk]},
        {"delay": "00:15:00", "users": [people[0].pk], "schedules": []},
    ]
    assert empty_step.status_code == 400


def test_the_send_task_retries_while_smtp_is_down_then_gives_up(service, smtp_port, settings):
    # Run eagerly, Celery performs each retry at once (no countdown): every attempt fails.
    from incidents.tasks import notification_send as task

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp_port, 2
    incident = open_incident(service)
    notification = Notification.objects.get(incident=incident)

    task.apply(args=[notification.pk])

    notification.refresh_from_db()
    last = outbox_kind(Notification).max_attempts
    assert (notification.status, notification.attempts) == ("failed", last)
    failures = incident.timeline.filter(kind="notification", data__ok=False)
    assert failures.count() == last + 1  # each attempt, then giving up
