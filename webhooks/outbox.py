from core.outbox import OutboxKind
from webhooks.models import WebhookDelivery
from webhooks.services import delivery_post

OUTBOX_KINDS = [
    OutboxKind(
        model=WebhookDelivery,
        task="webhooks.tasks.webhook_deliver",
        deliver=delivery_post,
        select_related=("webhook",),
    )
]
