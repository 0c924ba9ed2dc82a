import json

import pytest
from django.test import Client

from incidents.models import Alert, Incident
from tests.factories import make_integration

pytestmark = pytest.mark.django_db

URL = "/api/integrations/webhook/"


def post(payload, secret):
    return Client().post(
        URL,
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def test_an_event_opens_and_its_resolution_resolves():
    _, secret = make_integration("webhook")
    event = {
        "title": "Nightly backup failed",
        "dedup_key": "backup-db-1",
        "severity": "high",
        "summary": "pg_dump exited 1",
        "labels": {"host": "db-1"},
        "annotations": {"runbook_url": "https://runbooks.example/backup"},
        "links": [{"href": "https://ci.example/job/1", "text": "job"}],
    }

    assert post(event, secret).status_code == 200
    incident = Incident.objects.get()
    assert (incident.title, incident.severity, incident.summary) == (
        "Nightly backup failed",
        "SEV2",
        "pg_dump exited 1",
    )
    alert = Alert.objects.get()
    assert alert.source_url == "https://ci.example/job/1"

    post({**event, "status": "resolved"}, secret)

    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_a_batch_groups_by_dedup_key():
    _, secret = make_integration("webhook")

    response = post(
        {
            "alerts": [
                {"title": "a", "dedup_key": "one"},
                {"title": "a again", "dedup_key": "one"},
                {"title": "b", "dedup_key": "two", "severity": "SEV1"},
            ]
        },
        secret,
    )

    assert response.json()["alerts"] == 3
    assert Incident.objects.count() == 2
    assert Incident.objects.get(dedup_key="two").severity == "SEV1"


def test_without_a_dedup_key_the_title_groups_events():
    _, secret = make_integration("webhook")

    post({"title": "Disk full"}, secret)
    post({"title": "Disk full"}, secret)

    assert Incident.objects.count() == 1
    assert Alert.objects.count() == 2


@pytest.mark.parametrize(
    ("event", "error"),
    [
        ({}, "title: required, a non-empty string"),
        ({"title": "x", "status": "resolved"}, "dedup_key: required to resolve"),
        ({"title": "x", "status": "maybe"}, "status: one of firing, resolved"),
        ({"title": "x", "labels": {"a": {"b": 1}}}, "labels.a: expected a string"),
        ({"alerts": []}, "alerts: expected a non-empty list of events"),
    ],
)
def test_invalid_events_are_400_and_write_nothing(event, error):
    _, secret = make_integration("webhook")

    response = post(event, secret)

    assert response.status_code == 400
    assert error in response.json()["error"]["fields"]["errors"]
    assert not Alert.objects.exists()
