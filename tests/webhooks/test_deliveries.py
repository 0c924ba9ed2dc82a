"""Outgoing webhooks: incident events posted signed, logged, retried, and configured
through the API."""

import hashlib
import hmac

import pytest
from rest_framework.test import APIClient

from incidents import services
from tests.factories import UserFactory, open_incident
from webhooks.models import WebhookDelivery
from webhooks.services import DeliveryFailed, webhook_create, webhook_deliver

pytestmark = pytest.mark.django_db


def test_incident_events_are_posted_signed_to_outgoing_webhooks(webhook_receiver):
    hook = webhook_create(
        name="status page", url=webhook_receiver.url, events=["triggered", "resolved"]
    )
    incident = open_incident()
    services.incident_acknowledge(incident=incident, by=None)  # not subscribed
    services.incident_resolve(incident=incident, by=None)

    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert [d.event for d in deliveries] == ["triggered", "resolved"]
    assert {d.subject for d in deliveries} == {f"incident:{incident.pk}"}
    for delivery in deliveries:
        assert webhook_deliver(delivery_id=delivery.pk) == "sent"
        assert webhook_deliver(delivery_id=delivery.pk) == "skipped"

    assert [r["json"]["event"] for r in webhook_receiver.received] == ["triggered", "resolved"]
    first = webhook_receiver.received[0]
    timestamp = first["headers"]["X-Vigil-Timestamp"]
    expected = hmac.new(
        hook.secret.encode(), f"{timestamp}.".encode() + first["body"], hashlib.sha256
    ).hexdigest()
    assert first["headers"]["X-Vigil-Signature"] == f"sha256={expected}"
    assert first["headers"]["X-Vigil-Delivery"] == f"delivery-{deliveries[0].pk}"
    assert first["json"]["incident"]["reference"] == incident.reference


def test_a_failed_webhook_delivery_is_logged_and_kept_for_a_retry(webhook_receiver):
    webhook_create(name="x", url=webhook_receiver.url)
    webhook_receiver.status = 500
    open_incident()
    delivery = WebhookDelivery.objects.get()

    with pytest.raises(DeliveryFailed):
        webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    assert delivery.retry_at is not None
    assert delivery.claimed_until is None

    webhook_receiver.status = 200
    assert webhook_deliver(delivery_id=delivery.pk) == "sent"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("sent", 2, 200)
    # Both attempts carried the same idempotency key.
    keys = {r["headers"]["X-Vigil-Delivery"] for r in webhook_receiver.received}
    assert keys == {f"delivery-{delivery.pk}"}


def test_webhooks_through_the_api(webhook_receiver):
    manager = APIClient()
    manager.force_authenticate(UserFactory(roles=["Manager"]))
    responder = APIClient()
    responder.force_authenticate(UserFactory(roles=["Responder"]))

    hook = manager.post(
        "/api/webhooks",
        {"name": "status page", "url": webhook_receiver.url, "events": ["resolved"]},
        format="json",
    )
    unknown = manager.post(
        "/api/webhooks",
        {"name": "x", "url": webhook_receiver.url, "events": ["exploded"]},
        format="json",
    )

    assert hook.status_code == 201, hook.json()
    assert unknown.status_code == 400
    assert "exploded" in str(unknown.json()["error"]["fields"]["events"])
    incident = open_incident()
    services.incident_resolve(incident=incident, by=None)
    log = manager.get(f"/api/webhooks/{hook.json()['id']}/deliveries").json()
    assert [(d["event"], d["subject"]) for d in log["results"]] == [
        ("resolved", f"incident:{incident.pk}")
    ]
    assert (
        responder.post("/api/webhooks", {"name": "y", "url": webhook_receiver.url}).status_code
        == 403
    )
    assert manager.delete(f"/api/webhooks/{hook.json()['id']}").status_code == 204
    assert not WebhookDelivery.objects.exists()
