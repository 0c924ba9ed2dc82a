from django.contrib import admin
from django.db.models import Count, Max

from analytics import services
from analytics.charts import series_chart
from analytics.models import MetricSeries
from core.admin_writes import ServiceWritesAdmin


@admin.register(MetricSeries)
class MetricSeriesAdmin(ServiceWritesAdmin):
    """Series are created by their first sample (POST /api/metrics/samples); here they
    are described (unit, meaning, whether higher is better) or deleted with their samples."""

    list_display = ("name", "labels_key", "unit", "higher_is_better", "samples", "latest")
    search_fields = ("name", "description", "labels_key")
    fields = ("name", "labels", "unit", "description", "higher_is_better", "service", "created_at")
    readonly_fields = ("name", "labels", "created_at")
    autocomplete_fields = ("service",)
    # The chart's spans, in days (?days= on the change page).
    chart_spans = (1, 7, 30, 90)

    def has_add_permission(self, request):
        return False  # a series is made by its first sample

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(sample_count=Count("samples"), latest_at=Max("samples__timestamp"))
        )

    @admin.display(description="samples", ordering="sample_count")
    def samples(self, series):
        return series.sample_count

    @admin.display(description="latest sample", ordering="latest_at")
    def latest(self, series):
        return series.latest_at

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The page shows the series' chart: data, trend, forecast band and anomalies."""
        extra_context = extra_context or {}
        series = self.get_object(request, object_id)
        if series is not None:
            days = request.GET.get("days", "30")
            days = int(days) if days.isascii() and days.isdecimal() else 30
            days = days if days in self.chart_spans else 30
            extra_context["chart"] = series_chart(series, days=days)
            extra_context["chart_days"] = days
            extra_context["chart_spans"] = self.chart_spans
        return super().change_view(request, object_id, form_url, extra_context)

    def update(self, request, instance, data):
        return services.series_update(series=instance, **data)

    def delete(self, request, instance):
        services.series_delete(series=instance)
