"""The admin edits an integration's severity mapping as a table of incoming values and
incident severities, stores the JSON the model validates, and shows it back as a table."""

import re

import pytest

from incidents.models import Integration
from incidents.models.integrations import default_severity_mapping
from tests.admin_forms import admin_errors, admin_post
from tests.factories import ServiceFactory, make_integration

pytestmark = pytest.mark.django_db

ADD = "/admin/incidents/integration/add/"


def mapping_fields(label, rows, default, blank_rows=2) -> dict:
    fields = {"severity_mapping-label": label, "severity_mapping-default": default}
    for index, (value, severity) in enumerate([*rows, *[("", "")] * blank_rows]):
        fields[f"severity_mapping-{index}-value"] = value
        fields[f"severity_mapping-{index}-severity"] = severity
    return fields


def add_form(**mapping) -> dict:
    return {
        "service": str(ServiceFactory().pk),
        "kind": "alertmanager",
        "name": "prod",
        "enabled": "on",
        "auto_resolve": "on",
        **mapping_fields(**mapping),
        "hmac_secret": "",
        "hmac_timestamp_header": "",
    }


def change_form(integration, **mapping) -> dict:
    return {
        "name": integration.name,
        "enabled": "on",
        "auto_resolve": "on",
        **mapping_fields(**mapping),
        "hmac_secret": "",
        "hmac_timestamp_header": "",
    }


def selected(html, name):
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)" selected>', select)


def input_value(html, name):
    return re.search(rf'<input type="text" name="{name}" value="([^"]*)"', html).group(1)


def test_an_integration_is_added_with_a_table_of_severities(admin_client):
    rows = [("P1", "SEV1"), (" P2 ", "SEV2"), ("P3", "SEV3")]

    response = admin_post(admin_client, ADD, add_form(label="priority", rows=rows, default="SEV4"))

    assert response.status_code == 302
    assert Integration.objects.get().severity_mapping == {
        "label": "priority",
        "values": {"P1": "SEV1", "P2": "SEV2", "P3": "SEV3"},
        "default": "SEV4",
    }


@pytest.mark.parametrize(
    ("label", "rows", "default", "message"),
    [
        (
            "severity",
            [("critical", "")],
            "SEV3",
            "Row 1: choose the incident severity for “critical”.",
        ),
        ("severity", [("", "SEV2")], "SEV3", "Row 1: type the incoming value that means SEV2."),
        (
            "severity",
            [("p1", "SEV1"), ("p1", "SEV2")],
            "SEV3",
            "Row 2: “p1” is already mapped above.",
        ),
        (
            "severity",
            [("critical", "SEV9")],
            "SEV3",
            "Not a severity: SEV9 (use SEV1, SEV2, SEV3 or SEV4).",
        ),
        ("", [], "SEV3", "label: the name of the label that carries the severity."),
    ],
)
def test_bad_rows_are_a_form_error_and_nothing_is_stored(
    admin_client, label, rows, default, message
):
    response = admin_post(admin_client, ADD, add_form(label=label, rows=rows, default=default))

    errors = admin_errors(response)
    assert errors == {"severity_mapping": [message]}
    assert Integration.objects.count() == 0
    # The rows come back as typed, to be corrected.
    html = response.content.decode()
    for index, (value, _) in enumerate(rows):
        assert input_value(html, f"severity_mapping-{index}-value") == value


def test_the_change_page_shows_the_stored_mapping_as_rows(admin_client):
    integration, _ = make_integration()
    stored = default_severity_mapping()

    html = admin_client.get(
        f"/admin/incidents/integration/{integration.pk}/change/"
    ).content.decode()

    assert input_value(html, "severity_mapping-label") == "severity"
    assert selected(html, "severity_mapping-default") == ["SEV3"]
    # Most severe first, then by value, whatever order the database keeps keys in.
    rows = sorted(stored["values"].items(), key=lambda pair: (pair[1], pair[0]))
    assert rows[0] == ("critical", "SEV1")
    for index, (value, severity) in enumerate(rows):
        assert input_value(html, f"severity_mapping-{index}-value") == value
        assert selected(html, f"severity_mapping-{index}-severity") == [severity]
    blank = len(stored["values"])
    assert input_value(html, f"severity_mapping-{blank}-value") == ""
    assert selected(html, f"severity_mapping-{blank}-severity") == [""]


def test_the_change_page_removes_a_cleared_row_and_adds_a_new_one(admin_client):
    integration, _ = make_integration()
    rows = list(default_severity_mapping()["values"].items())
    rows[0] = ("", "")  # "critical" cleared
    rows.append(("disaster", "SEV1"))

    response = admin_post(
        admin_client,
        f"/admin/incidents/integration/{integration.pk}/change/",
        change_form(integration, label="severity", rows=rows, default="SEV2"),
    )

    assert response.status_code == 302
    integration.refresh_from_db()
    expected = {k: v for k, v in default_severity_mapping()["values"].items() if k != "critical"}
    assert integration.severity_mapping == {
        "label": "severity",
        "values": {**expected, "disaster": "SEV1"},
        "default": "SEV2",
    }


def test_a_bad_change_keeps_the_stored_mapping(admin_client):
    integration, _ = make_integration()

    response = admin_post(
        admin_client,
        f"/admin/incidents/integration/{integration.pk}/change/",
        change_form(integration, label="severity", rows=[("critical", "SEV9")], default="SEV3"),
    )

    assert "Not a severity: SEV9" in admin_errors(response)["severity_mapping"][0]
    integration.refresh_from_db()
    assert integration.severity_mapping == default_severity_mapping()
