from rest_framework import serializers

from core.api.fields import ModelSerializer
from webhooks.models import OutgoingWebhook, WebhookDelivery


class OutgoingWebhookSerializer(ModelSerializer):
    """A webhook as read and written: its signing secret is not part of it."""

    class Meta:
        model = OutgoingWebhook
        fields = ["id", "name", "url", "events", "service", "enabled", "created_at"]
        read_only_fields = ["id", "created_at"]


class OutgoingWebhookIssuedSerializer(OutgoingWebhookSerializer):
    """The answer to the request that creates a webhook: the only one with its secret."""

    secret = serializers.CharField(
        read_only=True,
        help_text="Signs every body. Shown only in this response: copy it now.",
    )

    class Meta(OutgoingWebhookSerializer.Meta):
        fields = [*OutgoingWebhookSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "subject",
            "payload",
            "status",
            "attempts",
            "response_status",
            "last_error",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields
