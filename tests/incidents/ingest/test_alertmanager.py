import json

import pytest
from django.test import Client

from incidents.models import Alert, Incident, Integration, TimelineEntry
from tests.factories import make_integration
from tests.incidents.ingest.conftest import many_alerts

pytestmark = pytest.mark.django_db

URL = "/api/integrations/alertmanager/"


@pytest.fixture
def integration():
    return make_integration("alertmanager", name="prod alertmanager")


def post(payload, secret, client=None, **headers):
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return (client or Client()).post(
        URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}", **headers
    )


def test_one_group_opens_one_incident_and_resolves_it_when_every_alert_resolves(
    integration, alertmanager_payloads
):
    integration, secret = integration
    first, second, third = alertmanager_payloads

    opened = post(first, secret)
    incident = Incident.objects.get()
    assert opened.status_code == 200
    assert opened.json()["incidents"] == [
        {
            "id": incident.pk,
            "reference": incident.reference,
            "status": "triggered",
            "decision": "opened",
        }
    ]
    assert (incident.source, incident.severity, incident.title) == (
        "alert",
        "SEV1",
        "5xx ratio above 5% on checkout",
    )
    assert incident.dedup_key == first["groupKey"]

    assert post(second, secret).json()["incidents"][0]["decision"] == "joined"
    incident.refresh_from_db()
    assert incident.status == "triggered"  # web-2 still fires

    assert post(third, secret).status_code == 200
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.resolved_by is None
    assert Incident.objects.count() == 1
    assert Alert.objects.filter(incident=incident).count() == 5
    kinds = list(incident.timeline.values_list("kind", "actor_name"))
    assert kinds == [
        ("created", "integration: prod alertmanager"),
        ("alert", "integration: prod alertmanager"),
        ("alert", "integration: prod alertmanager"),
        ("alert", "integration: prod alertmanager"),
        ("resolved", "integration: prod alertmanager"),
        # A critical alert makes a SEV1: resolving it opens its post-incident review.
        ("review", "integration: prod alertmanager"),
    ]
    assert incident.review.status == "draft"
    assert incident.review.facilitator is None  # no commander, and an integration resolved it
    alert_entries = incident.timeline.filter(kind="alert").order_by("id")
    assert [e.data["decision"] for e in alert_entries] == ["opened", "joined", "joined"]
    assert [(e.data["firing"], e.data["resolved"]) for e in alert_entries] == [
        (2, 0),
        (1, 1),
        (0, 1),
    ]


def test_alerts_keep_what_the_sender_said(integration, alertmanager_payloads):
    integration, secret = integration

    post(alertmanager_payloads[0], secret)

    alert = Alert.objects.get(fingerprint="b1c11497b32ce15e")
    assert alert.integration == integration
    assert alert.status == "firing"
    assert alert.severity == "SEV1"
    assert alert.labels["instance"] == "web-1"
    assert alert.annotations["runbook_url"] == "https://runbooks.example/high-error-rate"
    assert alert.ends_at is None
    assert alert.starts_at.isoformat().startswith("2026-11-27T02:06:32.087334")
    assert alert.source_url == "http://prometheus.example/graph?g0.expr=foo"
    assert alert.raw["fingerprint"] == "b1c11497b32ce15e"
    assert alert.group_key == alertmanager_payloads[0]["groupKey"]
    integration.refresh_from_db()
    assert integration.last_received_at is not None


def test_the_incident_shows_runbook_and_annotations(
    integration, alertmanager_payloads, viewer_client
):
    _, secret = integration
    post(alertmanager_payloads[0], secret)
    incident = Incident.objects.get()

    body = viewer_client.get(f"/api/incidents/{incident.pk}").json()

    assert "https://runbooks.example/high-error-rate" in body["runbook_urls"]
    assert body["annotations"]["summary"] == "5xx ratio above 5% on checkout"
    assert len(body["recent_alerts"]) == 2
    alerts = viewer_client.get(f"/api/incidents/{incident.pk}/alerts").json()
    assert alerts["count"] == 2


def test_a_new_firing_alert_after_resolution_opens_a_new_incident(
    integration, alertmanager_payloads
):
    _, secret = integration
    first, _, resolved = alertmanager_payloads
    post(first, secret)
    post(resolved, secret)

    post(first, secret)

    assert Incident.objects.count() == 2
    assert list(Incident.objects.order_by("id").values_list("status", flat=True)) == [
        "resolved",
        "triggered",
    ]


def test_without_auto_resolve_the_incident_stays_open(alertmanager_payloads):
    _, secret = make_integration("alertmanager", auto_resolve=False)
    first, _, resolved = alertmanager_payloads
    post(first, secret)

    post(resolved, secret)

    assert Incident.objects.get().status == "triggered"


def test_a_worse_alert_raises_the_severity_but_a_milder_one_never_lowers_it(integration):
    _, secret = integration
    warning = many_alerts(1)
    warning["alerts"][0]["labels"]["severity"] = "warning"
    critical = many_alerts(1)
    critical["alerts"][0]["labels"]["severity"] = "critical"

    post(warning, secret)
    assert Incident.objects.get().severity == "SEV3"
    post(critical, secret)
    assert Incident.objects.get().severity == "SEV1"
    post(warning, secret)
    assert Incident.objects.get().severity == "SEV1"


def test_an_acknowledged_incident_keeps_collecting_alerts(integration, alertmanager_payloads):
    from incidents.services import incident_acknowledge

    _, secret = integration
    post(alertmanager_payloads[0], secret)
    incident_acknowledge(incident=Incident.objects.get(), by=None)

    post(alertmanager_payloads[1], secret)

    incident = Incident.objects.get()
    assert incident.status == "acknowledged"
    assert incident.alerts.count() == 4


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer nope", "authentication_failed"),
        ("", "authentication_failed"),
        ("Basic dXNlcjpwYXNz", "authentication_failed"),
    ],
)
def test_a_bad_secret_is_401_and_writes_nothing(alertmanager_payloads, header, code):
    make_integration("alertmanager")

    response = Client().post(
        URL,
        json.dumps(alertmanager_payloads[0]),
        content_type="application/json",
        HTTP_AUTHORIZATION=header,
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert not Alert.objects.exists()


def test_a_disabled_integration_is_401(integration, alertmanager_payloads):
    integration, secret = integration
    Integration.objects.filter(pk=integration.pk).update(enabled=False)

    response = post(alertmanager_payloads[0], secret)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "integration_disabled"
    assert not Incident.objects.exists()


def test_another_kinds_secret_is_refused(alertmanager_payloads):
    _, grafana_secret = make_integration("grafana")

    assert post(alertmanager_payloads[0], grafana_secret).status_code == 401


def test_malformed_json_is_400_and_writes_nothing(integration):
    _, secret = integration

    response = post(b'{"alerts": [', secret)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert not Alert.objects.exists()


def test_missing_fields_are_400_naming_each_and_nothing_is_half_written(
    integration, alertmanager_payloads
):
    _, secret = integration
    payload = alertmanager_payloads[0]
    del payload["groupKey"]
    payload["alerts"][1]["status"] = "exploded"

    response = post(payload, secret)

    assert response.status_code == 400
    errors = response.json()["error"]["fields"]["errors"]
    assert "groupKey: required, a non-empty string" in errors
    assert "alerts[1].status: required, one of firing, resolved" in errors
    assert not Alert.objects.exists()
    assert not TimelineEntry.objects.exists()


def test_a_body_over_512_kb_is_413(integration):
    _, secret = integration
    payload = many_alerts(1)
    payload["alerts"][0]["annotations"]["description"] = "x" * (512 * 1024)

    response = post(payload, secret)

    assert response.status_code == 413
    assert not Alert.objects.exists()


def test_unknown_fields_are_ignored(integration, alertmanager_payloads):
    _, secret = integration
    payload = {**alertmanager_payloads[0], "notification_reason": "new", "routeLabels": {"a": "b"}}
    payload["alerts"][0]["someday"] = {"nested": True}

    assert post(payload, secret).status_code == 200


def test_both_path_forms_work(integration, alertmanager_payloads):
    _, secret = integration
    response = Client().post(
        URL.rstrip("/"),
        json.dumps(alertmanager_payloads[0]),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )

    assert response.status_code == 200


def test_the_queries_do_not_grow_with_the_number_of_alerts(integration, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, secret = integration
    client = Client()
    post(many_alerts(1, group_key="a"), secret, client)  # opens: later calls join
    post(many_alerts(1, group_key="b"), secret, client)
    with CaptureQueriesContext(connection) as one:
        post(many_alerts(1, group_key="a"), secret, client)
    # One statement inserts a group's alerts, however many.
    with django_assert_num_queries(len(one.captured_queries)):
        response = post(many_alerts(100, group_key="b"), secret, client)

    assert response.json()["alerts"] == 100
    assert Alert.objects.count() == 103
