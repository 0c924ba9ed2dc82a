"""An integration's severity mapping is refused with a clear error when it is not
``{"label": ..., "values": {...: "SEV1".."SEV4"}, "default": "SEV1".."SEV4"}``, through
the API, the admin and the service (the ``create_integration`` command takes no mapping:
it always writes the default one through the same service)."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from incidents import services
from incidents.models import Integration
from incidents.models.integrations import default_severity_mapping
from tests.admin_forms import admin_errors, admin_post
from tests.factories import ServiceFactory, UserFactory, make_integration

pytestmark = pytest.mark.django_db

SHAPE = 'Expected {"label": "severity"'

# (mapping, a fragment of the error)
BAD_MAPPINGS = [
    pytest.param({"values": {"critical": "SEV9"}}, "Not a severity: SEV9", id="unknown-severity"),
    pytest.param({"default": "P1"}, "Not a severity: P1", id="bad-default"),
    pytest.param(["SEV1", "SEV2"], SHAPE, id="list"),
    pytest.param("SEV1", SHAPE, id="string"),
    pytest.param({"values": ["critical"]}, "values: an object", id="values-list"),
    pytest.param({"label": ""}, "label: the name of the label", id="empty-label"),
    pytest.param({"labels": "severity"}, "Unknown key(s): labels", id="unknown-key"),
    pytest.param({"values": {"critical": ["SEV1"]}}, "Not a severity", id="list-severity"),
]
VALID = {"label": "priority", "values": {"P1": "SEV1", "P2": "SEV2"}, "default": "SEV4"}


def stored_integrations():
    return Integration.objects.count()


# --- API --------------------------------------------------------------------------


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Manager"]))
    return client


def post_integration(client, mapping):
    return client.post(
        "/api/integrations",
        {
            "service": ServiceFactory().pk,
            "kind": "alertmanager",
            "name": "prod",
            "severity_mapping": mapping,
        },
        format="json",
    )


def validation_error(response) -> dict:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"]
    return error["fields"]


def test_api_control_a_valid_mapping_is_stored(manager):
    response = post_integration(manager, VALID)

    assert response.status_code == 201, response.json()
    assert response.json()["secret"]
    assert Integration.objects.get().severity_mapping == VALID


@pytest.mark.parametrize(("mapping", "message"), BAD_MAPPINGS)
def test_api_refuses_a_bad_mapping(manager, mapping, message):
    fields = validation_error(post_integration(manager, mapping))

    assert list(fields) == ["severity_mapping"]
    assert any(message in error for error in fields["severity_mapping"]), fields
    assert stored_integrations() == 0


def test_api_refuses_a_bad_mapping_on_update_and_keeps_the_stored_one(manager):
    integration, _ = make_integration()

    response = manager.patch(
        f"/api/integrations/{integration.pk}",
        {"severity_mapping": {"values": {"critical": "SEV9"}}},
        format="json",
    )

    assert "severity_mapping" in validation_error(response)
    integration.refresh_from_db()
    assert integration.severity_mapping == default_severity_mapping()


# --- admin ------------------------------------------------------------------------

ADD = "/admin/incidents/integration/add/"
# Mappings as the admin's table posts them: (label, [(incoming value, severity)], default).
BAD_ADMIN_MAPPINGS = [
    pytest.param(
        ("severity", [("critical", "SEV9")], "SEV3"), "Not a severity: SEV9", id="unknown-severity"
    ),
    pytest.param(("severity", [], "P1"), "Not a severity: P1", id="bad-default"),
    pytest.param(("", [], "SEV3"), "label: the name of the label", id="empty-label"),
    pytest.param(
        ("severity", [("critical", "")], "SEV3"),
        "Row 1: choose the incident severity",
        id="no-severity",
    ),
    pytest.param(
        ("severity", [("", "SEV1")], "SEV3"), "Row 1: type the incoming value", id="no-value"
    ),
    pytest.param(
        ("severity", [("p1", "SEV1"), ("p1", "SEV2")], "SEV3"),
        "Row 2: “p1” is already mapped",
        id="twice",
    ),
]


def mapping_fields(label, rows, default) -> dict:
    fields = {"severity_mapping-label": label, "severity_mapping-default": default}
    for index, (value, severity) in enumerate([*rows, ("", "")]):
        fields[f"severity_mapping-{index}-value"] = value
        fields[f"severity_mapping-{index}-severity"] = severity
    return fields


def integration_form(mapping) -> dict:
    return {
        "service": str(ServiceFactory().pk),
        "kind": "alertmanager",
        "name": "prod",
        "enabled": "on",
        "auto_resolve": "on",
        **mapping_fields(*mapping),
        "hmac_secret": "",
        "hmac_timestamp_header": "",
    }


def test_admin_control_a_valid_mapping_is_saved(admin_client):
    mapping = ("priority", [("P1", "SEV1"), ("P2", "SEV2")], "SEV4")

    response = admin_post(admin_client, ADD, integration_form(mapping))

    assert response.status_code == 302
    assert Integration.objects.get().severity_mapping == VALID


@pytest.mark.parametrize(("mapping", "message"), BAD_ADMIN_MAPPINGS)
def test_admin_refuses_a_bad_mapping(admin_client, mapping, message):
    errors = admin_errors(admin_post(admin_client, ADD, integration_form(mapping)))

    assert list(errors) == ["severity_mapping"]
    assert any(message in error for error in errors["severity_mapping"]), errors
    assert stored_integrations() == 0


def test_admin_refuses_a_bad_mapping_on_the_change_form(admin_client):
    integration, _ = make_integration()
    data = {
        "name": "prod",
        "enabled": "on",
        "auto_resolve": "on",
        **mapping_fields("severity", [("critical", "SEV9")], "SEV3"),
        "hmac_secret": "",
        "hmac_timestamp_header": "",
    }

    response = admin_post(
        admin_client, f"/admin/incidents/integration/{integration.pk}/change/", data
    )

    assert "severity_mapping" in admin_errors(response)
    integration.refresh_from_db()
    assert integration.severity_mapping == default_severity_mapping()


# --- services ---------------------------------------------------------------------


@pytest.mark.parametrize(("mapping", "message"), BAD_MAPPINGS)
def test_integration_create_refuses_a_bad_mapping(mapping, message):
    with pytest.raises(ValidationError) as refused:
        services.integration_create(
            service=ServiceFactory(), kind="alertmanager", name="prod", severity_mapping=mapping
        )

    assert any(message in error for error in refused.value.message_dict["severity_mapping"])
    assert stored_integrations() == 0


def test_integration_update_refuses_a_bad_mapping_and_keeps_the_stored_one():
    integration, _ = make_integration(severity_mapping=VALID)

    with pytest.raises(ValidationError):
        services.integration_update(integration=integration, severity_mapping=["SEV1"])

    assert Integration.objects.get().severity_mapping == VALID


# --- escalation steps -------------------------------------------------------------


def test_a_step_that_pages_nobody_is_refused_by_the_admin_and_the_services(admin_client):
    from datetime import timedelta

    from django.core.exceptions import ValidationError

    from incidents.models import EscalationPolicy, EscalationStep
    from incidents.services import policy_save
    from incidents.services.escalation import step_create
    from tests.factories import TeamFactory

    team = TeamFactory()
    page = admin_post(
        admin_client,
        "/admin/incidents/escalationpolicy/add/",
        {
            "name": "web",
            "team": str(team.pk),
            "repeat": "0",
            "steps-TOTAL_FORMS": "1",
            "steps-0-position": "0",
            "steps-0-delay": "00:05:00",
        },
    )

    assert "steps-0-__all__" in admin_errors(page)
    assert not EscalationPolicy.objects.exists()
    with pytest.raises(ValidationError, match="users, schedules or both"):
        policy_save(name="web", team=team, steps=[{"delay": timedelta(minutes=5)}])
    policy = policy_save(name="web", team=team)
    with pytest.raises(ValidationError, match="users, schedules or both"):
        step_create(policy=policy, position=0, delay=timedelta(minutes=5))
    assert not EscalationStep.objects.exists()
