from django.contrib import admin, messages
from django.utils.html import format_html

from core.admin_writes import ReadOnlyAdmin, ServiceWritesAdmin
from incidents import services
from incidents.admin.incidents import IncidentAlertInline
from incidents.integration_config import integration_endpoint_url, integration_example_config
from incidents.models import Alert, ChangeEvent, Integration


class IntegrationAlertInline(IncidentAlertInline):
    verbose_name_plural = "recent alerts"
    fields = ("received_at", "status", "severity", "summary", "incident")
    readonly_fields = fields
    parent_field = "integration"


@admin.register(Integration)
class IntegrationAdmin(ServiceWritesAdmin):
    list_display = (
        "name",
        "kind",
        "service",
        "enabled",
        "auto_resolve",
        "last_received_at",
        "endpoint",
    )
    list_filter = ("kind", "enabled", "service")
    search_fields = ("name", "service__name")
    list_select_related = ("service",)
    actions = ("rotate_secrets",)
    inlines = (IntegrationAlertInline,)
    readonly_fields = (
        "secret_prefix",
        "last_received_at",
        "created_at",
        "endpoint",
        "example_configuration",
    )
    fields = (
        "service",
        "kind",
        "name",
        "enabled",
        "auto_resolve",
        "severity_mapping",
        "hmac_secret",
        "hmac_timestamp_header",
        *readonly_fields,
    )

    @admin.display(description="endpoint URL")
    def endpoint(self, integration):
        return integration_endpoint_url(integration) if integration.pk else "—"

    @admin.display(description="configuration to copy")
    def example_configuration(self, integration):
        if not integration.pk:
            return "Shown once the integration is saved."
        return format_html("<pre>{}</pre>", integration_example_config(integration))

    def get_readonly_fields(self, request, obj=None):
        # The kind decides the endpoint and format; make a new integration to change it.
        return (*self.readonly_fields, "kind", "service") if obj else self.readonly_fields

    def create(self, request, data, parent=None):
        issued = services.integration_create(**data)
        self._show_secret(request, issued)
        return issued.integration

    def update(self, request, instance, data):
        return services.integration_update(integration=instance, **data)

    def delete(self, request, instance):
        services.integration_delete(integration=instance)

    def _show_secret(self, request, issued):
        messages.warning(
            request,
            format_html(
                "Secret for {}: <code>{}</code> — copy it now, it will not be shown again."
                "<pre>{}</pre>",
                issued.integration.name,
                issued.secret,
                integration_example_config(issued.integration, issued.secret),
            ),
        )

    @admin.action(description="Rotate the secret of selected integrations", permissions=["change"])
    def rotate_secrets(self, request, queryset):
        for integration in queryset:
            self._show_secret(request, services.integration_rotate_secret(integration=integration))


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "status", "severity", "summary", "integration", "incident")
    list_filter = ("status", "severity", "integration__kind", "integration")
    search_fields = ("summary", "fingerprint", "group_key")
    list_select_related = ("integration", "incident")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in Alert._meta.fields]


@admin.register(ChangeEvent)
class ChangeEventAdmin(ReadOnlyAdmin):
    list_display = ("happened_at", "service", "summary", "source", "integration")
    list_filter = ("service",)
    search_fields = ("summary", "source")
    list_select_related = ("service", "integration")
    date_hierarchy = "happened_at"
