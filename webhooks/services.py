"""Outgoing webhooks: configured here, and each published event written as a delivery in
the transaction of the change that caused it (the outbox), posted after commit."""

import json
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.net import outgoing_url_check_ahead
from core.outbox import DeliveryFailed, outbox_enqueue, outbox_kind
from core.services import model_create, model_delete, model_update
from webhooks.models import OutgoingWebhook, WebhookDelivery
from webhooks.signing import PostFailed, signed_post

logger = logging.getLogger(__name__)


def webhook_create(*, name: str, url: str, events=None, service=None, enabled=True):
    fields = {"name": name, "url": url, "service": service, "enabled": enabled}
    if events is not None:
        fields["events"] = events
    outgoing_url_check_ahead(url)  # DNS, before the transaction
    with transaction.atomic():
        return model_create(OutgoingWebhook, **fields)


def webhook_update(*, webhook: OutgoingWebhook, **fields) -> OutgoingWebhook:
    outgoing_url_check_ahead(fields.get("url"))
    with transaction.atomic():
        model_update(instance=webhook, fields=fields)
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: OutgoingWebhook) -> None:
    """The webhook and its delivery log; deliveries still pending are dropped with it."""
    model_delete(instance=webhook, refusal=f"Webhook {webhook.name} cannot be deleted.")


def webhooks_for(*, event: str, service_id: int | None) -> list[OutgoingWebhook]:
    """The enabled webhooks that want ``event`` for this service (or for every service).
    A webhook whose stored event list is not a list (written around the model's
    validation) is skipped and logged, and never stops the others."""
    hooks = []
    scope = Q(service__isnull=True) | Q(service_id=service_id)
    for hook in OutgoingWebhook.objects.filter(scope, enabled=True):
        if not isinstance(hook.events, list):
            logger.error("webhook %s has an invalid event list %r; skipped", hook.pk, hook.events)
            continue
        if event in hook.events:
            hooks.append(hook)
    return hooks


def webhook_event_publish(
    *, event: str, subject: str, payload: dict, service_id: int | None = None
) -> list[int]:
    """Record ``event`` for every webhook that wants it, in the caller's transaction, and
    post the deliveries once it commits. The delivery ids."""
    hooks = webhooks_for(event=event, service_id=service_id)
    if not hooks:
        return []
    body = {"event": event, "at": timezone.now().isoformat(), **payload}
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=hook, event=event, subject=subject, payload=body) for hook in hooks
    )
    ids = [delivery.pk for delivery in deliveries]
    outbox_enqueue(kind=outbox_kind(WebhookDelivery), ids=ids)
    return ids


def delivery_post(delivery: WebhookDelivery) -> dict:
    """Post one delivery (the outbox's ``deliver``); the response status is kept."""
    body = json.dumps(delivery.payload).encode()
    try:
        status = signed_post(
            delivery.webhook.url,
            body,
            delivery.webhook.secret,
            headers={"X-Vigil-Delivery": f"delivery-{delivery.pk}"},
        )
    except PostFailed as error:
        raise DeliveryFailed(str(error), fields={"response_status": error.status}) from error
    return {"response_status": status}


def webhook_deliver(*, delivery_id: int) -> str:
    """Deliver one pending delivery now: ``sent``, ``skipped`` (nothing to do), or raises
    DeliveryFailed after logging a failed attempt."""
    from core.outbox import outbox_deliver

    outcome = outbox_deliver(kind=outbox_kind(WebhookDelivery), row_id=delivery_id)
    if outcome.result in ("retry", "failed"):
        raise DeliveryFailed(outcome.error)
    return outcome.result
