"""Outgoing webhooks: incident events written as deliveries in the transaction of the
change (the outbox), posted after commit, retried, and logged."""

import json

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents.models import OutgoingWebhook, WebhookDelivery
from incidents.signed_post import PostFailed, signed_post


def webhook_event(*, incident, event: str, data: dict | None = None) -> None:
    """Record ``event`` for every enabled webhook that wants it (called inside the
    transaction that made the change)."""
    hooks = [
        hook
        for hook in OutgoingWebhook.objects.filter(enabled=True).filter(
            Q(service__isnull=True) | Q(service_id=incident.service_id)
        )
        if event in hook.events
    ]
    if not hooks:
        return
    payload = {
        "event": event,
        "at": timezone.now().isoformat(),
        "incident": {
            "id": incident.pk,
            "reference": incident.reference,
            "title": incident.title,
            "status": incident.status,
            "severity": incident.severity,
            "service_id": incident.service_id,
        },
        **({"data": data} if data else {}),
    }
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=hook, incident=incident, event=event, payload=payload)
        for hook in hooks
    )
    ids = [delivery.pk for delivery in deliveries]

    def enqueue():
        from incidents.tasks import webhook_deliver

        for delivery_id in ids:
            webhook_deliver.delay(delivery_id)

    transaction.on_commit(enqueue)


class DeliveryFailed(Exception):
    pass


def webhook_deliver(*, delivery_id: int) -> str:
    """Post one delivery; ``sent`` or ``skipped``. Raises DeliveryFailed after logging
    a failed attempt, for the caller to retry."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("webhook")
            .filter(pk=delivery_id, status="pending")
            .first()
        )
        if delivery is None:
            return "skipped"
        delivery.attempts += 1
        body = json.dumps(delivery.payload).encode()
        try:
            delivery.response_status = signed_post(
                delivery.webhook.url, body, delivery.webhook.secret
            )
        except PostFailed as error:
            delivery.response_status = error.status
            delivery.last_error = str(error)[:2000]
            delivery.save(update_fields=["attempts", "response_status", "last_error"])
            failure = error
        else:
            delivery.status, delivery.sent_at = "sent", timezone.now()
            delivery.save(update_fields=["attempts", "response_status", "status", "sent_at"])
            return "sent"
    raise DeliveryFailed(str(failure)) from failure


def webhook_give_up(*, delivery_id: int) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id, status="pending").update(status="failed")


def webhook_deliveries_pending_since(*, older_than, limit: int = 500) -> list[int]:
    cutoff = timezone.now() - older_than
    return list(
        WebhookDelivery.objects.filter(status="pending", created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
