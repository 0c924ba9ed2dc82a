from django.db.models import QuerySet

from webhooks.models import OutgoingWebhook, WebhookDelivery


def webhook_list() -> QuerySet[OutgoingWebhook]:
    return OutgoingWebhook.objects.all()


def delivery_log(webhook: OutgoingWebhook) -> QuerySet[WebhookDelivery]:
    return webhook.deliveries.order_by("-created_at", "-id")
