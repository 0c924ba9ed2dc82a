from django.contrib import admin, messages

from analytics import services
from analytics.models import MetricSource
from core.admin_writes import ServiceWritesAdmin


@admin.register(MetricSource)
class MetricSourceAdmin(ServiceWritesAdmin):
    """PromQL queries pulled from Prometheus on a schedule into a metric series."""

    list_display = ("name", "metric", "every_minutes", "enabled", "last_pulled_at", "last_error")
    list_filter = ("enabled",)
    search_fields = ("name", "metric", "query")
    readonly_fields = ("pulled_through", "last_pulled_at", "last_error")
    actions = ("pull_selected",)

    def create(self, request, data, parent=None):
        return services.source_create(**data)

    def update(self, request, instance, data):
        return services.source_update(source=instance, **data)

    def delete(self, request, instance):
        services.source_delete(source=instance)

    @admin.action(description="Pull selected sources now", permissions=["change"])
    def pull_selected(self, request, queryset):
        for source in queryset:
            result = services.source_pull(source=source)
            if result["error"]:
                self.message_user(request, f"{source}: {result['error']}", messages.ERROR)
            else:
                self.message_user(request, f"{source}: {result['samples']} samples stored.")
