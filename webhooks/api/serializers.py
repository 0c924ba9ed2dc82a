from rest_framework import serializers

from webhooks.models import OutgoingWebhook, WebhookDelivery


class OutgoingWebhookSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutgoingWebhook
        fields = ["id", "name", "url", "secret", "events", "service", "enabled", "created_at"]
        read_only_fields = ["id", "secret", "created_at"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
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
