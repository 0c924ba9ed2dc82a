from django.contrib import admin
from django.db.models import Count, Max

from analytics import services
from analytics.models import MetricSeries
from core.admin_writes import ServiceWritesAdmin


@admin.register(MetricSeries)
class MetricSeriesAdmin(ServiceWritesAdmin):
    """Series are created by their first sample (POST /api/metrics/samples); here they
    are described (unit, meaning, whether higher is better) or deleted with their samples."""

    list_display = ("name", "labels_key", "unit", "higher_is_better", "samples", "latest")
    search_fields = ("name", "description", "labels_key")
    fields = ("name", "labels", "unit", "description", "higher_is_better", "created_at")
    readonly_fields = ("name", "labels", "created_at")

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

    def update(self, request, instance, data):
        return services.series_update(series=instance, **data)

    def delete(self, request, instance):
        services.series_delete(series=instance)
