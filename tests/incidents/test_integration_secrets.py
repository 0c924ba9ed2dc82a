"""A Grafana integration's HMAC secret is write-only: the API never returns it, and the
admin never displays it (a password box left empty keeps it; a checkbox removes it)."""

import pytest
from rest_framework.test import APIClient

from incidents.models import Integration
from tests.admin_forms import admin_post
from tests.factories import ServiceFactory, UserFactory, make_integration

pytestmark = pytest.mark.django_db

HMAC = "grafana-hmac-0123456789-secret"


@pytest.fixture
def grafana():
    integration, _ = make_integration("grafana", hmac_secret=HMAC)
    return integration


def mapping_fields(mapping) -> dict:
    """The severity mapping as the admin's table posts it."""
    fields = {
        "severity_mapping-label": mapping["label"],
        "severity_mapping-default": mapping["default"],
    }
    for index, (value, severity) in enumerate(mapping["values"].items()):
        fields[f"severity_mapping-{index}-value"] = value
        fields[f"severity_mapping-{index}-severity"] = severity
    return fields


def change_form(integration, **overrides) -> dict:
    data = {
        "name": integration.name,
        "enabled": "on",
        "auto_resolve": "on",
        **mapping_fields(integration.severity_mapping),
        "hmac_secret": "",
        "hmac_timestamp_header": "",
    }
    data.update(overrides)
    return data


def change_url(integration):
    return f"/admin/incidents/integration/{integration.pk}/change/"


def test_the_api_never_returns_the_hmac_secret(grafana):
    for role in ("Viewer", "Manager"):
        client = APIClient()
        client.force_authenticate(UserFactory(roles=[role]))
        detail = client.get(f"/api/integrations/{grafana.pk}")
        listed = client.get("/api/integrations")
        assert detail.status_code == 200
        assert "hmac_secret" not in detail.json()
        assert HMAC not in detail.content.decode() + listed.content.decode()


def test_the_api_sets_it_write_only():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Manager"]))

    created = client.post(
        "/api/integrations",
        {"service": ServiceFactory().pk, "kind": "grafana", "name": "g", "hmac_secret": HMAC},
        format="json",
    )

    assert created.status_code == 201, created.json()
    assert HMAC not in created.content.decode()
    assert Integration.objects.get().hmac_secret == HMAC


def test_the_admin_never_displays_the_hmac_secret(admin_client, grafana):
    for path in ("/admin/incidents/integration/", change_url(grafana)):
        html = admin_client.get(path).content.decode()
        assert HMAC not in html, path
    html = admin_client.get(change_url(grafana)).content.decode()
    assert 'type="password"' in html
    assert "One is set (not shown)" in html


def test_a_viewer_in_the_admin_does_not_see_it_either(client, grafana):
    client.force_login(UserFactory(roles=["Viewer"]))

    response = client.get(change_url(grafana))

    assert response.status_code == 200
    assert HMAC not in response.content.decode()


def test_an_empty_box_keeps_the_hmac_secret(admin_client, grafana):
    response = admin_post(admin_client, change_url(grafana), change_form(grafana, name="renamed"))

    assert response.status_code == 302
    grafana.refresh_from_db()
    assert (grafana.name, grafana.hmac_secret) == ("renamed", HMAC)


def test_a_new_value_replaces_it_and_the_checkbox_removes_it(admin_client, grafana):
    admin_post(admin_client, change_url(grafana), change_form(grafana, hmac_secret="new-one"))
    grafana.refresh_from_db()
    assert grafana.hmac_secret == "new-one"

    response = admin_post(
        admin_client, change_url(grafana), change_form(grafana, clear_hmac_secret="on")
    )

    assert response.status_code == 302
    grafana.refresh_from_db()
    assert grafana.hmac_secret == ""


def test_the_admin_sets_it_when_adding_an_integration(admin_client):
    response = admin_post(
        admin_client,
        "/admin/incidents/integration/add/",
        {
            "service": str(ServiceFactory().pk),
            "kind": "grafana",
            "name": "g",
            "enabled": "on",
            "auto_resolve": "on",
            **mapping_fields(
                {"label": "severity", "values": {"critical": "SEV1"}, "default": "SEV3"}
            ),
            "hmac_secret": HMAC,
            "hmac_timestamp_header": "",
        },
    )

    assert response.status_code == 302
    assert Integration.objects.get().hmac_secret == HMAC
