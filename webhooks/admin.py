from django.contrib import admin

from core.admin_writes import ServiceWritesAdmin
from webhooks import services
from webhooks.models import OutgoingWebhook, WebhookDelivery

LATEST_DELIVERIES = 25


class DeliveryInline(admin.TabularInline):
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
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        parent = request.resolver_match.kwargs.get("object_id")
        ids = list(
            WebhookDelivery.objects.filter(webhook=parent)
            .order_by("-created_at", "-id")
            .values_list("id", flat=True)[:LATEST_DELIVERIES]
        )
        return WebhookDelivery.objects.filter(id__in=ids)


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
