"""Managing integrations: the API, the command line and the admin."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from core.tokens import token_digest as secret_digest
from incidents.models import Alert, Integration
from tests.factories import ServiceFactory, UserFactory, make_integration
from tests.incidents.ingest.conftest import captured

pytestmark = pytest.mark.django_db


def api(role):
    client = APIClient()
    client.force_authenticate(UserFactory(roles=[role]))
    return client


def deliver(secret):
    return Client().post(
        "/api/integrations/alertmanager/",
        json.dumps(captured("01-two-firing.json")),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def test_a_manager_creates_an_integration_and_sees_the_secret_once():
    manager, service = api("Manager"), ServiceFactory()

    created = manager.post(
        "/api/integrations",
        {"service": service.pk, "kind": "alertmanager", "name": "prod"},
        format="json",
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    secret = body["secret"]
    assert Integration.objects.get().secret_digest == secret_digest(secret)
    assert body["endpoint_url"].endswith("/api/integrations/alertmanager/")
    assert "secret" not in manager.get(f"/api/integrations/{body['id']}").json()
    assert deliver(secret).status_code == 200


def test_rotating_the_secret_retires_the_old_one():
    integration, old = make_integration("alertmanager")
    manager = api("Manager")

    rotated = manager.post(f"/api/integrations/{integration.pk}/rotate-secret")

    assert rotated.status_code == 200
    assert deliver(old).status_code == 401
    assert deliver(rotated.json()["secret"]).status_code == 200


def test_disabling_an_integration_through_the_api():
    integration, secret = make_integration("alertmanager")

    api("Manager").patch(f"/api/integrations/{integration.pk}", {"enabled": False}, format="json")

    assert deliver(secret).status_code == 401


def test_a_bad_severity_mapping_is_400():
    response = api("Manager").post(
        "/api/integrations",
        {
            "service": ServiceFactory().pk,
            "kind": "webhook",
            "name": "x",
            "severity_mapping": {"values": {"critical": "SEV9"}},
        },
        format="json",
    )

    assert response.status_code == 400
    assert "SEV9" in str(response.json()["error"]["fields"]["severity_mapping"])


def test_responders_and_viewers_cannot_create_integrations_but_can_read_alerts():
    integration, secret = make_integration("alertmanager")
    deliver(secret)

    for role in ("Viewer", "Responder"):
        client = api(role)
        assert (
            client.post(
                "/api/integrations",
                {"service": integration.service_id, "kind": "webhook", "name": role},
            ).status_code
            == 403
        )
        alerts = client.get(f"/api/alerts?integration={integration.pk}").json()
        assert alerts["count"] == 2


def test_the_alert_list_costs_constant_queries(django_assert_num_queries):
    _, secret = make_integration("alertmanager")
    client = api("Viewer")
    deliver(secret)
    client.get("/api/alerts")
    with django_assert_num_queries(2):
        client.get("/api/alerts")
    for _ in range(20):
        deliver(secret)
    with django_assert_num_queries(2):
        assert client.get("/api/alerts").json()["count"] == 42


def test_create_integration_command_prints_the_secret_and_config():
    service = ServiceFactory(slug="checkout")
    out, err = StringIO(), StringIO()

    call_command(
        "create_integration",
        "--service",
        "checkout",
        "--kind",
        "alertmanager",
        stdout=out,
        stderr=err,
    )

    secret = out.getvalue().strip()
    integration = Integration.objects.get(service=service)
    assert integration.secret_digest == secret_digest(secret)
    assert f'credentials: "{secret}"' in err.getvalue()
    with pytest.raises(CommandError, match="already has"):
        call_command(
            "create_integration",
            "--service",
            "checkout",
            "--kind",
            "alertmanager",
            stdout=StringIO(),
            stderr=StringIO(),
        )
    with pytest.raises(CommandError, match="No service"):
        call_command("create_integration", "--service", "nope", "--kind", "webhook")


def test_the_admin_creates_an_integration_showing_secret_and_config_to_copy():
    admin = get_user_model().objects.create_superuser("root", "r@example.com", "pw")
    client = Client()
    client.force_login(admin)
    service = ServiceFactory()

    response = client.post(
        "/admin/incidents/integration/add/",
        {
            "service": service.pk,
            "kind": "alertmanager",
            "name": "prod",
            "enabled": "on",
            "auto_resolve": "on",
            "severity_mapping-label": "severity",
            "severity_mapping-default": "SEV2",
            "hmac_secret": "",
            "hmac_timestamp_header": "",
            "alerts-TOTAL_FORMS": 0,
            "alerts-INITIAL_FORMS": 0,
        },
        follow=True,
    )

    integration = Integration.objects.get()
    html = response.content.decode()
    secret = html.split("<code>")[1].split("</code>")[0]
    assert integration.secret_digest == secret_digest(secret)
    assert "webhook_configs" in html
    deliver(secret)
    page = client.get(f"/admin/incidents/integration/{integration.pk}/change/").content.decode()
    assert "/api/integrations/alertmanager/" in page
    assert "5xx ratio above 5% on checkout" in page  # recent alerts
    assert secret not in page
    assert Alert.objects.count() == 2
