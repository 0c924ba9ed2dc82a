"""The PagerDuty Events API v2 endpoint, spoken to as PagerDuty's clients speak."""

import json

import pytest
from django.test import Client

from incidents.models import Alert, ChangeEvent, Incident
from tests.factories import make_integration

pytestmark = pytest.mark.django_db


def enqueue(body, path="/v2/enqueue", **headers):
    return Client().post(path, json.dumps(body), content_type="application/json", **headers)


def trigger(key, **extra):
    return {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {
            "summary": "Disk full on db-1",
            "source": "db-1",
            "severity": "critical",
            "component": "postgres",
            "custom_details": {"free": "0%"},
        },
        "client": "Nagios",
        "client_url": "https://nagios.example/db-1",
        **extra,
    }


def test_trigger_answers_as_pagerduty_with_a_generated_dedup_key():
    _, key = make_integration("pagerduty")

    response = enqueue(trigger(key))

    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"status", "message", "dedup_key"}
    assert (body["status"], body["message"]) == ("success", "Event processed")
    incident = Incident.objects.get()
    assert incident.dedup_key == body["dedup_key"]
    assert (incident.title, incident.severity) == ("Disk full on db-1", "SEV1")
    assert incident.summary == "free: 0%"
    assert Alert.objects.get().source_url == "https://nagios.example/db-1"


def test_acknowledge_then_resolve_by_dedup_key_and_a_later_trigger_opens_anew():
    _, key = make_integration("pagerduty")
    enqueue(trigger(key, dedup_key="db-1-disk"))

    assert (
        enqueue(
            {"routing_key": key, "event_action": "acknowledge", "dedup_key": "db-1-disk"}
        ).status_code
        == 202
    )
    incident = Incident.objects.get()
    assert incident.status == "acknowledged"
    assert incident.timeline.get(kind="acknowledged").actor_name == "integration: pagerduty"

    enqueue({"routing_key": key, "event_action": "resolve", "dedup_key": "db-1-disk"})
    incident.refresh_from_db()
    assert incident.status == "resolved"

    enqueue(trigger(key, dedup_key="db-1-disk"))
    assert Incident.objects.count() == 2


def test_a_repeated_trigger_joins_the_open_incident():
    _, key = make_integration("pagerduty")

    enqueue(trigger(key, dedup_key="k"))
    enqueue(trigger(key, dedup_key="k"))

    assert Incident.objects.count() == 1
    assert Alert.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            {"event_action": "explode"},
            "'event_action' is missing or invalid (one of trigger, acknowledge, resolve)",
        ),
        ({"event_action": "resolve"}, "'dedup_key' is required for resolve events"),
        ({"payload": {"source": "x", "severity": "critical"}}, "'payload.summary' is missing"),
        (
            {"payload": {"summary": "x", "source": "x", "severity": "fatal"}},
            "'payload.severity' is missing or invalid (one of critical, error, warning, info)",
        ),
        ({"dedup_key": "k" * 256}, "'dedup_key' is longer than 255 characters"),
    ],
)
def test_an_invalid_event_is_400_in_pagerdutys_shape(change, error):
    _, key = make_integration("pagerduty")

    response = enqueue({**trigger(key), **change})

    assert response.status_code == 400
    body = response.json()
    assert (body["status"], body["message"]) == ("invalid event", "Event object is invalid")
    assert error in body["errors"]
    assert not Alert.objects.exists()


def test_an_unknown_routing_key_is_refused_in_pagerdutys_shape():
    make_integration("pagerduty")

    response = enqueue(trigger("not-a-key"))

    assert response.status_code == 401
    assert response.json()["status"] == "invalid event"
    assert not Incident.objects.exists()


def test_the_routing_key_may_come_in_the_x_routing_key_header():
    _, key = make_integration("pagerduty")
    body = trigger(key)
    del body["routing_key"]

    assert enqueue(body, HTTP_X_ROUTING_KEY=key).status_code == 202


def test_change_events_are_recorded_on_the_service_and_open_no_incident():
    integration, key = make_integration("pagerduty")

    response = enqueue(
        {
            "routing_key": key,
            "payload": {
                "summary": "Deployed checkout v42",
                "source": "argo",
                "timestamp": "2026-11-27T01:00:00Z",
                "custom_details": {"sha": "abc123"},
            },
            "links": [{"href": "https://argo.example/app/checkout", "text": "Argo"}],
        },
        path="/v2/change/enqueue",
    )

    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Change event processed"}
    change = ChangeEvent.objects.get()
    assert (change.service, change.summary, change.source) == (
        integration.service,
        "Deployed checkout v42",
        "argo",
    )
    assert change.custom_details == {"sha": "abc123"}
    assert change.happened_at.isoformat() == "2026-11-27T01:00:00+00:00"
    assert not Incident.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_pdpyras_events_client_talks_to_this_server(live_server):
    import pdpyras

    _, key = make_integration("pagerduty")
    session = pdpyras.EventsAPISession(key)
    session.url = live_server.url

    dedup_key = session.trigger("Queue backlog above 10k", "worker-3", severity="warning")
    session.acknowledge(dedup_key)
    session.resolve(dedup_key)

    incident = Incident.objects.get(dedup_key=dedup_key)
    assert incident.severity == "SEV3"
    assert incident.status == "resolved"
    assert list(incident.timeline.values_list("kind", flat=True)) == [
        "created",
        "alert",
        "alert",
        "acknowledged",
        "alert",
        "resolved",
    ]
