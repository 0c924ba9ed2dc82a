from django.contrib import admin, messages

from analytics import selectors, services
from analytics.models import Anomaly
from core.admin_writes import ReadOnlyAdmin


@admin.register(Anomaly)
class AnomalyAdmin(ReadOnlyAdmin):
    """Anomalies are found by the scans; here they are read and acknowledged."""

    list_display = (
        "timestamp",
        "series",
        "shown_value",
        "shown_expected",
        "shown_score",
        "method",
        "severity",
        "acknowledged_at",
        "incident",
    )
    list_filter = ("severity", "method", ("acknowledged_at", admin.EmptyFieldListFilter), "series")
    search_fields = ("series__name",)
    date_hierarchy = "timestamp"
    actions = ("acknowledge_selected",)
    list_select_related = ("series", "incident", "acknowledged_by")

    def get_queryset(self, request):
        return selectors.anomaly_list().select_related("incident")

    @admin.display(description="value", ordering="value")
    def shown_value(self, anomaly):
        return f"{anomaly.value:.4g}"

    @admin.display(description="expected", ordering="expected")
    def shown_expected(self, anomaly):
        return f"{anomaly.expected:.4g}"

    @admin.display(description="score", ordering="score")
    def shown_score(self, anomaly):
        return f"{anomaly.score:.1f}"

    def has_acknowledge_permission(self, request):
        return request.user.has_perm("analytics.change_anomaly")

    @admin.action(description="Acknowledge selected anomalies", permissions=["acknowledge"])
    def acknowledge_selected(self, request, queryset):
        for anomaly in queryset:
            services.anomaly_acknowledge(anomaly=anomaly, by=request.user)
        self.message_user(request, f"{len(queryset)} acknowledged.", messages.SUCCESS)
