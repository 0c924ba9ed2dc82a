"""An outgoing webhook's event list must be a non-empty list of known event names,
whether it comes through the API, the admin or the service; nothing is written otherwise."""

import json

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from tests.admin_forms import admin_errors, admin_post
from tests.factories import UserFactory
from webhooks import services
from webhooks.models import OutgoingWebhook

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/vigil"
KNOWN = "A non-empty list of event names"

# (events, a fragment of the error)
BAD_EVENTS = [
    pytest.param(5, KNOWN, id="number"),
    pytest.param("triggered", KNOWN, id="string"),
    pytest.param({"triggered": True}, KNOWN, id="object"),
    pytest.param(["triggered", 5], KNOWN, id="non-string-name"),
    pytest.param(["triggered", "exploded"], "Unknown event(s) exploded", id="unknown-name"),
]


# --- API --------------------------------------------------------------------------


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Manager"]))
    return client


def post_webhook(client, events):
    return client.post(
        "/api/webhooks", {"name": "chat", "url": URL, "events": events}, format="json"
    )


def validation_error(response) -> dict:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"]
    return error["fields"]


def test_api_control_a_valid_webhook_is_created(manager):
    response = post_webhook(manager, ["triggered", "resolved"])

    assert response.status_code == 201, response.json()
    assert OutgoingWebhook.objects.get().events == ["triggered", "resolved"]


@pytest.mark.parametrize(("events", "message"), [*BAD_EVENTS, pytest.param([], KNOWN, id="empty")])
def test_api_refuses_bad_events(manager, events, message):
    fields = validation_error(post_webhook(manager, events))

    assert list(fields) == ["events"]
    assert any(message in error for error in fields["events"]), fields
    assert OutgoingWebhook.objects.count() == 0


def test_api_refuses_bad_events_on_update_and_keeps_the_stored_ones(manager):
    created = post_webhook(manager, ["triggered"]).json()

    response = manager.patch(f"/api/webhooks/{created['id']}", {"events": 5}, format="json")

    assert "events" in validation_error(response)
    assert OutgoingWebhook.objects.get().events == ["triggered"]


# --- admin ------------------------------------------------------------------------

ADD = "/admin/webhooks/outgoingwebhook/add/"


def webhook_form(events: str) -> dict:
    return {"name": "chat", "url": URL, "events": events, "service": "", "enabled": "on"}


def test_admin_control_a_valid_webhook_is_saved(admin_client):
    response = admin_post(admin_client, ADD, webhook_form('["triggered"]'))

    assert response.status_code == 302
    assert OutgoingWebhook.objects.get().events == ["triggered"]


@pytest.mark.parametrize(
    ("events", "message"),
    # An empty list is refused by the form itself ("This field is required.").
    [*BAD_EVENTS, pytest.param([], "required", id="empty")],
)
def test_admin_refuses_bad_events(admin_client, events, message):
    errors = admin_errors(admin_post(admin_client, ADD, webhook_form(json.dumps(events))))

    assert list(errors) == ["events"]
    assert any(message in error for error in errors["events"]), errors
    assert OutgoingWebhook.objects.count() == 0


def test_admin_refuses_bad_events_on_the_change_form(admin_client):
    webhook = services.webhook_create(name="chat", url=URL, events=["triggered"])

    response = admin_post(
        admin_client, f"/admin/webhooks/outgoingwebhook/{webhook.pk}/change/", webhook_form("5")
    )

    assert "events" in admin_errors(response)
    webhook.refresh_from_db()
    assert webhook.events == ["triggered"]


# --- services ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "message"),
    # The model's blank check answers before the validator for an empty list.
    [*BAD_EVENTS, pytest.param([], "cannot be blank", id="empty")],
)
def test_webhook_create_refuses_bad_events(events, message):
    with pytest.raises(ValidationError) as refused:
        services.webhook_create(name="chat", url=URL, events=events)

    assert any(message in error for error in refused.value.message_dict["events"])
    assert OutgoingWebhook.objects.count() == 0


def test_webhook_create_without_events_subscribes_to_every_event():
    webhook = services.webhook_create(name="chat", url=URL)

    assert "triggered" in webhook.events
    assert OutgoingWebhook.objects.count() == 1


def test_webhook_update_refuses_bad_events_and_keeps_the_stored_ones():
    webhook = services.webhook_create(name="chat", url=URL, events=["triggered"])

    with pytest.raises(ValidationError):
        services.webhook_update(webhook=webhook, events=5)

    assert OutgoingWebhook.objects.get().events == ["triggered"]
