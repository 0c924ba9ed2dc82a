from django.contrib import admin

from analytics import services
from analytics.benchmarks import benchmark_evaluate
from analytics.models import Benchmark
from analytics.units import humanize
from core.admin_writes import ServiceWritesAdmin


@admin.register(Benchmark)
class BenchmarkAdmin(ServiceWritesAdmin):
    """Yardsticks for a metric; the list shows where each stands now (computed as the
    page is drawn: one metric read per benchmark, and there are a handful)."""

    list_display = (
        "name",
        "metric",
        "statistic",
        "window_days",
        "shown_baseline",
        "shown_target",
        "higher_is_better",
        "current",
        "status",
    )
    search_fields = ("name", "metric", "description")
    list_filter = ("statistic", "higher_is_better")
    fields = (
        "name",
        "metric",
        "labels",
        "statistic",
        "window_days",
        "baseline",
        "target",
        "higher_is_better",
        "unit",
        "description",
    )

    def _evaluation(self, benchmark) -> dict:
        # The current and status columns share one evaluation per row.
        if not hasattr(benchmark, "_evaluation"):
            benchmark._evaluation = benchmark_evaluate(benchmark)
        return benchmark._evaluation

    @admin.display(description="baseline", ordering="baseline")
    def shown_baseline(self, benchmark):
        return humanize(benchmark.baseline, benchmark.unit)

    @admin.display(description="target", ordering="target")
    def shown_target(self, benchmark):
        return humanize(benchmark.target, benchmark.unit)

    @admin.display(description="current")
    def current(self, benchmark):
        return humanize(self._evaluation(benchmark)["current"], benchmark.unit)

    @admin.display(description="status")
    def status(self, benchmark):
        return self._evaluation(benchmark)["status"] or "no data"

    def create(self, request, data, parent=None):
        return services.benchmark_create(**data)

    def update(self, request, instance, data):
        return services.benchmark_update(benchmark=instance, **data)

    def delete(self, request, instance):
        services.benchmark_delete(benchmark=instance)
