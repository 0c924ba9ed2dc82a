from django.contrib import admin

from core.admin_writes import LatestRowsInline, ServiceWritesAdmin
from webhooks import services
from webhooks.models import OutgoingWebhook, WebhookDelivery


class DeliveryInline(LatestRowsInline):
    """The latest deliveries, read-only: the log is written by the outbox."""

    model = WebhookDelivery
    verbose_name_plural = "deliveries (latest first)"
    fields = (
        "created_at",
        "event",
        "subject",
        "status",
        "attempts",
        "response_status",
        "last_error",
    )
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    parent_field = "webhook"


@admin.register(OutgoingWebhook)
class OutgoingWebhookAdmin(ServiceWritesAdmin):
    list_display = ("name", "url", "service", "enabled")
    list_select_related = ("service",)
    list_filter = ("enabled",)
    readonly_fields = ("secret",)
    inlines = (DeliveryInline,)

    def create(self, request, data, parent=None):
        return services.webhook_create(**data)

    def update(self, request, instance, data):
        return services.webhook_update(webhook=instance, **data)

    def delete(self, request, instance):
        services.webhook_delete(webhook=instance)
