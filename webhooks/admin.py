from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from core.admin_writes import LatestRowsInline, ServiceWritesAdmin
from core.secrets import secret_generate
from webhooks import services
from webhooks.models import OutgoingWebhook, WebhookDelivery


def secret_hint(secret: str) -> str:
    """Enough of a secret to tell two apart, not enough to sign with."""
    return f"{secret[:4]}…" if secret else "—"


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
    """The signing secret is shown once, to whoever creates the webhook or rotates its
    secret; the pages show only its first characters."""

    list_display = ("name", "url", "service", "enabled")
    outgoing_url_fields = ("url",)
    list_select_related = ("service",)
    list_filter = ("enabled",)
    readonly_fields = ("signing_secret",)
    actions = ("rotate_secrets",)
    inlines = (DeliveryInline,)

    @admin.display(description="secret")
    def signing_secret(self, webhook):
        if not webhook.pk:
            return "Generated when the webhook is saved, and shown to you once."
        return f"{secret_hint(webhook.secret)} (shown only when created or rotated)"

    def create(self, request, data, parent=None):
        webhook = services.webhook_create(**data)
        self._show_secret(request, webhook)
        return webhook

    def update(self, request, instance, data):
        return services.webhook_update(webhook=instance, **data)

    def delete(self, request, instance):
        services.webhook_delete(webhook=instance)

    def _show_secret(self, request, webhook):
        messages.warning(
            request,
            format_html(
                "Signing secret for {}: <code>{}</code> — copy it now, it will not be shown again.",
                webhook.name,
                webhook.secret,
            ),
        )

    @admin.action(
        description="Rotate the signing secret of selected webhooks", permissions=["change"]
    )
    def rotate_secrets(self, request, queryset):
        for webhook in queryset:
            try:
                services.webhook_update(webhook=webhook, secret=secret_generate())
            except ValidationError as error:
                messages.error(request, f"Not rotated: {webhook}: {' '.join(error.messages)}")
                continue
            self._show_secret(request, webhook)
