import pytest
from prometheus_client.parser import text_string_to_metric_families

from incidents import services
from incidents.models import IncidentSeverity
from tests.factories import ServiceFactory, open_incident

pytestmark = pytest.mark.django_db


def scrape(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_open_incidents_are_counted_by_service_and_severity_from_the_database(client):
    api, web = ServiceFactory(slug="api"), ServiceFactory(slug="web")
    open_incident(api, severity=IncidentSeverity.SEV1)
    open_incident(api, severity=IncidentSeverity.SEV1)
    services.incident_acknowledge(
        incident=open_incident(web, severity=IncidentSeverity.SEV3), by=None
    )
    services.incident_resolve(incident=open_incident(web, severity=IncidentSeverity.SEV2), by=None)

    samples = scrape(client)

    open_samples = {k: v for k, v in samples.items() if k[0] == "incidents_open"}
    assert open_samples == {
        ("incidents_open", (("service", "api"), ("severity", "SEV1"))): 2.0,
        ("incidents_open", (("service", "web"), ("severity", "SEV3"))): 1.0,
    }


def test_state_changes_are_counted(client, django_capture_on_commit_callbacks):
    key = (
        "incident_state_changes_total",
        (("from_status", "triggered"), ("to_status", "resolved")),
    )
    before = scrape(client).get(key, 0)

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_resolve(incident=open_incident(), by=None)

    assert scrape(client)[key] == before + 1


def test_metrics_still_carry_the_request_metrics(client):
    client.get("/healthz")

    names = {name for name, _ in scrape(client)}

    assert "django_http_responses_total_by_status_view_method_total" in names


def test_alerts_received_are_counted_by_kind_and_status(client, django_capture_on_commit_callbacks):
    import json

    from tests.factories import make_integration
    from tests.incidents.ingest.conftest import captured

    _, secret = make_integration("alertmanager")
    key = ("alerts_received_total", (("kind", "alertmanager"), ("status", "resolved")))
    before = scrape(client).get(key, 0)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/api/integrations/alertmanager/",
            json.dumps(captured("02-one-resolved-one-firing.json")),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )

    assert scrape(client)[key] == before + 1
