from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from core.admin_writes import ReadOnlyAdmin, ServiceWritesAdmin
from incidents import services
from incidents.admin.incidents import IncidentAlertInline
from incidents.admin.widgets import SeverityMappingField
from incidents.integration_config import integration_endpoint_url, integration_example_config
from incidents.models import Alert, ChangeEvent, Integration


class IntegrationAlertInline(IncidentAlertInline):
    verbose_name_plural = "recent alerts"
    fields = ("received_at", "status", "severity", "summary", "incident")
    readonly_fields = fields
    parent_field = "integration"


class WriteOnlySecretField(forms.CharField):
    """A secret typed in, never shown: the page renders an empty password box, and an
    empty box keeps the stored value (``IntegrationForm.clean``)."""

    widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})

    def has_changed(self, initial, data):
        return bool(data)


class IntegrationForm(forms.ModelForm):
    severity_mapping = SeverityMappingField(label="Severity mapping")
    hmac_secret = WriteOnlySecretField(
        required=False, max_length=200, strip=False, label="HMAC secret"
    )
    clear_hmac_secret = forms.BooleanField(required=False, label="Remove the HMAC secret")

    class Meta:
        model = Integration
        # The admin's ``fields`` decide what the page shows; these are the writable ones.
        fields = [
            "service",
            "kind",
            "name",
            "enabled",
            "auto_resolve",
            "severity_mapping",
            "hmac_secret",
            "hmac_timestamp_header",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.pk and self.instance.hmac_secret
        self.fields["hmac_secret"].help_text = "Grafana only: the contact point's HMAC secret. " + (
            "One is set (not shown): leave blank to keep it, type a new one to replace it."
            if stored
            else "None is set."
        )
        self.initial.pop("hmac_secret", None)

    def clean(self):
        data = super().clean()
        if data.get("clear_hmac_secret"):
            data["hmac_secret"] = ""
        elif not data.get("hmac_secret") and self.instance.pk:
            data["hmac_secret"] = self.instance.hmac_secret
        return data


def _secret_fields(data: dict) -> dict:
    """The service's fields from the form's: "remove" means an empty secret."""
    if data.pop("clear_hmac_secret", False):
        data["hmac_secret"] = ""
    return data


@admin.register(Integration)
class IntegrationAdmin(ServiceWritesAdmin):
    form = IntegrationForm
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

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None:
            return fields
        if not self.has_change_permission(request, obj):
            # A read-only page would display the stored value: show whether one is set.
            return ["hmac_secret_status" if name == "hmac_secret" else name for name in fields]
        at = fields.index("hmac_secret") + 1
        return [*fields[:at], "clear_hmac_secret", *fields[at:]]

    @admin.display(description="HMAC secret")
    def hmac_secret_status(self, integration):
        return "set (not shown)" if integration.hmac_secret else "not set"

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
        # (hmac_secret_status stands in for the secret on a read-only page.)
        if obj is None:
            return self.readonly_fields
        return (*self.readonly_fields, "kind", "service", "hmac_secret_status")

    def create(self, request, data, parent=None):
        issued = services.integration_create(**_secret_fields(data))
        self._show_secret(request, issued)
        return issued.integration

    def update(self, request, instance, data):
        return services.integration_update(integration=instance, **_secret_fields(data))

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
